"""The portal's 领导接访日程 a citizen can read on a phone (issue 20 item 7): narrowed by day
and by place, a few sessions a page."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.urls import reverse

from xinfang.practice import services as svc
from xinfang.practice.views.portal import SLOTS_PER_PAGE

URL = reverse("practice:portal_schedule")


def _days(county, n: int, start: int = 0) -> list:
    leader, officer = county.users["leader"], county.users["officer"]
    svc.set_leader_profile(leader, user=officer)
    slots = []
    for i in range(start, start + n):
        place = "县政务中心一楼" if i % 2 == 0 else "城关镇综治中心"
        slots.append(svc.add_slot(leader, date(2026, 3, 11) + timedelta(days=i), user=officer,
                                  publish=True, place=place))
    return slots


def _shown(page: str) -> list[str]:
    return re.findall(r'id="slot-(\d+)"', page)


def test_the_schedule_comes_a_page_at_a_time_in_day_order(county, frozen, client):
    slots = _days(county, SLOTS_PER_PAGE + 3)
    first = client.get(URL).content.decode()
    assert _shown(first) == [str(s.pk) for s in slots[:SLOTS_PER_PAGE]]
    assert "共 9 场，第 1 / 2 页" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get(URL, {"page": 2}).content.decode()
    assert _shown(second) == [str(s.pk) for s in slots[SLOTS_PER_PAGE:]]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert _shown(client.get(URL, {"page": "99"}).content.decode()) == _shown(second)


def test_the_citizen_narrows_the_schedule_by_day_and_by_place(county, frozen, client):
    slots = _days(county, SLOTS_PER_PAGE + 3)
    one_day = client.get(URL, {"day": "2026-03-12"}).content.decode()
    assert _shown(one_day) == [str(slots[1].pk)] and "共 1 场" in one_day
    centre = client.get(URL, {"place": "城关镇综治中心"}).content.decode()
    assert _shown(centre) == [str(s.pk) for s in slots if s.place == "城关镇综治中心"]
    both = client.get(URL, {"day": "2026-03-12", "place": "县政务中心一楼"}).content.decode()
    assert _shown(both) == [] and "没有符合条件的接访场次" in both
    # The pages of a filtered list keep the filter in their links.
    more = _days(county, SLOTS_PER_PAGE, start=SLOTS_PER_PAGE + 3)
    assert len([s for s in slots + more if s.place == "县政务中心一楼"]) > SLOTS_PER_PAGE
    many = client.get(URL, {"place": "县政务中心一楼"}).content.decode()
    assert "?place=%E5%8E%BF%E6%94%BF%E5%8A%A1%E4%B8%AD%E5%BF%83%E4%B8%80%E6%A5%BC&amp;page=2" in many
    # A day or place that is not on offer is ignored, never an error.
    assert _shown(client.get(URL, {"day": "2026-13-01", "place": "无此地"}).content.decode()) \
        == [str(s.pk) for s in sorted(slots + more, key=lambda s: s.day)[:SLOTS_PER_PAGE]]
