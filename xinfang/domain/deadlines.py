"""Statutory deadline engine (期限计算) for 信访 matters.

Plain Python, no Django. Implements procedure.md §3 (deadline table D1–D14, simplified
procedure E1–E3), §8.3 (three-colour feedback) and the configuration defaults of §10.

Counting rules (民法典, applied by analogy, procedure.md §3.2):

- the day the period starts is not counted (§201 ¶1): due = start + N days;
- the period ends at 24:00 on the last day (§203 ¶2) — ``Due.due`` is that last day;
- if the last day is a holiday, the next workday is the last day (§203 ¶1);
- "日" in the 条例 means calendar days; only §23 ¶3 (D4) says 工作日.

Holiday data comes from ``chinese-calendar``, which only knows the years it was released for
(1.11.0: 2004–2026). A later year is *official* only once an administrator has entered the
State Council schedule (``Holiday`` rows, which win over everything) and confirmed that the
year's table is complete (``HolidayYear.confirmed``); one entered row does not make a year
official. Until then the year is *estimated* (issue 13 item 4, "in doubt, for the petitioner"):

- the statutory holidays are computed by rule with the ``holidays`` package (元旦, 春节 from
  除夕, 清明, 劳动节, 端午, 中秋, 国庆, with 补假 on the next workday when one falls on a
  weekend), plus any rows the administrator has already entered;
- 调休: the package knows no make-up working days for a year without an official schedule, so
  the estimate has none: every Saturday and Sunday is a rest day. Against the schedule that
  will be published, the estimate misses the longer 春节/国庆 blocks (a day it counts as a
  workday may turn out a holiday: a body's deadline comes out *shorter*, which is for the
  petitioner) and may count a make-up Saturday as rest (one day longer);
- every date that consulted such a year is flagged ``estimated``; a window the *petitioner* has
  (D8, D10) is never closed on an estimated end (``window_open``), a person confirms it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

import chinese_calendar
from holidays.countries.china import China as _China

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
        _rule("D15", "检举控告办理反馈", 60, _C, "§30（依规依纪依法；实践，可配置）"),
        _rule("D16", "依法履行职责或者答复", 60, _C, "§31（五）（参照行政诉讼法 §47，可配置）"),
        # An answer with no 复查 route stays open this long for the petitioner's rating
        # (§21 ¶2), then the sweep closes it (答复办结).
        _rule("V1", "评价期限", 30, _C, "§21 ¶2（实践，可配置）"),
        # §32 ¶2: a supported request is carried out; the handling body reports it done.
        _rule("F1", "督促落实支持意见", 30, _C, "§32 ¶2（实践，可配置）"),
        _rule("E1", "简易办理逐级转送", 1, _W, "简易办理（S8）"),
        _rule("E2", "简易办理受理决定", 3, _W, "简易办理（S8）"),
        _rule("E3", "简易办理出具处理意见", 10, _W, "简易办理（S8）"),
        _rule("G_GREEN", "绿色交办反馈", 1, _C, "三色分类交办（实践）"),
        _rule("G_YELLOW", "黄色交办反馈", 3, _C, "三色分类交办（实践）"),
        _rule("G_RED", "红色交办反馈", 7, _C, "三色分类交办（实践）"),
        _rule("R1", "重新办理", 30, _C, "实践（可配置）"),
        # 责令重新办理 by a 复查 (R2) or a 复核 (R3) body sets its own limit (鲁 §45); the
        # default when it names none is XINFANG_REVIEW_RULES["redo_days"].
        _rule("R2", "责令重新作出处理意见", 30, _C, "§35；鲁 §45、京 §50"),
        _rule("R3", "责令重新作出复查意见", 30, _C, "§36；鲁 §45、京 §50"),
        _rule("S1", "督办反馈", 30, _C, "§40（2005 §36）"),
    )
}

# Limits the law itself writes in working days; a day_count_mode never changes them.
FIXED_WORKING_CODES = frozenset({"D4", "E1", "E2", "E3"})
GRADE_CODES: Mapping[str, str] = MappingProxyType(
    {"green": "G_GREEN", "yellow": "G_YELLOW", "red": "G_RED"}
)


# Limits the 条例 sets on a body: a local rule may make them stricter, never longer.
STATUTORY_BODY_LIMITS = frozenset({"D1", "D2", "D3", "D4", "D6", "D7", "D9", "D11"})
# Windows the 条例 gives the petitioner (§35, §36 ¶1): never shorter.
STATUTORY_WINDOWS = frozenset({"D8", "D10"})


def policy_refusal(code: str, days: int, unit: DayUnit | str,
                   extend_on_holiday: bool) -> str | None:
    """Why a configured limit breaks the 条例, or None. A body's statutory limit may be
    shortened (a stricter local rule) but not lengthened — more days, working instead of
    calendar days; the petitioner's windows may not be shortened (in doubt, for the
    petitioner). Practice limits (重办, 督办, 三色, 简易办理 …) are free."""
    rule = DEFAULT_RULES.get(code)
    if rule is None or code not in STATUTORY_BODY_LIMITS | STATUTORY_WINDOWS:
        return None
    unit = DayUnit(unit)
    if code in STATUTORY_BODY_LIMITS:
        if days > rule.days:
            return (f"{code}{rule.name}为法定期限（{rule.article}，{rule.days}日），"
                    "本地规定只能缩短，不能延长")
        # N working days take N × 7/5 calendar days in an ordinary week (浙 §20's 5 工作日
        # against §22's 15 日 is stricter).
        if rule.unit == DayUnit.CALENDAR and unit == DayUnit.WORKING and -(-days * 7 // 5) > rule.days:
            return (f"{code}{rule.name}为法定期限（{rule.article}，{rule.days}日）：{days}个工作日"
                    "长于法定期限，本地规定只能缩短")
        return None
    if (days < rule.days or (rule.unit == DayUnit.WORKING and unit == DayUnit.CALENDAR)
            or (rule.extend_on_holiday and not extend_on_holiday)):
        return (f"{code}{rule.name}是信访人的法定请求期限（{rule.article}，{rule.days}日），"
                "不得缩短")
    return None


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


@lru_cache(maxsize=16)
def estimated_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """The rule-based estimate of ``year`` from the ``holidays`` package: (statutory rest days,
    make-up working days). For a year without the State Council schedule the second set is
    empty (the package has no 调休 for it); ``weekend_workdays`` also carries dates of other
    years from its static table, hence the filter (recipes §13)."""
    cn = _China(years=year, language="zh_CN")  # type: ignore[no-untyped-call]
    rest = frozenset(d for d in cn if d.year == year)
    workdays = frozenset(d for d in cn.weekend_workdays if d.year == year)
    return rest, workdays


class HolidayCalendar:
    """Workdays of the PRC: administrator overrides, then chinese-calendar (with 调休 days),
    then, for a year neither knows as complete, the rule-based estimate.

    ``overrides`` maps a date to ``is_workday`` (e.g. the 2027 State Council schedule: the
    holidays as False, the make-up Saturdays/Sundays as True). Overrides always win.
    ``confirmed_years``: years whose table an administrator confirmed complete; in such a year
    a day without an override is a workday Monday to Friday. Any other year the package does
    not know is estimated (module docstring).
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None,
                 confirmed_years: Iterable[int] = ()) -> None:
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._confirmed = frozenset(confirmed_years)
        # chinese-calendar validates each date against its whole table (a max() over every
        # holiday it knows): a day's answer is kept, the calendar being immutable once built.
        self._known: dict[date, bool] = {}

    def has_official_data(self, year: int) -> bool:
        """The package's table, or one an administrator confirmed complete."""
        return year in self._confirmed or _package_knows(year)

    def is_workday(self, d: date) -> bool:
        known = self._known.get(d)
        if known is None:
            known = self._known[d] = self._is_workday(d)
        return known

    def _is_workday(self, d: date) -> bool:
        if d in self._overrides:
            return self._overrides[d]
        if _package_knows(d.year):
            return bool(chinese_calendar.is_workday(d))
        if d.year not in self._confirmed:
            rest, workdays = estimated_year(d.year)
            if d in rest:
                return False
            if d in workdays:
                return True
        return d.weekday() < 5

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


