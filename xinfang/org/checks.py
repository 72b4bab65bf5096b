"""System checks: `xinfang check`, and every `runserver`/`migrate`, warn about what is missing.

xinfang.W001 — the current year, or the next one once deadlines computed today can reach it,
has no confirmed official holiday table (§10 of procedure.md: deadlines count working days;
民法典 §203 moves a last day off a holiday). Without it every deadline touching that year is
computed from a rule-based estimate and flagged (Clock.estimated), and a petitioner's 复查/复核
window ending in it is never closed by the sweep (issue 13 item 4). A year is confirmed when
chinese-calendar knows it or an administrator confirmed its table complete (年度节假日表确认);
holiday rows alone do not confirm it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.db import DatabaseError
from django.utils import timezone

from xinfang.domain.deadlines import HolidayCalendar

W001 = "xinfang.W001"

# How far ahead a deadline computed today can reach: the 60 日 of §34 plus its extension of
# at most 30 日. From that many days before 1 January, the coming year matters.
REACH_DAYS = 90


def _confirmed_years(databases: Sequence[str] | None) -> set[int]:
    """Years an administrator confirmed complete (HolidayYear)."""
    from .models import HolidayYear

    years: set[int] = set()
    for alias in databases or ["default"]:
        try:
            years |= set(HolidayYear.objects.using(alias).filter(confirmed=True)
                         .values_list("year", flat=True))
        except DatabaseError:  # before `migrate`: nothing confirmed yet
            continue
    return years


def years_to_confirm(today: date, confirmed: set[int]) -> list[int]:
    """This year and, once deadlines computed today can reach it, the next, where unconfirmed."""
    cal = HolidayCalendar(confirmed_years=confirmed)
    years = {today.year, (today + timedelta(days=REACH_DAYS)).year}
    return sorted(y for y in years if not cal.has_official_data(y))


@checks.register()
def holiday_table_for_this_year(app_configs: Sequence[AppConfig] | None = None,
                                databases: Sequence[str] | None = None,
                                **kwargs: Any) -> list[checks.CheckMessage]:
    missing = years_to_confirm(timezone.localdate(), _confirmed_years(databases))
    return [checks.Warning(
        f"{year} 年没有经确认的官方节假日安排：涉及该年的期限按规则估算的节假日计算并标记为"
        "估算，信访人的复查、复核请求期限不会因估算的届满日被自动结案。",
        hint=(f"No confirmed holiday table for {year}: upgrade chinese-calendar, or have an "
              f"administrator enter the {year} State Council schedule under 节假日与调休 "
              "(/admin/org/holiday/) and confirm it complete under 年度节假日表确认 "
              "(/admin/org/holidayyear/)."),
        id=W001,
    ) for year in missing]
