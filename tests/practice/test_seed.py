"""The demo county's practice data comes from seed_practice (called by the demo seeder)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from tests.conftest import sh
from xinfang.audit.services import verify
from xinfang.practice import services as svc
from xinfang.practice.models import (
    Case,
    CaseMilestone,
    DisputeEntry,
    PreRegistration,
    ReceptionSlot,
)
from xinfang.practice.seed import seed_practice

pytestmark = pytest.mark.django_db


def test_seed_populates_schedule_preregistrations_cases_and_ledger(county):
    today = date(2026, 11, 18)
    with time_machine.travel(sh(2026, 11, 18), tick=False):
        counts = seed_practice(county, today)
        view = svc.compliance_view(county.county, date(2026, 10, 19), date(2026, 11, 30), today)
        report = svc.leader_report(county.users["leader"])
        overview = svc.screening_overview(county.county, today)
    assert counts["slots"] > 30 and ReceptionSlot.objects.filter(status="published").exists()
    assert PreRegistration.objects.count() == 3
    assert Case.objects.filter(kind="backlog", listed=True).count() == 1
    assert CaseMilestone.objects.count() == 2
    assert DisputeEntry.objects.filter(status="converted").count() == 1
    assert [p.user.display_name for p in view.behind] == ["周副县长"]
    assert sorted(i.status for i in report) == ["done", "open"]
    assert any(r["status"].overdue for r in overview)
    assert verify().ok


@pytest.mark.parametrize("day", [1, 2])
def test_seed_works_at_the_start_of_a_month(county, day):
    """The demo may be started on any day: no screening is ever dated after today."""
    today = date(2026, 12, day)
    with time_machine.travel(sh(2026, 12, day), tick=False):
        seed_practice(county, today)
    from xinfang.practice.models import ScreeningRound

    assert not ScreeningRound.objects.filter(conducted_on__gt=today).exists()
