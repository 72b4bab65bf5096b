"""Statutory deadline engine (期限计算) for 信访 matters.

Plain Python, no Django. Implements procedure.md §3 (deadline table D1–D14, simplified
procedure E1–E3), §8.3 (three-colour feedback) and the configuration defaults of §10.

Counting rules (民法典, applied by analogy, procedure.md §3.2):

- the day the period starts is not counted (§201 ¶1): due = start + N days;
- the period ends at 24:00 on the last day (§203 ¶2) — ``Due.due`` is that last day;
- if the last day is a holiday, the next workday is the last day (§203 ¶1);
- "日" in the 条例 means calendar days; only §23 ¶3 (D4) says 工作日.

Holiday data comes from ``chinese-calendar``, which only knows the years it was released for
(1.11.0: 2004–2026). Administrators can enter later State Council schedules as overrides; a
date computed without any official table for a year it touches is flagged ``estimated``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

import chinese_calendar

from xinfang.domain.i18n import gettext_noop


class DayUnit(StrEnum):
    CALENDAR = "calendar"  # 自然日
    WORKING = "working"  # 工作日


@dataclass(frozen=True)
class ClockRule:
    code: str
    name: str
    days: int
    unit: DayUnit
    article: str
    extend_on_holiday: bool = True  # 民法典 §203 by analogy; only meaningful for CALENDAR
    warn_days: int = 3  # 临期 threshold: days_left <= warn_days -> NEAR


def _rule(
    code: str, name: str, days: int, unit: DayUnit, article: str, warn: int | None = None
) -> ClockRule:
    warn_days = warn if warn is not None else (1 if days <= 5 else 3)
    return ClockRule(code, name, days, unit, article, warn_days=warn_days)


_C, _W = DayUnit.CALENDAR, DayUnit.WORKING

DEFAULT_RULES: dict[str, ClockRule] = {
    r.code: r
    for r in (
        _rule("D1", "信访部门登记处置", 15, _C, "§22"),
        _rule("D2", "直接受理书面告知", 15, _C, "§23 ¶1–2"),
        _rule("D3", "转送交办受理告知", 15, _C, "§23 ¶3"),
        _rule("D4", "转送交办异议", 5, _W, "§23 ¶3"),
        _rule("D6", "办理并出具处理意见书", 60, _C, "§34"),
        _rule("D7", "延长办理期限（最长）", 30, _C, "§34"),
        _rule("D8", "申请复查期限", 30, _C, "§35"),
        _rule("D9", "出具复查意见", 30, _C, "§35"),
        _rule("D10", "申请复核期限", 30, _C, "§36 ¶1"),
        _rule("D11", "出具复核意见（听证时间不计）", 30, _C, "§36 ¶1–2"),
        _rule("D12", "建议采纳情况书面反馈", 30, _C, "§40 ¶4（2005 §36 ¶2）"),
        _rule("D14", "建议意见类回复", 60, _C, "§29（2005 §33）"),
        _rule("E1", "简易办理逐级转送", 1, _W, "简易办理（S8）"),
        _rule("E2", "简易办理受理决定", 3, _W, "简易办理（S8）"),
        _rule("E3", "简易办理出具处理意见", 10, _W, "简易办理（S8）"),
        _rule("G_GREEN", "绿色交办反馈", 1, _C, "三色分类交办（实践）"),
        _rule("G_YELLOW", "黄色交办反馈", 3, _C, "三色分类交办（实践）"),
        _rule("G_RED", "红色交办反馈", 7, _C, "三色分类交办（实践）"),
        _rule("R1", "重新办理", 30, _C, "实践（可配置）"),
        _rule("S1", "督办反馈", 30, _C, "§40（2005 §36）"),
    )
}

# Limits the law itself writes in working days; a day_count_mode never changes them.
FIXED_WORKING_CODES = frozenset({"D4", "E1", "E2", "E3"})
GRADE_CODES: Mapping[str, str] = MappingProxyType(
    {"green": "G_GREEN", "yellow": "G_YELLOW", "red": "G_RED"}
)


@dataclass(frozen=True)
class Policy:
    """Non-clock configuration, defaults of procedure.md §10."""

    day_count_mode: DayUnit = DayUnit.CALENDAR  # §3.2
    extend_when_last_day_is_holiday: bool = True  # 民法典 §203 by analogy ⚠
    max_representatives: int = 5  # §20 ¶3
    collective_visit_min_persons: int = 5  # practice ⚠
    close_on_review_window_lapse: bool = True  # local practice ⚠ (§3.3)
    # 三色分类交办 (§8.3): grade -> feedback interval in days
    grading_scheme: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({"green": 1, "yellow": 3, "red": 7})
    )
    grading_day_unit: DayUnit | None = None  # None: follow day_count_mode

    def __post_init__(self) -> None:
        # Accept plain strings from configuration files ("calendar" / "working").
        object.__setattr__(self, "day_count_mode", DayUnit(self.day_count_mode))
        if self.grading_day_unit is not None:
            object.__setattr__(self, "grading_day_unit", DayUnit(self.grading_day_unit))
        unknown = set(self.grading_scheme) - set(GRADE_CODES)
        if unknown:
            raise ValueError(f"unknown grades in grading_scheme: {sorted(unknown)}")


def rules_with_policy(
    policy: Policy, overrides: Mapping[str, ClockRule] | None = None
) -> dict[str, ClockRule]:
    """DEFAULT_RULES adjusted to ``policy``, then ``overrides`` (by code) taken as they are.

    - ``day_count_mode="working"`` turns every calendar-day clock into a working-day clock;
      D4 and E1–E3 are working days in any mode (§23 ¶3, S8).
    - ``extend_when_last_day_is_holiday`` sets ``extend_on_holiday`` on all rules.
    - the grading scheme sets the days of G_GREEN / G_YELLOW / G_RED; their unit is
      ``grading_day_unit`` or, when that is None, the day_count_mode.
    """
    mode = policy.day_count_mode
    rules: dict[str, ClockRule] = {}
    for code, rule in DEFAULT_RULES.items():
        unit = _W if code in FIXED_WORKING_CODES else mode
        rules[code] = replace(
            rule, unit=unit, extend_on_holiday=policy.extend_when_last_day_is_holiday
        )
    grade_unit = policy.grading_day_unit or mode
    for grade, days in policy.grading_scheme.items():
        code = GRADE_CODES[grade]
        rules[code] = replace(
            rules[code], days=days, unit=grade_unit, warn_days=1 if days <= 5 else 3
        )
    rules.update(overrides or {})
    return rules


@lru_cache(maxsize=64)
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class HolidayCalendar:
    """Workdays of the PRC: chinese-calendar (with 调休 days), then administrator overrides.

    ``overrides`` maps a date to ``is_workday`` (e.g. the 2027 State Council schedule: the
    holidays as False, the make-up Saturdays/Sundays as True). Overrides win. A year with no
    package data and no override falls back to Monday–Friday.
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._override_years = frozenset(d.year for d in self._overrides)

    def has_official_data(self, year: int) -> bool:
        return year in self._override_years or _package_knows(year)

    def is_workday(self, d: date) -> bool:
        if d in self._overrides:
            return self._overrides[d]
        if _package_knows(d.year):
            return bool(chinese_calendar.is_workday(d))
        return d.weekday() < 5  # Mon–Fri fallback: no official table for this year

    def is_holiday(self, d: date) -> bool:
        return not self.is_workday(d)

    def next_workday(self, d: date) -> date:
        """``d`` itself if it is a workday, else the first workday after it."""
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th workday after ``start``; the start day is not counted (民法典 §201 ¶1)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        d = start
        while n:
            d += timedelta(days=1)
            if self.is_workday(d):
                n -= 1
        return d

    def years_estimated(self, first: date, last: date) -> bool:
        """True if any year from ``first`` to ``last`` has no official holiday table."""
        return any(not self.has_official_data(y) for y in range(first.year, last.year + 1))


