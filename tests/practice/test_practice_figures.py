"""Practice figures that were wrong on main (issue 17 item 6): reception compliance, 包案 销号,
the daily list, 会议议定事项 and "近12个月"."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import matter, register
from xinfang.domain.errors import GuardFailed
from xinfang.petitions import clocks
from xinfang.petitions.models import Matter
from xinfang.practice import services as svc
from xinfang.practice.models import ReceptionSlot

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def test_a_reception_day_counts_only_with_a_recorded_talk_or_a_recorded_empty_day(county):
    officer, leader = county.users["officer"], county.users["leader"]
    svc.set_leader_profile(leader, user=officer)
    with time_machine.travel(sh(2026, 9, 8), tick=False):
        slot = svc.add_slot(leader, date(2026, 9, 10), user=officer, publish=True)
    with time_machine.travel(sh(2026, 9, 10), tick=False):
        with pytest.raises(GuardFailed, match="接谈记录"):
            svc.mark_held(slot, user=officer)  # nothing recorded
        # A day marked held with nothing recorded (as main allowed) is not 达标.
        ReceptionSlot.objects.filter(pk=slot.pk).update(status="held")
    with time_machine.travel(sh(2026, 10, 12), tick=False):
        view = svc.compliance_view(county.county, date(2026, 9, 1), date(2026, 9, 30))
        row = next(r for lc in view.leaders if lc.profile.user_id == leader.pk for r in lc.rows)
        assert (row.held, row.status) == (0, "behind")
        b = svc.monthly_bulletin(county.county, 2026, 9)
        assert b["reception"]["days_held"] == 0
    # The same day recorded as "no visitors" with the room log's entry counts.
    ReceptionSlot.objects.filter(pk=slot.pk).update(status="published")
    with time_machine.travel(sh(2026, 9, 10), tick=False):
        svc.mark_held(slot, user=officer, no_visitors=True, room_log="接待室登记簿：全天无来访")
    with time_machine.travel(sh(2026, 10, 12), tick=False):
        view = svc.compliance_view(county.county, date(2026, 9, 1), date(2026, 9, 30))
        row = next(r for lc in view.leaders if lc.profile.user_id == leader.pk for r in lc.rows)
        assert (row.held, row.status) == (1, "met")


def test_a_case_is_not_signed_off_while_its_matter_is_open(county):
    leader, handler, sup = (county.users[k] for k in ("leader", "handler", "supervisor"))
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))  # 待处置
        case = svc.open_case(m, user=county.users["officer"], task="化解", leader=leader,
                             handler=handler, due_on=date(2026, 4, 30))
        for duty, who in (("investigate", handler), ("handle", leader), ("educate", leader),
                          ("settle", leader)):
            svc.record_milestone(case, duty, user=who, evidence="佐证")
        with pytest.raises(GuardFailed, match="尚未办理答复"):
            svc.propose_closure(case, user=leader, criterion="settled", statement="承诺书")
    # Answered: it may be proposed; a 复查 request before sign-off stops the sign-off.
    with time_machine.travel(sh(2026, 3, 20), tick=False):
        clocks.invalidate()
        from tests.scenario import advance

        m = advance(county, Matter.objects.get(pk=m.pk), "replied")
        case = svc.propose_closure(case, user=leader, criterion="settled", statement="承诺书")
        advance(county, m, "review_requested")
        with pytest.raises(GuardFailed, match="复查"):
            svc.sign_off(case, user=sup)


def test_the_daily_list_counts_only_open_matters_deadlines(county):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        open_one = register(county, sh(2026, 3, 2), phone="13911112222", id_number="")
    Matter.objects.filter(pk=m.pk).update(state="closed", closure_kind="not_accepted")
    with time_machine.travel(sh(2026, 4, 1), tick=False):
        rows = svc.daily_digest(county.county, date(2026, 4, 1))
    listed = {i["matter"] for r in rows for i in r["overdue"]}
    assert open_one.number in listed and m.number not in listed


def test_meeting_decisions_are_late_only_after_their_due_date(county):
    officer = county.users["officer"]
    with time_machine.travel(sh(2026, 9, 2), tick=False):
        svc.record_meeting(user=officer, kind="joint", division=county.county,
                           body=county.xinfang, held_on=date(2026, 9, 2), title="联席会议",
                           decisions=[svc.DecisionIn("排查物业纠纷", county.dept("住建"),
                                                     date(2026, 9, 25))])
        b = svc.monthly_bulletin(county.county, 2026, 9)
    assert b["decisions"]["kept"] == "—（0/0）" and b["decisions"]["late"] == 0
    with time_machine.travel(sh(2026, 9, 28), tick=False):
        b = svc.monthly_bulletin(county.county, 2026, 9)
    assert b["decisions"]["kept"] == "0%（0/1）" and b["decisions"]["late"] == 1


def test_near_twelve_months_on_the_dashboard_is_the_last_twelve_months(county, login):
    with time_machine.travel(sh(2025, 3, 15), tick=False):
        matter(county, when=sh(2025, 3, 15))
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        data = login("leader").get(reverse("dashboard_data")).json()
    assert data["total"] == 1 and data["months"][0] == "2025-03"
