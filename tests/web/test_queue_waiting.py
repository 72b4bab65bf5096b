"""The queue's tabs for the work that waits on someone (issue 16 item 5): 延期 requests at the
unit head, 退回 at the forwarder and at the unit that objected, 退回 no longer offered after its
window, and the badge of new items per tab that the page polls."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import matter
from xinfang.petitions import queries

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def token_client(user):
    from rest_framework.test import APIClient

    from xinfang.org.models import ApiToken

    client = APIClient()
    _, token = ApiToken.objects.create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _tab_numbers(c, tab: str) -> set[str]:
    from xinfang.petitions.models import Matter

    page = c.get(reverse("queue"), {"tab": tab}).content.decode()
    return {m.number for m in Matter.objects.all()
            if f'href="{reverse("matter", args=[m.pk])}"' in page}


def _badges(c) -> dict[str, str]:
    """tab → the "new" badge's number, from the polled tab bar."""
    r = c.get(reverse("queue_badges"))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'hx-trigger="every 30s"' in html and 'id="queue-tabs"' in html
    return dict(re.findall(r'data-new="(\w+)">新 (\d+\+?)<', html))


def test_unit_head_sees_extension_requests_awaiting_approval(login, county, frozen):
    pending = matter(county, "extension_pending", when=sh(2026, 2, 20))
    handling = matter(county, "handling", when=sh(2026, 2, 21))
    head = login(county.users["unit_head"])
    assert _tab_numbers(head, "extension") == {pending.number}
    assert queries.queue_counts(county.users["unit_head"])["extension"] == 1
    assert handling.number in _tab_numbers(head, "doing")
    # Another unit has none.
    other = login(county.users["other_handler"])
    assert _tab_numbers(other, "extension") == set()


def test_objection_waits_at_the_forwarder_and_shows_at_the_unit(login, county, frozen):
    m = matter(county, "objected", when=sh(2026, 2, 27))
    for who in ("officer", "handler", "unit_head"):
        assert _tab_numbers(login(county.users[who]), "objection") == {m.number}, who
    assert _tab_numbers(login(county.users["other_handler"]), "objection") == set()


def test_objection_not_offered_once_its_window_has_passed(login, county, frozen):
    m = matter(county, "dispatched", when=sh(2026, 3, 2))  # Monday
    url = reverse("matter", args=[m.pk])
    handler = county.users["handler"]
    page = login(handler).get(url).content.decode()
    assert "退回（异议）" in page
    api = token_client(handler)
    names = [a["name"] for a in api.get(f"/api/v1/matters/{m.pk}/actions").json()]
    assert "object" in names and "sign" in names
    frozen.move_to(sh(2026, 3, 10))  # 5 working days after 3 March ended on 9 March
    page = login(handler).get(url).content.decode()
    assert "退回（异议）" not in page and "签收" in page
    api = token_client(handler)  # the first token has expired meanwhile
    names = [a["name"] for a in api.get(f"/api/v1/matters/{m.pk}/actions").json()]
    assert "object" not in names and "sign" in names
    # Posted anyway: the guard's reason, not a 500 and not done.
    r = login(handler).post(reverse("matter_action", args=[m.pk, "object"]),
                                {"object-reason": "不属于本单位职责"})
    assert r.status_code == 409 and "5个工作日" in r.content.decode()


def test_badges_count_new_items_per_tab_and_clear_when_opened(login, county, frozen):
    officer = login(county.users["officer"])
    page = officer.get(reverse("queue")).content.decode()
    assert f'hx-get="{reverse("queue_badges")}?tab=all"' in page
    assert _badges(officer) == {}
    frozen.shift(timedelta(minutes=1))
    m = matter(county, "registered")
    badges = _badges(officer)
    assert badges.get("todo") == "1" and badges.get("all") == "1"
    # Opening the tab (an htmx click) clears its badge and redraws the bar out of band.
    r = officer.get(reverse("queue"), {"tab": "todo"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert 'hx-swap-oob="true"' in html and f'href="{reverse("matter", args=[m.pk])}"' in html
    badges = _badges(officer)
    assert "todo" not in badges and badges.get("all") == "1"
    # A change later makes it new again; another unit is told nothing.
    frozen.shift(timedelta(minutes=1))
    matter(county, "registered", title="路灯不亮")
    assert _badges(officer).get("todo") == "1"
    assert _badges(login(county.users["other_handler"])) == {}