@dataclass(frozen=True)
class Due:
    due: date  # the last day; the deadline ends at 24:00 (民法典 §203 ¶2)
    unextended: date  # before the holiday extension (dashboards warn with it)
    estimated: bool  # a year consulted had no official holiday table


def compute_due(
    start: date,
    rule: ClockRule,
    cal: HolidayCalendar,
    *,
    paused_days: int = 0,
    extra_days: int = 0,
) -> Due:
    """Last day of the period ``rule`` starting at ``start``.

    Calendar days: ``start + days + extra_days + paused_days`` (start day not counted,
    民法典 §201 ¶1). If ``rule.extend_on_holiday`` and that day is not a workday, the due date
    moves to the next workday (§203 ¶1 by analogy). Design choice: §203 speaks of a
    "法定休假日"; this is read, as usual, to include ordinary weekends (休息日), so the due date
    is moved past *any* non-working day, while a 调休 working Saturday is not moved.

    Working days: ``add_working_days(start, days + extra_days)``, then ``paused_days`` more
    working days. ``unextended == due`` since a working-day period ends on a workday.

    ``extra_days``: an approved extension (D7, §34). ``paused_days``: time not counted
    (hearing in 复核, §36 ¶2), in the rule's unit.

    ``estimated`` is True when the holiday calendar was consulted for a year without an
    official table (calendar days without extension never consult it).
    """
    if paused_days < 0 or extra_days < 0:
        raise ValueError("paused_days and extra_days must be >= 0")
    if rule.unit == DayUnit.WORKING:
        due = cal.add_working_days(start, rule.days + extra_days + paused_days)
        return Due(due, due, cal.years_estimated(start, due))
    unextended = start + timedelta(days=rule.days + extra_days + paused_days)
    if not rule.extend_on_holiday:
        return Due(unextended, unextended, False)
    due = cal.next_workday(unextended)
    return Due(due, unextended, cal.years_estimated(unextended, due))


class ClockState(StrEnum):
    NORMAL = "normal"
    NEAR = "near"
    OVERDUE = "overdue"
    MET = "met"


STATE_LABELS: dict[ClockState, str] = {
    ClockState.NORMAL: gettext_noop("正常"),
    ClockState.NEAR: gettext_noop("临期"),
    ClockState.OVERDUE: gettext_noop("超期"),
    ClockState.MET: gettext_noop("已办结"),
}


def days_left(due: date, today: date) -> int:
    """Days until the due date: 0 on the due day itself, negative when overdue."""
    return (due - today).days


def clock_state(due: date, today: date, warn_days: int, met_on: date | None = None) -> ClockState:
    """MET once the action is done (see ``met_in_time``); the due day itself is not overdue
    (the period ends at 24:00, 民法典 §203 ¶2)."""
    if met_on is not None:
        return ClockState.MET
    left = days_left(due, today)
    if left < 0:
        return ClockState.OVERDUE
    if left <= warn_days:
        return ClockState.NEAR
    return ClockState.NORMAL


def met_in_time(due: date, met_on: date) -> bool:
    """Whether an action done on ``met_on`` kept the deadline (the due day counts)."""
    return met_on <= due