def hearing_refusal(*, requested_on: date, hearing_on: date, recheck_received_on: date,
                    due_on: date, today: date) -> str | None:
    """Why a §36 ¶2 hearing may not start (pause D11) with these dates, or None.

    §36 ¶2: "复核机关、单位可以按照本条例第三十一条第六项的规定举行听证 … 听证所需时间不计算在
    前款规定的期限内". The time not counted is the time the hearing takes, so:

    1. the request (the petitioner's application, or the 复核 body's own proposal) belongs to
       this 复核: not before the 复核 request was received, and not after today;
    2. a hearing does not start before it was requested;
    3. the pause starts when the hearing actually starts: ``hearing_on`` is not in the future
       (it is recorded on or after the day it begins, so a hearing merely planned never stops
       the clock in advance), and the clock runs again on the day ``end_hearing`` is recorded;
       the days from the start to the end are not counted (``resume``);
    4. the hearing starts within the 30 日 of §36 ¶1 (on or before the due date): a period
       that has run out cannot be suspended, a late 复核 body stays late.
    """
    if requested_on < recheck_received_on:
        return (f"听证申请（提议）日期不能早于收到复核请求之日（{recheck_received_on:%Y-%m-%d}），"
                "听证属于本次复核（§36 ¶2）")
    if requested_on > today:
        return "听证申请（提议）日期不能晚于今天"
    if hearing_on < requested_on:
        return f"听证开始日期不能早于申请（提议）日期（{requested_on:%Y-%m-%d}）"
    if hearing_on > today:
        return ("听证尚未开始：复核期限自听证实际开始之日起中止计算，请在听证开始当日或之后登记"
                "（§36 ¶2）")
    if hearing_on > due_on:
        return (f"复核期限已于{due_on:%Y-%m-%d}届满，听证不能使已届满的期限中止计算"
                "（§36 ¶1–2）")
    return None


