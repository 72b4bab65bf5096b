"""领导接访下访 (procedure.md §8.1, 条例 §18 ¶2) and 首问负责 (§8.4)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from tests.conftest import sh
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.domain.practice import workdays
from xinfang.petitions import clocks
from xinfang.petitions import services as ps
from xinfang.petitions.models import Clock
from xinfang.practice import access
from xinfang.practice import services as svc
from xinfang.practice.models import PreRegistration, ReceptionSlot

from .helpers import county_leader

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def test_proposed_rota_covers_every_working_day_of_the_holiday_calendar(county):
    officer = county.users["officer"]
    svc.set_leader_profile(county.users["leader"], user=officer)
    county_leader(county, "ld_a", "林书记", principal=True)
    county_leader(county, "ld_b", "周副县长")
    with time_machine.travel(sh(2026, 9, 25), tick=False):
        slots = svc.propose_schedule(county.county, date(2026, 9, 28), date(2026, 10, 16),
                                     user=officer)
    rota = sorted(s.day for s in slots if s.source == "rota")
    assert rota == workdays(clocks.calendar(), date(2026, 9, 28), date(2026, 10, 16))
    assert date(2026, 10, 10) in rota  # 调休 Saturday
    assert not any(date(2026, 10, 1) <= d <= date(2026, 10, 7) for d in rota)  # 国庆
    principal = [s.day for s in slots if s.source == "principal"]
    assert principal == [date(2026, 9, 28), date(2026, 10, 8), date(2026, 10, 12)]
    assert all(s.status == "proposed" and s.place for s in slots)
    # Proposing again adds nothing: the schedule already meets the rules.
    with time_machine.travel(sh(2026, 9, 25), tick=False):
        assert svc.propose_schedule(county.county, date(2026, 9, 28), date(2026, 10, 16),
                                    user=officer) == []
    # Only published days reach the citizen portal.
    with time_machine.travel(sh(2026, 9, 25), tick=False):
        assert not svc.published_schedule(county.county).exists()
        svc.publish_slots(slots[:3], user=officer)
        assert svc.published_schedule(county.county).count() == 3


def test_compliance_flags_the_leader_behind_the_monthly_quota(county):
    officer = county.users["officer"]
    on_track = county.users["leader"]
    svc.set_leader_profile(on_track, user=officer)
    behind = county_leader(county, "ld_b", "周副县长")
    with time_machine.travel(sh(2026, 9, 8), tick=False):
        sept = svc.add_slot(on_track, date(2026, 9, 10), user=officer, publish=True)
        svc.add_slot(behind, date(2026, 9, 15), user=officer, publish=True)  # never held
    with time_machine.travel(sh(2026, 9, 10), tick=False):
        svc.mark_held(sept, user=officer, no_visitors=True,
                      room_log="接待室登记簿：9月10日全天无群众来访")
    with time_machine.travel(sh(2026, 10, 12), tick=False):
        svc.add_slot(on_track, date(2026, 10, 20), user=on_track)
        view = svc.compliance_view(county.county, date(2026, 9, 1), date(2026, 10, 31))
    assert [p.user for p in view.behind] == [behind]
    rows = {(lc.profile.user_id, r.window_start.month): r
            for lc in view.leaders for r in lc.rows}
    assert rows[(behind.pk, 9)].status_label == "未达标"
    assert rows[(on_track.pk, 9)].status == "met"
    assert rows[(on_track.pk, 10)].status == "scheduled"
    assert any("S15" in r["source"] for r in view.rules)  # each rule shows its source
    assert date(2026, 10, 10) in view.rota_gaps  # nobody is on duty on the 调休 Saturday


def test_leader_and_office_adjust_the_schedule_but_other_units_cannot(county):
    leader, officer = county.users["leader"], county.users["officer"]
    svc.set_leader_profile(leader, user=officer)
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        slot = svc.add_slot(leader, date(2026, 3, 5), user=county.users["gov_officer"])
        slot = svc.update_slot(slot, user=leader, day=date(2026, 3, 6), topics="物业管理")
        assert slot.day == date(2026, 3, 6)
        with pytest.raises(Forbidden):
            svc.update_slot(slot, user=county.users["handler"], day=date(2026, 3, 9))
        with pytest.raises(GuardFailed, match="已有接访安排"):
            svc.add_slot(leader, date(2026, 3, 6), user=leader)
        with pytest.raises(GuardFailed, match="下访地点"):
            svc.add_slot(leader, date(2026, 3, 9), user=leader, kind="field")
        svc.cancel_slot(slot, user=officer, reason="临时公务")
        assert svc.add_slot(leader, date(2026, 3, 6), user=leader).pk != slot.pk


def test_closed_loop_visit_item_gets_its_clocks_and_reaches_the_leaders_report(county):
    """访前调查准备 → 访中会商研究 → 访后限期办结."""
    leader, officer, handler = (county.users[k] for k in ("leader", "officer", "handler"))
    zj = county.dept("住建")
    svc.set_leader_profile(leader, user=officer)
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        slot = svc.add_slot(leader, date(2026, 3, 5), user=officer, publish=True,
                            topics="城乡建设")
        p = svc.preregister(slot, name="王大明", phone="13800138000", title="小区电梯停运",
                            request="请求督促物业修复电梯", division=county.villages[0])
        with pytest.raises(GuardFailed, match="已预约"):
            svc.preregister(slot, name="王大明", phone="13800138000", title="再约",
                            request="x", division=county.villages[0])
        p = svc.triage(p, user=officer, decision="accept")
        assert p.status == "accepted" and p.brief["repeat_status"] == "初信初访"
        assert svc.preregistration_for_citizen(p.code, "13800138000") == p
    with time_machine.travel(sh(2026, 3, 5), tick=False):
        with pytest.raises(Forbidden):
            svc.record_visit(slot, leader=county_leader(county, "ld_x", "他人"), talk="x",
                             prereg=p)
        visit = svc.record_visit(slot, leader=leader, talk="物业推诿，电梯停运两月。", prereg=p)
        m = visit.matter
        assert (m.channel, m.holder, m.first_contact) == ("visit", county.gov, leader)
        assert PreRegistration.objects.get(pk=p.pk).status == "visited"
        assert ReceptionSlot.objects.get(pk=slot.pk).status == "held"
        assert list(svc.first_contact_matters(leader)) == [m]  # 首问负责
        visit = svc.assign_on_the_spot(visit, leader=leader, to_body=zj,
                                       report_due=date(2026, 3, 20), grade="yellow",
                                       instructions="三日内约谈物业")
        clk = {c.code: c.due_on for c in Clock.objects.filter(dispatch=visit.dispatch)}
        assert clk["D5"] == date(2026, 3, 20)
        assert clk["G_YELLOW"] == date(2026, 3, 9)  # 3 days → Sunday 03-08 → Monday
        assert clk["D4"] == date(2026, 3, 12)  # the statutory clocks come from the core
        [item] = svc.leader_report(leader)
        assert item.status == "open" and {c["clock"].code for c in item.clocks} == {
            "D5", "G_YELLOW"}
        with pytest.raises(GuardFailed, match="尚未办结"):
            svc.acknowledge_item(visit, leader=leader)
    with time_machine.travel(sh(2026, 3, 10), tick=False):
        assert svc.leader_report(leader)[0].status_label == "已超期"  # yellow feedback missed
        m = ps.transition(m, "sign", user=handler)
        m = ps.transition(m, "accept", user=handler, data={"route": "按§31（六）办理"})
    with time_machine.travel(sh(2026, 3, 12), tick=False):
        m = ps.transition(m, "reply", user=handler, data={
            "outcome": "supported", "facts": "属实", "opinion": "责令物业修复",
            "legal_basis": "《物业管理条例》", "served_on": "2026-03-12",
            "service_method": "当面"})
        ps.submit_report(m, user=handler, text="电梯已修复，已当面答复。")
        [item] = svc.leader_report(leader)
        assert (item.status, item.done_on) == ("done", date(2026, 3, 12))
        svc.acknowledge_item(visit, leader=leader)
        assert svc.leader_report(leader)[0].reported_back


def test_preregistration_only_for_published_days_within_capacity(county):
    leader, officer = county.users["leader"], county.users["officer"]
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        slot = svc.add_slot(leader, date(2026, 3, 5), user=officer, capacity=1)
        with pytest.raises(GuardFailed, match="不接受预约"):
            svc.preregister(slot, name="甲", phone="13800000001", title="t", request="r",
                            division=county.villages[0])
        svc.publish_slots([slot], user=officer)
        svc.preregister(slot, name="甲", phone="13800000001", title="t", request="r",
                        division=county.villages[0])
        with pytest.raises(GuardFailed, match="已满"):
            svc.preregister(slot, name="乙", phone="13800000002", title="t", request="r",
                            division=county.villages[0])


def test_brief_shows_history_and_repeat_status(county):
    from tests.petitions.helpers import register

    leader, officer = county.users["leader"], county.users["officer"]
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        old = register(county, sh(2026, 2, 1), phone="13800138000")
        ps.transition(old, "assign", user=officer, data={
            "to_body": county.dept("住建").pk, "report_due": "2026-03-30"})
        slot = svc.add_slot(leader, date(2026, 3, 5), user=officer, publish=True)
        p = svc.preregister(slot, name="王大明", phone="13800138000", title="物业又收费",
                            request="退费", division=county.villages[0])
        p = svc.triage(p, user=officer, decision="accept")
    assert [h["number"] for h in p.brief["history"]] == [old.number]
    assert p.brief["repeat_status"].startswith("重复信访（1件），1件在办")
    assert p.brief["units"] == ["安平县住房和城乡建设局"]


def test_jurisdiction_of_practice_records(county):
    leader, officer = county.users["leader"], county.users["officer"]
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        slot = svc.add_slot(leader, date(2026, 3, 5), user=officer)
    qs = ReceptionSlot.objects.all()
    assert list(access.visible(officer, qs)) == [slot]
    assert list(access.visible(county.users["city_officer"], qs)) == [slot]  # city is above
    assert not access.visible(county.users["handler"], qs).exists()  # a department
    assert not access.visible(county.users["town_handler"], qs).exists()  # a township
