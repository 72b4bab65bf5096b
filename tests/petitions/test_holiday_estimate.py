"""Issue 13 item 4: years without an official holiday table — in doubt, for the petitioner.

chinese-calendar 1.11 knows no 2027. A 处理意见书 served 2026-12-10 opens the §35 复查 window
of 30 日: 2027-01-09 is a Saturday, so it ends Monday 2027-01-11 — on an estimated table.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import matter
from xinfang.audit.models import AuditLog
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.org.models import Holiday, HolidayYear
from xinfang.petitions import clocks, jobs, services
from xinfang.petitions.models import Clock, Document, Event, Matter

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def _replied_in_december(county) -> Matter:
    with time_machine.travel(sh(2026, 12, 10), tick=False):
        # 解释说明: no §32 ¶2 follow-up clock (F1) beside the window this file is about.
        return matter(county, "replied", when=sh(2026, 12, 1), reply={"outcome": "explained"})


def _d8(m: Matter) -> Clock:
    return Clock.objects.get(matter=m, code="D8")


def test_the_sweep_does_not_close_a_review_window_that_ends_on_an_estimate(county):
    """§35: the petitioner's 30 日 are not taken away on a guessed calendar."""
    m = _replied_in_december(county)
    d8 = _d8(m)
    assert (d8.due_on, d8.estimated) == (date(2027, 1, 11), True)
    with time_machine.travel(sh(2027, 1, 12), tick=False):
        result = jobs.sweep()
        assert result.closed == 0 and result.awaiting_confirmation == 1
        m.refresh_from_db()
        assert m.state == "replied"
        view = clocks.view(_d8(m))
        assert view["state"] == "pending" and str(view["state_label"]) == "待确认"
        # The window is still open: the petitioner may still ask for 复查, without a reason
        # for lateness.
        m = services.transition(m, "request_review", citizen=True, data={"reason": "不服"})
    assert m.state == "review_requested"


def test_the_page_says_pending_and_the_supervisor_confirms_the_closure(county, login):
    m = _replied_in_december(county)
    with time_machine.travel(sh(2027, 1, 5), tick=False):
        with pytest.raises(GuardFailed, match="无需确认"):  # not lapsed yet
            services.confirm_lapse(m, user=county.users["supervisor"], reason="已核对")
    with time_machine.travel(sh(2027, 1, 12), tick=False):
        page = login("supervisor").get(reverse("matter", args=[m.pk])).content.decode()
        assert "待确认" in page and "超期" not in page.split('id="h-clocks"')[1].split(
            "</section>")[0]
        # The system alone cannot close it, nor can the handling unit confirm it.
        with pytest.raises(GuardFailed, match="须由督查或管理员确认"):
            services.transition(m, "close_lapsed", system=True)
        with pytest.raises(Forbidden):
            services.confirm_lapse(m, user=county.users["handler"], reason="已核对")
        with pytest.raises(GuardFailed, match="理由"):
            services.confirm_lapse(m, user=county.users["supervisor"], reason=" ")
        m = services.confirm_lapse(m, user=county.users["supervisor"],
                                   reason="已核对2027年节假日安排，期限确已届满")
    assert m.state == "closed" and m.closure_kind == "window_lapsed"
    event = Event.objects.filter(matter=m).latest("id")
    assert event.action == "close_lapsed" and event.actor == county.users["supervisor"]
    assert "已核对2027年节假日安排" in event.note and "D8 2027-01-11" in event.note
    row = AuditLog.objects.filter(action="close_lapsed", matter_id=m.pk).get()
    assert row.actor == county.users["supervisor"]


def test_one_holiday_row_does_not_end_the_estimate(county):
    m = _replied_in_december(county)
    Holiday.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    d8 = _d8(m)
    assert d8.estimated and d8.due_on == date(2027, 1, 11)
    with time_machine.travel(sh(2027, 1, 12), tick=False):
        assert jobs.sweep().closed == 0


