"""System checks (xinfang/org/checks.py): what a deployment lacks, said at start-up."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import sh
from xinfang.org.checks import W001, holiday_table_for_this_year
from xinfang.org.models import Holiday

pytestmark = pytest.mark.django_db


def test_a_year_without_the_official_holiday_table_warns_and_names_the_year():
    with time_machine.travel(sh(2026, 12, 31), tick=False):
        assert holiday_table_for_this_year(databases=["default"]) == []  # chinese-calendar has 2026
    with time_machine.travel(sh(2099, 1, 1), tick=False):
        [warning] = holiday_table_for_this_year(databases=["default"])
    assert warning.id == W001 == "xinfang.W001" and warning.is_serious() is False
    assert "2099 年没有官方节假日安排" in warning.msg and "按周一至周五估算" in warning.msg
    assert "2099 State Council schedule" in warning.hint


def test_the_schedule_entered_by_an_administrator_silences_it():
    Holiday.objects.create(date=date(2099, 1, 1), is_workday=False, name="元旦")
    with time_machine.travel(sh(2099, 3, 1), tick=False):
        assert holiday_table_for_this_year(databases=["default"]) == []
    with time_machine.travel(sh(2100, 3, 1), tick=False):
        assert [w.id for w in holiday_table_for_this_year(databases=["default"])] == [W001]


def test_xinfang_check_prints_the_warning(capsys):
    with time_machine.travel(sh(2099, 6, 1), tick=False):
        call_command("check")
    assert "xinfang.W001" in capsys.readouterr().err
