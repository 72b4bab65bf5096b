"""Source prevention: 矛盾纠纷排查台账 (§8.9), 三调联动 (§37 ¶1), 稳评 (§8.8), meetings."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from tests.conftest import sh
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.petitions.services import PetitionerIn, Registration, ValidationFailed
from xinfang.practice import access
from xinfang.practice import services as svc
from xinfang.practice.models import DisputeEntry

pytestmark = pytest.mark.django_db


def test_screening_cadence_villages_half_monthly_townships_monthly(county):
    officer, town = county.users["officer"], county.users["town_handler"]
    v0, v1 = county.villages[0], county.villages[1]  # both in 城关镇
    t0, t1 = county.townships[0], county.townships[1]
    with time_machine.travel(sh(2026, 1, 20), tick=False):
        svc.configure(county.county, user=officer, screening_since=date(2026, 1, 1))
        svc.record_screening(v0, user=town, on=date(2026, 1, 5))
        svc.record_screening(v1, user=town, on=date(2026, 1, 5))
        svc.record_screening(v1, user=town, on=date(2026, 1, 20))
        svc.record_screening(t0, user=town, on=date(2026, 1, 20))
        with pytest.raises(Forbidden):  # 城关镇 staff cannot screen another township
            svc.record_screening(t1, user=town)
        with pytest.raises(Forbidden):  # a department is not the screening body
            svc.record_screening(v0, user=county.users["handler"])
    with time_machine.travel(sh(2026, 2, 1), tick=False):
        rows = {r["division"].pk: r for r in svc.screening_overview(county.county)}
    assert rows[v0.pk]["status"].overdue  # missed 01-16..01-31
    assert rows[v0.pk]["status"].missed == ((date(2026, 1, 16), date(2026, 1, 31)),)
    assert not rows[v1.pk]["status"].overdue and rows[v1.pk]["status"].next_due == date(2026, 2, 15)
    assert not rows[t0.pk]["status"].overdue and rows[t0.pk]["period_label"] == "每月"
    assert rows[t1.pk]["status"].overdue  # never screened in January
    assert rows[county.county.pk]["status"].overdue
    assert v0.pk not in {r["division"].pk for r in svc.screening_overview(county.townships[1])}


def test_dispute_ledger_resolution_and_conversion_into_a_matter(county):
    officer, town = county.users["officer"], county.users["town_handler"]
    v0 = county.villages[0]
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        with pytest.raises(ValidationFailed) as e:
            svc.add_dispute(v0, user=town, title="宅基地纠纷", parties="张某、李某",
                            risk_grade="medium")
        assert "responsible" in e.value.errors
        e1 = svc.add_dispute(v0, user=town, title="宅基地边界纠纷", parties="张某、李某",
                             risk_grade="medium", responsible=town, measures="现场勘界")
        svc.follow_up_dispute(e1, user=town, note="已组织双方到场")
        with pytest.raises(GuardFailed, match="调解协议"):
            svc.resolve_dispute(e1, user=town, resolution="达成一致", mediation_kind="people")
        e1 = svc.resolve_dispute(e1, user=town, resolution="达成一致", mediation_kind="people",
                                 agreement="以现有围墙为界")
        assert (e1.status, e1.get_mediation_kind_display()) == ("resolved", "人民调解")
        e2 = svc.add_dispute(v0, user=town, title="养殖场异味", parties="居民20户",
                             risk_grade="high", responsible_body=county.dept("城管"))
        m = svc.convert_dispute(e2, user=officer, holder=county.xinfang, registration=Registration(
            channel="visit", title="养殖场异味扰民", request="请求关停养殖场",
            content="夏季异味严重", division=v0, received_at=datetime(2026, 3, 2, 9, tzinfo=sh(2026, 3, 2).tzinfo),
            petitioners=[PetitionerIn(name="居民代表", phone="13800000003")]))
        e2.refresh_from_db()
        assert (e2.status, e2.matter) == ("converted", m) and m.state == "registered"
        with pytest.raises(GuardFailed, match="已转为信访事项"):
            svc.resolve_dispute(e2, user=town, resolution="x")
        agenda = svc.build_agenda(county.county)
    assert not any(i["kind"] == "dispute" for i in agenda)  # the high one is now a matter
    qs = DisputeEntry.objects.all()
    assert access.visible(town, qs).count() == 2  # its own township
    assert access.visible(county.users["handler"], qs).count() == 0
    assert access.visible(county.users["other_handler"], qs).count() == 0
    assert list(access.visible(county.users["town_handler"], qs.filter(pk=e2.pk))) == [e2]


def test_risk_assessment_and_meeting_decisions_tracked_to_done(county):
    officer = county.users["officer"]
    zj, rs = county.dept("住建"), county.dept("人社")
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        with pytest.raises(GuardFailed, match="高风险"):
            svc.record_assessment(user=officer, project="垃圾焚烧厂", division=county.county,
                                  body=county.gov, assessed_on=date(2026, 3, 1),
                                  risks="邻避", grade="high", measures="公示",
                                  decision="implement")
        a = svc.record_assessment(user=officer, project="垃圾焚烧厂", division=county.county,
                                  body=county.gov, assessed_on=date(2026, 3, 1), risks="邻避",
                                  grade="high", measures="扩大公示、听证", decision="postpone")
        from tests.petitions.helpers import register
        m = register(county, sh(2026, 3, 2))
        svc.link_matter_to_assessment(a, m, user=officer)
        assert list(m.risk_assessments.all()) == [a]
        meeting = svc.record_meeting(
            user=officer, kind="analysis", division=county.county, body=county.gov,
            held_on=date(2026, 3, 2), title="3月信访形势分析研判会",
            decisions=[svc.DecisionIn("物业专项整治", zj, date(2026, 3, 10)),
                       svc.DecisionIn("社保补缴方案", rs, date(2026, 3, 20))])
        d1, d2 = meeting.decisions.order_by("due_on")
    with time_machine.travel(sh(2026, 3, 12), tick=False):
        with pytest.raises(Forbidden):
            svc.complete_decision(d2, user=county.users["handler"], evidence="x")  # not 人社
        svc.complete_decision(d2, user=county.users["other_handler"], evidence="方案已报县政府")
        digest = {(o["kind"], o["name"]): o for o in svc.daily_digest(county.county)}
        assert digest[("body", zj.name)]["overdue"][0]["type"] == "decision"
        assert ("body", rs.name) not in digest
        open_ = svc.open_decisions(county.county)
        assert [(o["decision"].pk, o["overdue"]) for o in open_] == [(d1.pk, True)]
        agenda = svc.build_agenda(county.county)
        assert any(i["kind"] == "decision" for i in agenda)
