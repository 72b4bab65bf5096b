"""Issue 13 item 9, §36 ¶2: "复核机关、单位可以 … 举行听证 … 听证所需时间不计算在前款规定的期限内".

The 复核 request is received 2026-06-01, so D11 (30 日, §36 ¶1) ends 2026-07-01.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import sh
from tests.scenario import matter
from xinfang.domain.errors import GuardFailed, MissingFields
from xinfang.petitions import jobs, services
from xinfang.petitions.models import Clock, Hearing, Matter, Supervision

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def _in_recheck(county) -> Matter:
    with time_machine.travel(sh(2026, 6, 1), tick=False):
        # 解释说明: no §32 ¶2 follow-up clock (F1) beside the 复核 clock this file is about.
        m = matter(county, "recheck_requested", when=sh(2026, 4, 1),
                   reply={"outcome": "explained"})
    assert Clock.objects.get(matter=m, code="D11").due_on == date(2026, 7, 1)
    return m


def _start(county, m: Matter, requested_on: str, hearing_on: str, by: str = "petitioner"):
    return services.transition(m, "start_hearing", user=county.users["city_officer"], data={
        "hearing_requested_by": by, "hearing_requested_on": requested_on,
        "hearing_on": hearing_on})


@pytest.mark.parametrize(("requested_on", "hearing_on", "refusal"), [
    ("2025-04-01", "2025-04-01", "不能早于收到复核请求之日（2026-06-01）"),  # back-dated
    ("2026-06-05", "2026-06-03", "不能早于申请（提议）日期"),
    ("2026-06-05", "2026-06-20", "听证尚未开始"),  # a planned hearing pauses nothing yet
    ("2026-06-12", "2026-06-12", "不能晚于今天"),
])
def test_the_hearing_dates_are_refused_with_the_reason(county, requested_on, hearing_on,
                                                      refusal):
    m = _in_recheck(county)
    with time_machine.travel(sh(2026, 6, 10), tick=False), pytest.raises(GuardFailed,
                                                                         match=refusal):
        _start(county, m, requested_on, hearing_on)
    d11 = Clock.objects.get(matter=m, code="D11")
    assert d11.paused_since is None and d11.due_on == date(2026, 7, 1)
    assert not Hearing.objects.filter(matter=m).exists()


def test_a_hearing_needs_its_request_recorded(county):
    m = _in_recheck(county)
    with time_machine.travel(sh(2026, 6, 10), tick=False):
        with pytest.raises(MissingFields):
            services.transition(m, "start_hearing", user=county.users["city_officer"],
                                data={"hearing_on": "2026-06-10"})
        with pytest.raises(GuardFailed, match="信访人申请还是复核机关依职权决定"):
            _start(county, m, "2026-06-05", "2026-06-10", by="someone")


def test_a_lapsed_recheck_period_cannot_be_paused(county):
    m = _in_recheck(county)
    with time_machine.travel(sh(2026, 7, 3), tick=False), pytest.raises(
            GuardFailed, match="已于2026-07-01届满"):
        _start(county, m, "2026-06-20", "2026-07-02")


def test_paused_days_are_shown_and_a_paused_clock_is_never_overdue(county, login):
    m = _in_recheck(county)
    with time_machine.travel(sh(2026, 6, 25), tick=False):
        m = _start(county, m, "2026-06-20", "2026-06-25")
    hearing = Hearing.objects.get(matter=m)
    assert (hearing.requested_by, hearing.requested_on, hearing.started_on) == (
        "petitioner", date(2026, 6, 20), date(2026, 6, 25))
    assert hearing.decided_by == county.users["city_officer"] and hearing.body == m.recheck_body
    # 07-10: past the unpaused end (07-01), the hearing still running.
    with time_machine.travel(sh(2026, 7, 10), tick=False):
        jobs.sweep()
        d11 = Clock.objects.get(matter=m, code="D11")
        assert d11.alert == "normal"
        assert not Supervision.objects.filter(matter=m, clock=d11).exists()
        assert Matter.objects.get(pk=m.pk).next_due is None  # not counted as overdue anywhere
        page = login("city_officer").get(reverse("matter", args=[m.pk])).content.decode()
        clocks_html = page.split('id="h-clocks"')[1].split("</section>")[0]
        assert "中止计算" in clocks_html and "听证中止 15 天" in clocks_html
        assert "超期" not in clocks_html
        api = APIClient()
        api.force_authenticate(county.users["city_officer"])
        data = api.get(f"/api/v1/matters/{m.pk}").json()
        [d11_json] = [c for c in data["clocks"] if c["code"] == "D11"]
        assert d11_json["state"] == "paused" and d11_json["paused_days"] == 15
        assert d11_json["state_label"] == "中止计算"
    # The pause ends with end_hearing, a real event: 17 days are not counted.
    with time_machine.travel(sh(2026, 7, 12), tick=False):
        m = services.transition(m, "end_hearing", user=county.users["city_officer"],
                                data={"conclusion": "事实清楚"})
    d11 = Clock.objects.get(matter=m, code="D11")
    assert d11.paused_since is None and d11.paused_days == 17
    assert d11.due_on == date(2026, 7, 20)  # 07-18 is a Saturday (民法典 §203 by analogy)
    hearing.refresh_from_db()
    assert hearing.ended_on == date(2026, 7, 12) and hearing.paused_days == 17
    assert Matter.objects.get(pk=m.pk).next_due == date(2026, 7, 20)
