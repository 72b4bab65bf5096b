"""System checks: `xinfang check`, and every `runserver`/`migrate`, warn about what is missing.

xinfang.W001 — this year has no official holiday table (§10 of procedure.md: deadlines count
working days; 民法典 §203 moves a last day off a holiday). Without the table every deadline of
the year is computed Monday–Friday and flagged 估算 (Clock.estimated).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.db import DatabaseError
from django.utils import timezone

from xinfang.domain.deadlines import HolidayCalendar

W001 = "xinfang.W001"


def _entered_by_an_administrator(year: int, databases: Sequence[str] | None) -> bool:
    """Holiday rows for ``year`` (the State Council schedule entered under 节假日)."""
    from .models import Holiday

    for alias in databases or ["default"]:
        try:
            if Holiday.objects.using(alias).filter(date__year=year).exists():
                return True
        except DatabaseError:  # before `migrate`: nothing entered yet
            continue
    return False


@checks.register()
def holiday_table_for_this_year(app_configs: Sequence[AppConfig] | None = None,
                                databases: Sequence[str] | None = None,
                                **kwargs: Any) -> list[checks.CheckMessage]:
    year = timezone.localdate().year
    if HolidayCalendar().has_official_data(year) or _entered_by_an_administrator(year, databases):
        return []
    return [checks.Warning(
        f"{year} 年没有官方节假日安排：本年的期限按周一至周五估算（标记为“估算”）。",
        hint=(f"No official holiday table for {year}: upgrade chinese-calendar, or have an "
              f"administrator enter the {year} State Council schedule under 节假日 "
              "(/admin/org/holiday/)."),
        id=W001,
    )]