def test_the_administrators_confirmation_is_audited_recomputes_and_then_the_sweep_closes(
        county, client):
    m = _replied_in_december(county)
    # The (made-up) 2027 schedule declares Monday 01-11 a holiday; the table is then confirmed.
    Holiday.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    Holiday.objects.create(date=date(2027, 1, 11), is_workday=False, name="调休")
    year = HolidayYear.objects.create(year=2027)
    client.force_login(county.users["admin"])
    r = client.post("/admin/org/holidayyear/", {"action": "confirm_complete",
                                                "_selected_action": [year.pk]})
    assert r.status_code == 302
    row = AuditLog.objects.filter(action="admin_change", object_type="org.holidayyear").get()
    assert row.data["fields"] == {"confirmed": {"old": False, "new": True}}
    assert row.actor == county.users["admin"]
    d8 = _d8(m)
    assert (d8.due_on, d8.estimated) == (date(2027, 1, 12), False)
    with time_machine.travel(sh(2027, 1, 12), tick=False):
        assert jobs.sweep().closed == 0  # 01-12 is the last day
    with time_machine.travel(sh(2027, 1, 13), tick=False):
        assert jobs.sweep().closed == 1
    assert Matter.objects.get(pk=m.pk).state == "closed"


def test_a_year_without_any_row_cannot_be_confirmed(county, client):
    year = HolidayYear.objects.create(year=2028)
    client.force_login(county.users["admin"])
    r = client.post("/admin/org/holidayyear/", {"action": "confirm_complete",
                                                "_selected_action": [year.pk]}, follow=True)
    assert "尚未录入任何节假日或调休日" in r.content.decode()
    year.refresh_from_db()
    assert not year.confirmed
    assert not AuditLog.objects.filter(object_type="org.holidayyear").exists()


def test_notices_with_an_estimated_date_say_it_is_provisional(county):
    """The 受理告知书 (D6 in 2027) and the 处理意见书 (its 复查 window in 2027) say so."""
    with time_machine.travel(sh(2026, 12, 1), tick=False):
        m = matter(county, "handling", when=sh(2026, 12, 1))
    acceptance = Document.objects.get(matter=m, kind=Document.Kind.ACCEPTANCE)
    assert acceptance.context["provisional_years"] == "2027"
    with time_machine.travel(sh(2026, 12, 10), tick=False):
        m = services.transition(m, "reply", user=county.users["handler"], data={
            "outcome": "supported", "facts": "属实", "opinion": "退还", "legal_basis": "条例",
            "served_on": "2026-12-10", "service_method": "当面"})
    opinion = Document.objects.get(matter=m, kind=Document.Kind.OPINION)
    assert opinion.context["provisional_years"] == "2027"
    from xinfang.documents.render import render_html

    html = render_html(opinion)
    assert "2027年国务院办公厅节假日安排尚未公布" in html and "暂定日期" in html
    # A notice whose dates lie in a year with a table carries no such line.
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        early = matter(county, "handling", when=sh(2026, 3, 2), phone="13911112222",
                       id_number="")
    doc = Document.objects.get(matter=early, kind=Document.Kind.ACCEPTANCE)
    assert "provisional_years" not in doc.context


def test_the_api_offers_the_confirmation_to_a_supervisor_only(county):
    from rest_framework.test import APIClient

    m = _replied_in_december(county)
    with time_machine.travel(sh(2027, 1, 12), tick=False):
        api = APIClient()
        api.force_authenticate(county.users["handler"])
        url = f"/api/v1/matters/{m.pk}/actions/confirm_lapse"
        assert api.post(url, {"reason": "已核对"}, format="json").status_code == 403
        [d8] = [c for c in api.get(f"/api/v1/matters/{m.pk}").json()["clocks"]
                if c["code"] == "D8"]
        assert d8["state"] == "pending" and d8["estimated"] is True
        api.force_authenticate(county.users["supervisor"])
        r = api.post(url, {"reason": "已核对2027年节假日安排"}, format="json")
    assert r.status_code == 200, r.content.decode()[:300]
    assert r.json()["state"] == "closed"


def test_the_matter_page_offers_the_confirmation_to_a_supervisor_only(county, login):
    m = _replied_in_december(county)
    url = reverse("matter_confirm_lapse", args=[m.pk])
    with time_machine.travel(sh(2027, 1, 12), tick=False):
        assert url not in login("officer").get(reverse("matter", args=[m.pk])).content.decode()
        assert login("officer").post(url, {"lapse-reason": "已核对"}).status_code == 403
        c = login("supervisor")
        assert url in c.get(reverse("matter", args=[m.pk])).content.decode()
        empty = c.post(url, {"lapse-reason": " "})
        assert empty.status_code == 409 and "请写明确认期限届满的理由" in empty.content.decode()
        r = c.post(url, {"lapse-reason": "已核对2027年节假日安排"})
    assert r.status_code == 302
    assert Matter.objects.get(pk=m.pk).state == "closed"
