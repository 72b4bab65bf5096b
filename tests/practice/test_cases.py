"""包案 (四定四包), 积案, 挂牌督办, 新官理旧账 and the daily/weekly/monthly reports (§8.2)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from tests.conftest import sh
from tests.petitions.helpers import ID_B, register
from tests.scenario import advance
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.petitions.models import Matter, Supervision
from xinfang.petitions.services import ValidationFailed
from xinfang.practice import services as svc
from xinfang.practice.models import Case, CaseLog

from .helpers import county_leader

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def _case(county, m, **kw):
    args = dict(user=county.users["officer"], task="化解物业收费纠纷", leader=county.users["leader"],
                handler=county.users["handler"], due_on=date(2026, 4, 30), plan="约谈、核账、答复")
    args.update(kw)
    return svc.open_case(m, **args)


def test_four_fixes_are_required_and_four_duties_are_tracked_with_evidence(county):
    leader, handler, sup = (county.users[k] for k in ("leader", "handler", "supervisor"))
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        with pytest.raises(ValidationFailed) as e:
            _case(county, m, handler=None, due_on=None)
        assert set(e.value.errors) == {"handler", "due_on"}
        with pytest.raises(GuardFailed, match="领导干部"):
            _case(county, m, leader=county.users["unit_head"])
        case = _case(county, m)
        with pytest.raises(GuardFailed, match="同类包案"):
            _case(county, m)
        with pytest.raises(GuardFailed, match="佐证"):
            svc.record_milestone(case, "investigate", user=handler, evidence="")
        with pytest.raises(GuardFailed, match="先完成"):
            svc.record_milestone(case, "settle", user=leader, evidence="承诺书")
        with pytest.raises(Forbidden):
            svc.record_milestone(case, "investigate", user=county.users["other_handler"],
                                 evidence="x")
        svc.record_milestone(case, "investigate", user=handler, evidence="核对收费台账")
        svc.record_milestone(case, "handle", user=leader, evidence="责令退费")
        advance(county, m, "replied")  # 销号 only once the matter is answered (issue 17)
        with pytest.raises(GuardFailed, match="包息诉罢访"):
            svc.propose_closure(case, user=leader, criterion="settled", statement="已退费")
        svc.record_milestone(case, "educate", user=leader, evidence="释法明理")
        svc.record_milestone(case, "settle", user=leader, evidence="信访人签署息诉罢访承诺书")
        view = svc.case_view(case)
        assert [d["milestone"] is not None for d in view["duties"]] == [True] * 4
        case = svc.propose_closure(case, user=leader, criterion="settled",
                                   statement="息诉罢访承诺书")
        with pytest.raises(Forbidden):
            svc.sign_off(case, user=leader)  # the owner cannot sign off their own case
        case = svc.sign_off(case, user=sup)
    assert case.status == "closed" and case.signed_off_by == sup
    assert list(CaseLog.objects.filter(case=case).values_list("action", flat=True)) == [
        "open", "milestone", "milestone", "milestone", "milestone", "propose_closure",
        "sign_off"]
    ranking = svc.weekly_ranking(county.county, date(2026, 3, 2))
    assert ranking["leaders"][0].stats.name == "陈县长" and ranking["leaders"][0].stats.cleared == 1


def test_backlog_promotion_by_age_and_by_repeat_after_final(county):
    officer, sup = county.users["officer"], county.users["supervisor"]
    old_open = register(county, sh(2026, 1, 2), id_number=ID_B, phone="13900000009",
                        title="企业改制社保")
    final = register(county, sh(2025, 10, 1))
    Matter.objects.filter(pk=final.pk).update(state="final", closed_at=sh(2026, 1, 10))
    repeat = register(county, sh(2026, 2, 1))  # same petitioner after 终结
    assert repeat.repeat_of == final
    with time_machine.travel(sh(2026, 4, 1), tick=False):  # 89 days: not yet
        found = {c.matter.pk: c for c in svc.backlog_candidates(county.county)}
        assert set(found) == {final.pk}
    with time_machine.travel(sh(2026, 4, 10), tick=False):
        found = {c.matter.pk: c for c in svc.backlog_candidates(county.county)}
        assert found[old_open.pk].reason_label == "超过规定时长未办结"
        assert found[final.pk].reason == "repeat_after_final"
        assert found[final.pk].trigger == repeat
        with pytest.raises(GuardFailed, match="不符合"):
            svc.promote_backlog(repeat, user=officer, leader=county.users["leader"],
                                handler=county.users["handler"], due_on=date(2026, 6, 30),
                                plan="方案")
        case = svc.promote_backlog(final, user=officer, leader=county.users["leader"],
                                   handler=county.users["handler"], due_on=date(2026, 6, 30),
                                   plan="一案一策：释法明理、困难救助", team=[county.users["officer"]])
        assert case.kind == "backlog" and case.trigger_matter == repeat
        assert {c.matter.pk for c in svc.backlog_candidates(county.county)} == {old_open.pk}
        backlog = svc.promote_backlog(old_open, user=officer, leader=county.users["leader"],
                                      handler=county.users["other_handler"],
                                      due_on=date(2026, 6, 30), plan="人社牵头测算")
        svc.list_for_supervision(backlog, user=sup, note="县级挂牌督办")
        assert Supervision.objects.filter(matter=old_open, kind="manual").exists()
        assert Matter.objects.get(pk=old_open.pk).supervised
        with pytest.raises(GuardFailed, match="尚未经复核终结"):
            svc.propose_closure(backlog, user=county.users["leader"], criterion="terminated",
                                statement="x")
        case = svc.propose_closure(case, user=county.users["leader"], criterion="terminated",
                                   statement="复核意见书已送达，依法终结")
        case = svc.sign_off(case, user=sup)
        assert case.status == "closed" and case.criterion == "terminated"
        agenda = svc.build_agenda(county.county)
        assert any(i["kind"] == "backlog" and "【挂牌】" in i["title"] for i in agenda)


def test_handover_moves_every_open_case_and_leaves_none_orphaned(county):
    officer, old = county.users["officer"], county.users["leader"]
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        c1 = _case(county, register(county, sh(2026, 3, 2)))
        c2 = _case(county, register(county, sh(2026, 3, 2), phone="13900000001", id_number="",
                                    title="村道"), team=[old], leader=county.users["leader"])
        new = county_leader(county, "ld_new", "接任县长")
        old.is_active = False  # changed post before the hand-over
        old.save()
        assert {c.pk for c in svc.orphaned_cases(county.county)} == {c1.pk, c2.pk}
        with pytest.raises(GuardFailed, match="领导干部"):
            svc.handover(old, county.users["other_handler"], user=officer, reason="调任")
        h = svc.handover(old, new, user=officer, reason="职务调整（新官理旧账）")
    assert set(h.cases.values_list("pk", flat=True)) == {c1.pk, c2.pk}
    assert not svc.open_cases_of(old).exists()
    assert set(svc.open_cases_of(new).values_list("pk", flat=True)) == {c1.pk, c2.pk}
    assert list(Case.objects.get(pk=c2.pk).team.all()) == [new]
    assert not svc.orphaned_cases(county.county).exists()
    assert CaseLog.objects.filter(action="handover").count() == 2


def test_daily_digest_and_monthly_bulletin(county):
    officer = county.users["officer"]
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        _case(county, m, due_on=date(2026, 3, 10))
    with time_machine.travel(sh(2026, 3, 20), tick=False):
        m2 = register(county, sh(2026, 3, 20), phone="13900000001", id_number="", title="噪声")
        from xinfang.petitions import services as ps
        ps.transition(m2, "forward", user=officer, data={"to_body": county.dept("人社").pk})
        digest = {(o["kind"], o["name"]): o for o in svc.daily_digest(county.county)}
        bulletin = svc.monthly_bulletin(county.county, 2026, 3)
    leader = digest[("leader", "陈县长")]
    assert leader["overdue"][0]["days"] == 10
    assert digest[("body", "安平县人力资源和社会保障局")]["new"][0]["matter"] == m2.number
    assert digest[("body", "安平县信访局")]["overdue"]  # m's D1 ended 03-17
    assert bulletin["matters"]["received"] == 2
    assert bulletin["cases"]["opened"] == 1
    assert bulletin["matters"]["deadlines_kept"].endswith("）")
