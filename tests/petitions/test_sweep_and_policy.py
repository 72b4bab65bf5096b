"""The scheduler sweep and administrator-maintained calendars and time limits."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import sh
from tests.scenario import matter
from xinfang.org.models import ClockPolicy, Holiday, HolidayYear
from xinfang.petitions import jobs, services
from xinfang.petitions.models import Clock, Matter, Supervision

from .helpers import register

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def test_sweep_marks_near_and_overdue_and_is_idempotent(county):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        overdue = register(county, sh(2026, 3, 2))
    with time_machine.travel(sh(2026, 3, 14), tick=False):
        near = register(county, sh(2026, 3, 14), phone="13900000001",
                        id_number="", title="村道坑洼")
    with time_machine.travel(sh(2026, 3, 27), tick=False):
        first = jobs.sweep()
        snapshot = sorted(Clock.objects.values_list("id", "alert"))
        second = jobs.sweep()
        assert sorted(Clock.objects.values_list("id", "alert")) == snapshot
    # D1 of the first matter ended 03-17 (overdue); the second's ends 03-30 (临期, 3 days left).
    assert Clock.objects.get(matter=overdue, code="D1").alert == "overdue"
    assert Clock.objects.get(matter=near, code="D1").alert == "near"
    assert first.overdue == 1 and first.supervisions == 1 and first.reminders == 1
    assert second.supervisions == 0 and second.reminders == 0
    assert Supervision.objects.filter(matter=overdue, kind="overdue").count() == 1
    assert Matter.objects.get(pk=overdue.pk).supervised


def test_sweep_closes_a_matter_whose_review_window_lapsed(county):
    """Local rule (京 §37 (三)), on by default: no 复查 request within 30 日 → closed."""
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = matter(county, "replied", when=sh(2026, 3, 2), reply={
            "outcome": "explained", "facts": "f", "opinion": "o", "legal_basis": "b",
            "served_on": "2026-03-02", "service_method": "当面"})
    with time_machine.travel(sh(2026, 4, 1), tick=False):
        jobs.sweep()
        assert Matter.objects.get(pk=m.pk).state == "replied"  # 04-01 is the last day
    with time_machine.travel(sh(2026, 4, 2), tick=False):
        result = jobs.sweep()
    m.refresh_from_db()
    assert result.closed == 1 and m.state == "closed" and m.closure_kind == "window_lapsed"


def test_sweep_command_prints_json(county, capsys):
    call_command("sweep")
    assert '"overdue"' in capsys.readouterr().out


def test_holiday_year_entered_by_an_administrator(county):
    """chinese-calendar knows no 2027; an administrator enters the State Council schedule and
    confirms it complete (issue 13 item 4: the rows alone leave the estimate on)."""
    with time_machine.travel(sh(2026, 12, 20), tick=False):
        m = register(county, sh(2026, 12, 20))
        d1 = Clock.objects.get(matter=m, code="D1")
        assert d1.due_on == date(2027, 1, 4) and d1.estimated  # rule-based estimate
        # 2027-01-04 declared a holiday (made-up schedule for the test): the clock follows.
        Holiday.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
        Holiday.objects.create(date=date(2027, 1, 4), is_workday=False, name="元旦调休")
        d1.refresh_from_db()
        assert d1.due_on == date(2027, 1, 5) and d1.estimated
        HolidayYear.objects.create(year=2027, confirmed=True)
        d1.refresh_from_db()
    assert d1.due_on == date(2027, 1, 5) and not d1.estimated
    assert Matter.objects.get(pk=m.pk).next_due == date(2027, 1, 5)


def test_a_holiday_writes_only_the_clocks_it_moves(county):
    """An administrator entering a year's ~30 holidays: each save moves the open clocks whose
    span it falls in, and leaves every other clock and matter unwritten (each save had
    rewritten every open clock and refreshed every open matter's counters)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(sh(2026, 12, 20), tick=False):
        m = register(county, sh(2026, 12, 20))  # D1 ends 2027-01-04 (rule-based estimate)
        other = register(county, sh(2026, 12, 20), phone="13900000001", id_number="",
                         title="村道坑洼")
        with CaptureQueriesContext(connection) as far:
            Holiday.objects.create(date=date(2027, 5, 3), is_workday=False, name="劳动节")
        with CaptureQueriesContext(connection) as near:
            Holiday.objects.create(date=date(2027, 1, 4), is_workday=False, name="元旦调休")

    def writes(ctx: CaptureQueriesContext) -> list[str]:
        return [q["sql"] for q in ctx.captured_queries
                if q["sql"].startswith("UPDATE") and "petitions_" in q["sql"]]

    assert writes(far) == []  # outside every open clock's span: nothing written
    assert Clock.objects.get(matter=m, code="D1").due_on == date(2027, 1, 5)
    assert Matter.objects.get(pk=m.pk).next_due == date(2027, 1, 5)
    assert Matter.objects.get(pk=other.pk).next_due == date(2027, 1, 5)
    moved = writes(near)
    assert any("petitions_clock" in q for q in moved)
    assert any("petitions_matter" in q for q in moved)  # next_due follows


def test_changing_a_time_limit_recomputes_open_clocks(county):
    """Local variant as configuration, e.g. a 5-working-day intake limit (浙 §20)."""
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        assert Clock.objects.get(matter=m, code="D1").due_on == date(2026, 3, 17)
        ClockPolicy.objects.create(code="D1", name="信访部门登记处置", days=5, unit="working",
                                   article="浙 §20")
    d1 = Clock.objects.get(matter=m, code="D1")
    assert d1.due_on == date(2026, 3, 9) and d1.article == "浙 §20"


def test_repeat_by_the_same_id_number_is_marked_and_linked(county):
    """§8.6: the same petitioner again → 重复信访, linked to the original."""
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        first = register(county, sh(2026, 3, 2))
    with time_machine.travel(sh(2026, 3, 3), tick=False):
        again = register(county, sh(2026, 3, 3), phone="13700000000")
    assert first.repeat_kind == "first"
    assert again.repeat_kind == "repeat" and again.repeat_of_id == first.pk


def test_raised_above_a_lower_body_that_still_handles_it_is_a_repeat_not_a_level_skip(county):
    """§19 ¶3: raised at the city while the county's matter is open → a repeat (N1 is proposed,
    tests/intel/test_repeats_by_matter.py); the city is the next level up, so not 越级."""
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        first = register(county, sh(2026, 3, 2))
    with time_machine.travel(sh(2026, 3, 5), tick=False):
        upper = services.register(
            __import__("tests.petitions.helpers", fromlist=["registration"]).registration(
                county, when=sh(2026, 3, 5)),
            holder=county.city_xinfang)
    assert upper.repeat_kind == "repeat" and upper.repeat_of_id == first.pk
    assert not upper.level_skip


def test_collective_visit_allows_at_most_five_representatives(county):
    """§20 ¶3."""
    from xinfang.petitions.services import PetitionerIn, ValidationFailed

    from .helpers import registration

    reps = [PetitionerIn(name=f"代表{i}", phone=f"1380000000{i}", is_representative=True)
            for i in range(6)]
    with pytest.raises(ValidationFailed, match="不得超过5人"):
        services.register(registration(county, when=sh(2026, 3, 2), petitioners=reps,
                                       headcount=40), holder=county.xinfang)
    m = services.register(registration(county, when=sh(2026, 3, 2), petitioners=reps[:5],
                                       headcount=40), holder=county.xinfang)
    assert m.is_collective and m.headcount == 40 and m.petitioners.count() == 5


def test_matter_numbers_are_unique_across_bodies_of_one_county(county):
    """The 信访局 and the county government register in the same year without clashing."""
    from .helpers import registration

    a = services.register(registration(county, when=sh(2026, 3, 2)), holder=county.xinfang)
    b = services.register(registration(county, when=sh(2026, 3, 2), phone="13311112222",
                                       id_number=""), holder=county.gov)
    assert a.number != b.number and a.number[:10] == b.number[:10] == "9901212026"


def test_the_admin_refuses_a_longer_statutory_limit_and_audits_a_stricter_one(county, client):
    from xinfang.audit.models import AuditLog

    admin = county.users["admin"]
    client.force_login(admin)
    url = "/admin/org/clockpolicy/add/"
    data = {"code": "D6", "name": "办理并出具处理意见书", "days": 90, "unit": "calendar",
            "extend_on_holiday": "on", "warn_days": 3, "article": "§34"}
    r = client.post(url, data)
    assert r.status_code == 200 and "只能缩短" in r.content.decode()
    assert not ClockPolicy.objects.filter(code="D6").exists()
    r = client.post(url, {**data, "days": 45})
    assert r.status_code == 302 and ClockPolicy.objects.get(code="D6").days == 45
    assert AuditLog.objects.filter(object_type__icontains="clockpolicy").exists()