class ClockState(StrEnum):
    NORMAL = "normal"
    NEAR = "near"
    OVERDUE = "overdue"
    MET = "met"
    PAUSED = "paused"  # §36 ¶2: hearing time is not counted; never 超期 while paused
    PENDING = "pending"  # a petitioner's window past an estimated end: 待确认, still open


STATE_LABELS: dict[ClockState, str] = {
    ClockState.NORMAL: gettext_noop("正常"),
    ClockState.NEAR: gettext_noop("临期"),
    ClockState.OVERDUE: gettext_noop("超期"),
    ClockState.MET: gettext_noop("已办结"),
    ClockState.PAUSED: gettext_noop("中止计算"),
    ClockState.PENDING: gettext_noop("待确认"),
}


def days_left(due: date, today: date) -> int:
    """Days until the due date: 0 on the due day itself, negative when overdue."""
    return (due - today).days


def window_open(due: date, today: date, estimated: bool) -> bool:
    """Whether a window the petitioner has (D8 §35, D10 §36 ¶1) is still open on ``today``.

    In doubt, for the petitioner (issue 13 item 4): when its end was computed from an
    estimated holiday table, it does not lapse by itself. It stays open until an
    administrator confirms the year's table (the clock is recomputed and lapses on the
    official date) or a supervisor confirms the closure (``confirm_lapse``)."""
    return today <= due or estimated


def clock_state(due: date, today: date, warn_days: int, met_on: date | None = None, *,
                paused: bool = False, provisional_end: bool = False) -> ClockState:
    """MET once the action is done (see ``met_in_time``); the due day itself is not overdue
    (the period ends at 24:00, 民法典 §203 ¶2). A paused clock (§36 ¶2) is PAUSED whatever its
    date. ``provisional_end``: a petitioner's window whose end is estimated; past that end it
    is PENDING (待确认), not lapsed (``window_open``)."""
    if met_on is not None:
        return ClockState.MET
    if paused:
        return ClockState.PAUSED
    left = days_left(due, today)
    if left < 0:
        return ClockState.PENDING if provisional_end else ClockState.OVERDUE
    if left <= warn_days:
        return ClockState.NEAR
    return ClockState.NORMAL


def met_in_time(due: date, met_on: date) -> bool:
    """Whether an action done on ``met_on`` kept the deadline (the due day counts)."""
    return met_on <= due
