"""§24: one matter handled by several units, each dispatch with its own clocks and record."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from tests.conftest import sh
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.petitions import services
from xinfang.petitions.models import Clock, Dispatch

from .helpers import register

pytestmark = pytest.mark.django_db


def test_lead_and_assist_units_have_their_own_clocks_and_replies(county):
    zj, rs = county.dept("住建"), county.dept("人社")
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        m = services.transition(m, "assign", user=county.users["officer"], data={
            "to_body": zj.pk, "report_due": "2026-04-15", "assist_bodies": [rs.pk]})
    lead = Dispatch.objects.get(matter=m, role="lead")
    assist = Dispatch.objects.get(matter=m, role="assist")
    assert lead.to_body == zj and assist.to_body == rs
    assert Clock.objects.filter(dispatch=assist, code__in=["D3", "D4"]).count() == 2
    other = county.users["other_handler"]  # 人社 handler
    with time_machine.travel(sh(2026, 3, 3), tick=False):
        with pytest.raises(Forbidden):
            services.assist_sign(assist, user=county.users["handler"])  # 住建 is not the assist
        services.assist_sign(assist, user=other)
        services.assist_reply(assist, user=other, text="涉及欠薪部分已核实")
    assist.refresh_from_db()
    assert assist.state == "replied" and assist.assist_reply == "涉及欠薪部分已核实"
    assert not Clock.objects.filter(dispatch=assist, met_on__isnull=True).exists()
    # The lead unit's own clocks still run.
    assert Clock.objects.filter(dispatch=lead, met_on__isnull=True, code="D3").exists()


def test_assist_unit_objects_only_within_five_working_days(county):
    """§23 ¶3."""
    zj, rs = county.dept("住建"), county.dept("人社")
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        services.transition(m, "forward", user=county.users["officer"],
                            data={"to_body": zj.pk, "assist_bodies": [rs.pk]})
    assist = Dispatch.objects.get(matter=m, role="assist")
    with time_machine.travel(sh(2026, 3, 10), tick=False):
        with pytest.raises(GuardFailed, match="5个工作日"):
            services.assist_object(assist, user=county.users["other_handler"], reason="不相关")
    with time_machine.travel(sh(2026, 3, 9), tick=False):
        services.assist_object(assist, user=county.users["other_handler"], reason="不相关")
    assert Dispatch.objects.get(pk=assist.pk).state == "objected"


def test_assign_demands_a_closure_report_by_the_set_date(county):
    """§22 ¶1 (3): 交办 → result and 办结报告 within the set limit."""
    zj, handler = county.dept("住建"), county.users["handler"]
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        m = services.transition(m, "assign", user=county.users["officer"], data={
            "to_body": zj.pk, "report_due": "2026-03-20", "grade": "yellow"})
        assert Clock.objects.get(matter=m, code="G_YELLOW").due_on == date(2026, 3, 5)
        m = services.transition(m, "sign", user=handler)
        with pytest.raises(GuardFailed, match="受理后方可"):
            services.submit_report(m, user=handler, text="已处理")
        m = services.transition(m, "accept", user=handler, data={"route": "§31（六）"})
        services.submit_report(m, user=handler, text="已责令物业退费，信访人表示认可")
    d5 = Clock.objects.get(matter=m, code="D5")
    assert d5.due_on == date(2026, 3, 20) and d5.met_on == date(2026, 3, 2)
