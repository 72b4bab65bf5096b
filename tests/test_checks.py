"""System checks (xinfang/org/checks.py): what a deployment lacks, said at start-up."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import sh
from xinfang.org.checks import W001, holiday_table_for_this_year
from xinfang.org.models import Holiday, HolidayYear

pytestmark = pytest.mark.django_db


def _years(at):
    with time_machine.travel(at, tick=False):
        return [w.msg[:4] for w in holiday_table_for_this_year(databases=["default"])]


def test_a_year_without_the_official_holiday_table_warns_and_names_the_year():
    assert _years(sh(2026, 6, 1)) == []  # chinese-calendar has 2026; 2027 is out of reach
    with time_machine.travel(sh(2099, 1, 1), tick=False):
        [warning] = holiday_table_for_this_year(databases=["default"])
    assert warning.id == W001 == "xinfang.W001" and warning.is_serious() is False
    assert "2099 年没有经确认的官方节假日安排" in warning.msg and "估算" in warning.msg
    assert "2099 State Council schedule" in warning.hint and "holidayyear" in warning.hint


def test_the_next_year_warns_once_deadlines_reach_it():
    """Deadlines computed in December fall in the coming year (60 日 + 30 日, §34)."""
    assert _years(sh(2026, 12, 7)) == ["2027"]
    assert _years(sh(2026, 9, 1)) == []


def test_holiday_rows_alone_do_not_silence_it_the_confirmation_does():
    Holiday.objects.create(date=date(2099, 1, 1), is_workday=False, name="元旦")
    assert _years(sh(2099, 3, 1)) == ["2099"]
    HolidayYear.objects.create(year=2099, confirmed=True)
    assert _years(sh(2099, 3, 1)) == []
    assert _years(sh(2099, 12, 1)) == ["2100"]
    assert _years(sh(2100, 3, 1)) == ["2100"]


def test_xinfang_check_prints_the_warning(capsys):
    with time_machine.travel(sh(2099, 6, 1), tick=False):
        call_command("check")
    assert "xinfang.W001" in capsys.readouterr().err
