"""The 交办 办结报告 (D5, §22 ¶1 (3)) is met by the report, not by closing the matter."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from tests.conftest import sh
from xinfang.petitions import services
from xinfang.petitions.models import Clock

from .helpers import register

pytestmark = pytest.mark.django_db


def _assign(county, grade: str = "yellow"):
    m = register(county, sh(2026, 3, 2))
    return services.transition(m, "assign", user=county.users["officer"], data={
        "to_body": county.dept("住建").pk, "report_due": "2026-03-20", "grade": grade})


def test_closing_a_matter_leaves_the_report_owed_until_it_is_submitted(county):
    handler = county.users["handler"]
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = _assign(county)
        m = services.transition(m, "sign", user=handler)
        m = services.transition(m, "accept", user=handler, data={"route": "§31（六）"})
    with time_machine.travel(sh(2026, 3, 10), tick=False):
        m = services.transition(m, "mediate", user=handler, data={
            "agreement": "物业退费", "agreement_kind": "mediation", "other_party": "物业公司",
            "consent": "both"})
        assert m.state == "closed"
        d5 = Clock.objects.get(matter=m, code="D5")
        assert d5.met_on is None  # the 办结报告 is still owed (§22 ¶1 (3))
        assert Clock.objects.get(matter=m, code="D6").met_on == date(2026, 3, 10)
    with time_machine.travel(sh(2026, 3, 25), tick=False):
        services.submit_report(m, user=handler, text="调解结案，已退费")
    d5.refresh_from_db()
    assert d5.met_on == date(2026, 3, 25) and d5.met_on > d5.due_on  # late, and it shows


def test_an_upheld_objection_relieves_the_unit_of_its_report(county):
    with time_machine.travel(sh(2026, 3, 3), tick=False):
        m = _assign(county)
        m = services.transition(m, "object", user=county.users["handler"],
                                data={"reason": "不属于本单位职责"})
        m = services.transition(m, "uphold_objection", user=county.users["officer"],
                                data={"reason": "经核实不属该单位职责"})
    open_codes = set(Clock.objects.filter(matter=m, met_on__isnull=True)
                     .values_list("code", flat=True))
    assert open_codes == {"D1"}  # neither D5 nor G_YELLOW stays owed by 住建
