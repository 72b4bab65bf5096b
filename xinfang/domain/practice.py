"""Practice mechanisms (procedure.md §8): reception rules, 包案, 积案, screening, 稳评.

Plain Python, no Django. Everything here is configuration with defaults and a source and
certainty mark per default (procedure.md §0), so the admin UI can show where a rule comes
from before anyone relies on it:

- leaders' reception frequency per tier, the county's daily duty rota, the principal leader's
  Monday morning and an optional fixed monthly reception day (§8.1; 条例 §18 ¶2 sets no
  frequency);
- the schedule proposal and the compliance computation ("who is behind");
- 四定四包 for 包案 (§8.2) and the backlog (积案) criteria, closure criteria and ranking;
- the screening cadence of the dispute ledger (§8.9);
- 稳评 grades and decisions (§8.8) and the three kinds of mediation (§37 ¶1).
"""

from __future__ import annotations

import calendar as _calendar
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Protocol

from xinfang.domain.i18n import gettext_noop


class WorkdayCalendar(Protocol):
    """What the rules need from xinfang.domain.deadlines.HolidayCalendar."""

    def is_workday(self, d: date) -> bool: ...


class Certainty(StrEnum):
    """procedure.md §0."""

    LAW = "LAW"
    NAT = "NAT"
    LOCAL = "LOCAL"
    PRACTICE = "PRACTICE"
    UNCERTAIN = "UNCERTAIN"


CERTAINTY_LABELS = {
    Certainty.LAW: gettext_noop("法规（已核对）"),
    Certainty.NAT: gettext_noop("国家文件"),
    Certainty.LOCAL: gettext_noop("地方规定"),
    Certainty.PRACTICE: gettext_noop("实践做法"),
    Certainty.UNCERTAIN: gettext_noop("⚠ 未核实，待确认"),
}


# --------------------------------------------------------------------------- periods


class Period(StrEnum):
    WEEK = "week"
    HALF_MONTH = "half_month"
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


PERIOD_LABELS = {
    Period.WEEK: gettext_noop("每周"),
    Period.HALF_MONTH: gettext_noop("每半月"),
    Period.MONTH: gettext_noop("每月"),
    Period.QUARTER: gettext_noop("每季度"),
    Period.HALF_YEAR: gettext_noop("每半年"),
    Period.YEAR: gettext_noop("每年"),
}


def _month_end(y: int, m: int) -> date:
    return date(y, m, _calendar.monthrange(y, m)[1])


def period_window(period: Period, d: date) -> tuple[date, date]:
    """The period containing ``d``: (first day, last day), both inclusive.

    Weeks run Monday–Sunday; half-months are the 1st–15th and the 16th–month end; quarters
    and half-years follow the calendar year.
    """
    if period == Period.WEEK:
        start = d - timedelta(days=d.weekday())
        return start, start + timedelta(days=6)
    if period == Period.HALF_MONTH:
        if d.day <= 15:
            return date(d.year, d.month, 1), date(d.year, d.month, 15)
        return date(d.year, d.month, 16), _month_end(d.year, d.month)
    if period == Period.MONTH:
        return date(d.year, d.month, 1), _month_end(d.year, d.month)
    months = {Period.QUARTER: 3, Period.HALF_YEAR: 6, Period.YEAR: 12}[period]
    first = (d.month - 1) // months * months + 1
    return date(d.year, first, 1), _month_end(d.year, first + months - 1)


def windows(period: Period, start: date, end: date) -> list[tuple[date, date]]:
    """Every period window that overlaps [start, end], in order."""
    out: list[tuple[date, date]] = []
    d = start
    while d <= end:
        w = period_window(period, d)
        out.append(w)
        d = w[1] + timedelta(days=1)
    return out


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def workdays(cal: WorkdayCalendar, start: date, end: date) -> list[date]:
    """Working days in [start, end] by the holiday calendar (调休 Saturdays included)."""
    return [d for d in days(start, end) if cal.is_workday(d)]


# --------------------------------------------------------------------------- reception rules


class Tier(StrEnum):
    """Which frequency rule a leader falls under (§8.1)."""

    PROVINCE = "province"
    CITY = "city"
    DEPARTMENT = "department"
    COUNTY = "county"
    TOWNSHIP = "township"


TIER_LABELS = {
    Tier.PROVINCE: gettext_noop("省级领导"),
    Tier.CITY: gettext_noop("市级领导"),
    Tier.DEPARTMENT: gettext_noop("部门领导"),
    Tier.COUNTY: gettext_noop("县级领导"),
    Tier.TOWNSHIP: gettext_noop("乡镇（街道）领导"),
}


class Session(StrEnum):
    AM = "am"
    PM = "pm"
    DAY = "day"


SESSION_LABELS = {Session.AM: gettext_noop("上午"), Session.PM: gettext_noop("下午"), Session.DAY: gettext_noop("全天")}


class SlotSource(StrEnum):
    """Why a reception day is on the schedule."""

    ROTA = "rota"  # county leader on duty every working day
    PRINCIPAL = "principal"  # principal leader's weekly morning
    QUOTA = "quota"  # the tier's minimum frequency
    FIXED_DAY = "fixed_day"  # the place's fixed monthly reception day
    MANUAL = "manual"  # added by a leader or their office


SLOT_SOURCE_LABELS = {
    SlotSource.ROTA: gettext_noop("县领导每日轮值"),
    SlotSource.PRINCIPAL: gettext_noop("主要领导固定接访"),
    SlotSource.QUOTA: gettext_noop("按频次要求排定"),
    SlotSource.FIXED_DAY: gettext_noop("固定接访日"),
    SlotSource.MANUAL: gettext_noop("人工安排"),
}


@dataclass(frozen=True)
class FrequencyRule:
    """At least ``min_days`` reception days per ``period`` for leaders of ``tier``."""

    tier: Tier
    period: Period
    min_days: int
    source: str
    certainty: Certainty
    note: str = ""

    @property
    def label(self) -> str:
        return f"{TIER_LABELS[self.tier]}{PERIOD_LABELS[self.period]}至少接访{self.min_days}天"


_U, _N, _L = Certainty.UNCERTAIN, Certainty.NAT, Certainty.LOCAL

DEFAULT_FREQUENCY: Mapping[Tier, FrequencyRule] = MappingProxyType({
    Tier.PROVINCE: FrequencyRule(
        Tier.PROVINCE, Period.HALF_YEAR, 1, "S14（2014，据称）", _U,
        "2009年（S13）：中央和省级领导视工作需要接访；S14 数字未核实"),
    Tier.CITY: FrequencyRule(
        Tier.CITY, Period.QUARTER, 1, "S13（2009）约每季度1天；S14", _N,
        "地市领导约每季度1天（S13 新闻摘要）"),
    Tier.DEPARTMENT: FrequencyRule(
        Tier.DEPARTMENT, Period.QUARTER, 1, "S14（2014，据称）", _U,
        "S13 仅称部门领导“定期”接访；每季度数字未核实"),
    Tier.COUNTY: FrequencyRule(
        Tier.COUNTY, Period.MONTH, 1, "S13（2009）县委书记、县长约每月1天；S15（甘肃2018）", _N,
        "县级主要领导每月至少1次"),
    Tier.TOWNSHIP: FrequencyRule(
        Tier.TOWNSHIP, Period.WEEK, 1, "S14（2014，据称）", _U,
        "S13、S15：乡镇（街道）领导随时接访；每周数字未核实"),
})


@dataclass(frozen=True)
class RuleNote:
    """Source and certainty of a non-frequency reception rule, for the admin UI."""

    label: str
    source: str
    certainty: Certainty


ROTA_NOTE = RuleNote("每个工作日有一名县级领导在接访场所接待群众",
                     "S15（甘肃2018）；临泽县2020", Certainty.LOCAL)
PRINCIPAL_NOTE = RuleNote("县委、县政府主要领导每周一上午接访", "议题要求（地方做法）",
                          Certainty.UNCERTAIN)
FIXED_DAY_NOTE = RuleNote("每月固定接访日（如15日）", "地方做法，按地方配置",
                          Certainty.UNCERTAIN)


@dataclass(frozen=True)
class ReceptionConfig:
    """One place's reception configuration (procedure.md §10 ``reception_frequency``)."""

    frequency: Mapping[Tier, FrequencyRule] = field(default_factory=lambda: DEFAULT_FREQUENCY)
    daily_rota: bool = True
    rota_tier: Tier = Tier.COUNTY
    principal_weekday: int | None = 0  # 0 = Monday; None = off
    principal_session: Session = Session.AM
    fixed_monthly_day: int | None = None  # e.g. 15; None = the place has none

    def __post_init__(self) -> None:
        if self.principal_weekday is not None and not 0 <= self.principal_weekday <= 6:
            raise ValueError("principal_weekday must be 0–6")
        if self.fixed_monthly_day is not None and not 1 <= self.fixed_monthly_day <= 28:
            raise ValueError("fixed_monthly_day must be 1–28")


@dataclass(frozen=True)
class LeaderRef:
    id: int
    name: str
    tier: Tier
    principal: bool = False  # 党委、政府主要负责同志
    on_rota: bool = True


@dataclass(frozen=True)
class Slot:
    leader_id: int
    day: date
    session: Session = Session.DAY
    source: SlotSource = SlotSource.MANUAL


def _first_workday_from(cal: WorkdayCalendar, d: date, last: date) -> date | None:
    while d <= last:
        if cal.is_workday(d):
            return d
        d += timedelta(days=1)
    return None


def fixed_day_in(cal: WorkdayCalendar, year: int, month: int, day: int) -> date | None:
    """The fixed reception day of a month, moved to the next workday of that month."""
    return _first_workday_from(cal, date(year, month, day), _month_end(year, month))


def propose_schedule(
    leaders: Sequence[LeaderRef],
    start: date,
    end: date,
    cal: WorkdayCalendar,
    config: ReceptionConfig | None = None,
    existing: Iterable[Slot] = (),
) -> list[Slot]:
    """New slots for [start, end] that, with ``existing``, meet every configured rule.

    Order of work, each step seeing what the earlier ones placed:

    1. the principal leaders of the rota tier on ``principal_weekday`` morning (if that day
       is not a workday: the next workday of the same week);
    2. the daily rota: every working day of the holiday calendar (国庆 skipped, 调休
       Saturdays included) gets one on-rota leader of the rota tier for the whole day, the
       leader with the fewest rota days so far taking it;
    3. each leader's minimum frequency per period window, on the fixed monthly day first
       (for monthly or longer periods) and otherwise on the least loaded workday.

    Days already on ``existing`` (also outside [start, end], for windows that straddle it)
    count; nothing is proposed twice for one leader on one day.
    """
    cfg = config or ReceptionConfig()
    existing = list(existing)
    taken: dict[int, set[date]] = {ld.id: set() for ld in leaders}
    load: Counter[date] = Counter()
    rota_count: Counter[int] = Counter()
    covered: set[date] = set()
    tier_of = {ld.id: ld.tier for ld in leaders}
    for s in existing:
        taken.setdefault(s.leader_id, set()).add(s.day)
        load[s.day] += 1
        if s.source == SlotSource.ROTA or (
            s.session == Session.DAY and tier_of.get(s.leader_id) == cfg.rota_tier
        ):
            covered.add(s.day)
            rota_count[s.leader_id] += s.source == SlotSource.ROTA
    new: list[Slot] = []

    def add(ld: LeaderRef, d: date, session: Session, source: SlotSource) -> None:
        new.append(Slot(ld.id, d, session, source))
        taken[ld.id].add(d)
        load[d] += 1

    work = workdays(cal, start, end)
    if cfg.principal_weekday is not None:
        principals = [ld for ld in leaders if ld.principal and ld.tier == cfg.rota_tier]
        for ws, we in windows(Period.WEEK, start, end):
            target = ws + timedelta(days=cfg.principal_weekday)
            if target < start:
                continue  # a week already under way when the range starts
            d = _first_workday_from(cal, target, min(we, end))
            if d is None:
                continue
            for ld in principals:
                if d not in taken[ld.id]:
                    add(ld, d, cfg.principal_session, SlotSource.PRINCIPAL)
    if cfg.daily_rota:
        pool = [ld for ld in leaders if ld.on_rota and ld.tier == cfg.rota_tier]
        for d in work:
            if d in covered or not pool:
                continue
            free = [ld for ld in pool if d not in taken[ld.id]] or pool
            ld = min(free, key=lambda x: (rota_count[x.id], pool.index(x)))
            if d in taken[ld.id]:
                continue  # everyone already receives that day in another session
            add(ld, d, Session.DAY, SlotSource.ROTA)
            rota_count[ld.id] += 1
            covered.add(d)
    for ld in leaders:
        rule = cfg.frequency.get(ld.tier)
        if rule is None or rule.min_days <= 0:
            continue
        for ws, we in windows(rule.period, start, end):
            held = sum(1 for d in taken[ld.id] if ws <= d <= we)
            need = rule.min_days - held
            if need <= 0:
                continue
            candidates = [d for d in work if ws <= d <= we and d not in taken[ld.id]]
            preferred: list[date] = []
            if cfg.fixed_monthly_day and rule.period not in (Period.WEEK, Period.HALF_MONTH):
                for ms, _me in windows(Period.MONTH, ws, we):
                    fd = fixed_day_in(cal, ms.year, ms.month, cfg.fixed_monthly_day)
                    if fd in candidates:
                        preferred.append(fd)
            rest = sorted((d for d in candidates if d not in preferred),
                          key=lambda d: (load[d], d))
            for d in (preferred + rest)[:need]:
                add(ld, d, Session.DAY,
                    SlotSource.FIXED_DAY if d in preferred else SlotSource.QUOTA)
    return sorted(new, key=lambda s: (s.day, s.leader_id, s.session))


class ComplianceStatus(StrEnum):
    MET = "met"  # enough days held
    SCHEDULED = "scheduled"  # window running, the remaining days are on the schedule
    UNSCHEDULED = "unscheduled"  # window running, not enough days even with the schedule
    BEHIND = "behind"  # window over, not enough days held


COMPLIANCE_LABELS = {
    ComplianceStatus.MET: gettext_noop("已达标"),
    ComplianceStatus.SCHEDULED: gettext_noop("已排期"),
    ComplianceStatus.UNSCHEDULED: gettext_noop("排期不足"),
    ComplianceStatus.BEHIND: gettext_noop("未达标"),
}


@dataclass(frozen=True)
class ComplianceRow:
    leader_id: int
    rule: FrequencyRule
    window_start: date
    window_end: date
    required: int
    held: int
    planned: int
    status: ComplianceStatus

    @property
    def flagged(self) -> bool:
        """Behind the quota: the window ended short, or it cannot be met as scheduled."""
        return self.status in (ComplianceStatus.BEHIND, ComplianceStatus.UNSCHEDULED)

    @property
    def status_label(self) -> str:
        return COMPLIANCE_LABELS[self.status]


def compliance(
    leaders: Sequence[LeaderRef],
    held: Mapping[int, Iterable[date]],
    planned: Mapping[int, Iterable[date]],
    start: date,
    end: date,
    today: date,
    config: ReceptionConfig | None = None,
) -> list[ComplianceRow]:
    """Each leader's reception days against their tier's rule, per window in [start, end]
    that has begun by ``today``. ``held``: days received (recorded as held); ``planned``:
    days still on the schedule (only those from ``today`` on count)."""
    cfg = config or ReceptionConfig()
    rows: list[ComplianceRow] = []
    for ld in leaders:
        rule = cfg.frequency.get(ld.tier)
        if rule is None:
            continue
        h = set(held.get(ld.id, ()))
        p = {d for d in planned.get(ld.id, ()) if d >= today} - h
        for ws, we in windows(rule.period, start, end):
            if ws > today:
                break
            nh = sum(1 for d in h if ws <= d <= we)
            np_ = sum(1 for d in p if ws <= d <= we)
            if nh >= rule.min_days:
                status = ComplianceStatus.MET
            elif we < today:
                status = ComplianceStatus.BEHIND
            elif nh + np_ >= rule.min_days:
                status = ComplianceStatus.SCHEDULED
            else:
                status = ComplianceStatus.UNSCHEDULED
            rows.append(ComplianceRow(ld.id, rule, ws, we, rule.min_days, nh, np_, status))
    return rows


def rota_gaps(cal: WorkdayCalendar, start: date, end: date, covered: Iterable[date]) -> list[date]:
    """Working days in [start, end] with no leader of the rota tier on duty."""
    c = set(covered)
    return [d for d in workdays(cal, start, end) if d not in c]


# --------------------------------------------------------------------------- 包案 (§8.2)

# 四包: the brief's wording first, the 2009 national wording (S13) second.
FOUR_DUTIES: tuple[tuple[str, str, str], ...] = (
    ("investigate", gettext_noop("包调查"), "包掌握情况"),
    ("handle", gettext_noop("包处理"), "包解决化解"),
    ("educate", gettext_noop("包疏导教育"), "包思想教育"),
    ("settle", gettext_noop("包息诉罢访"), "包息诉息访"),
)
DUTY_LABELS = {code: label for code, label, _ in FOUR_DUTIES}
FOUR_DUTIES_SOURCE = RuleNote("四包：包调查、包处理、包疏导教育、包息诉罢访",
                              "S13（2009）：包掌握情况、包思想教育、包解决化解、包息诉息访",
                              Certainty.NAT)
# 四定 varies by place ⚠ (procedure.md §8.2).
FOUR_FIXES: tuple[tuple[str, str], ...] = (
    ("task", "定任务"),
    ("leader", "定包案领导"),
    ("handler", "定具体承办人"),
    ("due_on", "定办结时限"),
)
FOUR_FIXES_SOURCE = RuleNote("四定：定任务、定包案领导、定具体承办人、定办结时限",
                             "各地表述不一（定领导、定人员、定方案、定时限）", Certainty.UNCERTAIN)


def four_fixes_missing(values: Mapping[str, object]) -> dict[str, str]:
    """Field errors for the 四定 a case must have before it is opened."""
    return {code: f"请{label}" for code, label in FOUR_FIXES if values.get(code) in (None, "")}


def milestone_problem(duty: str, done: Iterable[str], evidence: str) -> str | None:
    """Why a 四包 milestone cannot be recorded now (None: it can)."""
    if duty not in DUTY_LABELS:
        return "未知的包案职责"
    if not evidence.strip():
        return f"请填写“{DUTY_LABELS[duty]}”的工作佐证"
    done = set(done)
    if duty in done:
        return f"“{DUTY_LABELS[duty]}”已记录完成"
    if duty == "settle" and not {"investigate", "handle"} <= done:
        return "应先完成包调查、包处理，再确认息诉罢访"
    return None


# --------------------------------------------------------------------------- 积案


class BacklogReason(StrEnum):
    AGE = "age"
    REPEAT_AFTER_FINAL = "repeat_after_final"


BACKLOG_REASON_LABELS = {
    BacklogReason.AGE: gettext_noop("超过规定时长未办结"),
    BacklogReason.REPEAT_AFTER_FINAL: gettext_noop("终结后仍重复信访"),
}


@dataclass(frozen=True)
class BacklogPolicy:
    """When a matter becomes a backlog case (积案). Practice, configurable ⚠.

    90 days default: the 60 日 handling limit plus the one 30 日 extension (§34) — past that
    no statutory clock is left to run.
    """

    open_age_days: int = 90
    repeat_after_final: bool = True
    source: str = "实践做法（默认：§34 办理期限60日＋延长30日）"
    certainty: Certainty = Certainty.UNCERTAIN


def backlog_reason(
    *, received_on: date, is_open: bool, is_final: bool, repeats_after_final: int,
    today: date, policy: BacklogPolicy | None = None,
) -> BacklogReason | None:
    p = policy or BacklogPolicy()
    if is_final and p.repeat_after_final and repeats_after_final > 0:
        return BacklogReason.REPEAT_AFTER_FINAL
    if is_open and (today - received_on).days > p.open_age_days:
        return BacklogReason.AGE
    return None


class ClosureCriterion(StrEnum):
    SETTLED = "settled"  # 息诉罢访
    TERMINATED = "terminated"  # 终结 (§36 ¶3)


CRITERION_LABELS = {ClosureCriterion.SETTLED: gettext_noop("息诉罢访"), ClosureCriterion.TERMINATED: gettext_noop("依法终结")}


def closure_problem(criterion: str, *, matter_state: str, statement: str) -> str | None:
    """Why a case may not be proposed for closure on ``criterion`` (None: it may)."""
    if criterion not in set(ClosureCriterion):
        return "请选择销号标准：息诉罢访或依法终结"
    if not statement.strip():
        return "请说明销号依据（息诉罢访承诺、终结文书等）"
    if criterion == ClosureCriterion.TERMINATED and matter_state != "final":
        return "该事项尚未经复核终结，不能以“依法终结”销号（§36 ¶3）"
    return None


@dataclass(frozen=True)
class OwnerStats:
    """One unit's or leader's figures for the weekly ranking."""

    key: int
    name: str
    cleared: int  # backlog and 包案 cases closed in the week
    due_total: int  # deadlines that fell due in the week
    due_met: int  # of those, kept
    open_cases: int = 0


@dataclass(frozen=True)
class RankRow:
    rank: int
    stats: OwnerStats

    @property
    def met_rate(self) -> float | None:
        s = self.stats
        return None if s.due_total == 0 else s.due_met / s.due_total

    @property
    def met_text(self) -> str:
        """Numerator and denominator next to the percentage (procedure.md §7)."""
        s = self.stats
        if s.due_total == 0:
            return "—（0/0）"
        return f"{100 * s.due_met / s.due_total:.0f}%（{s.due_met}/{s.due_total}）"


def rank(stats: Iterable[OwnerStats]) -> list[RankRow]:
    """Backlog cleared first, then share of deadlines kept, then fewer open cases; ties share
    a rank (1, 1, 3)."""
    def key(s: OwnerStats) -> tuple[int, float, int]:
        rate = 1.0 if s.due_total == 0 else s.due_met / s.due_total
        return (-s.cleared, -rate, s.open_cases)

    ordered = sorted(stats, key=lambda s: (*key(s), s.name))
    out: list[RankRow] = []
    for i, s in enumerate(ordered):
        r = out[-1].rank if out and key(out[-1].stats) == key(s) else i + 1
        out.append(RankRow(r, s))
    return out


# --------------------------------------------------------------------------- screening (§8.9)


class DivisionLevel(IntEnum):
    """Same values as xinfang.org.models.Division.Level."""

    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4
    VILLAGE = 5


@dataclass(frozen=True)
class ScreeningRule:
    level: DivisionLevel
    period: Period
    source: str
    certainty: Certainty


DEFAULT_SCREENING: Mapping[DivisionLevel, ScreeningRule] = MappingProxyType({
    DivisionLevel.VILLAGE: ScreeningRule(DivisionLevel.VILLAGE, Period.HALF_MONTH,
                                         "议题要求：村（社区）每半月排查", Certainty.UNCERTAIN),
    DivisionLevel.TOWNSHIP: ScreeningRule(DivisionLevel.TOWNSHIP, Period.MONTH,
                                          "议题要求：乡镇（街道）每月排查；§15 ¶3 枫桥经验",
                                          Certainty.UNCERTAIN),
    DivisionLevel.COUNTY: ScreeningRule(DivisionLevel.COUNTY, Period.MONTH,
                                        "议题要求：县（市、区）每月排查；§10", Certainty.UNCERTAIN),
    DivisionLevel.CITY: ScreeningRule(DivisionLevel.CITY, Period.MONTH,
                                      "议题要求：市每月排查；§10", Certainty.UNCERTAIN),
})


@dataclass(frozen=True)
class ScreeningStatus:
    period: Period
    current: tuple[date, date]
    done_this_period: bool
    last_on: date | None
    next_due: date  # the last day by which the next screening must be done
    overdue: bool
    missed: tuple[tuple[date, date], ...]  # windows since ``since`` with no screening


def screening_status(period: Period, screened_on: Iterable[date], today: date,
                     since: date) -> ScreeningStatus:
    """Screening cadence: every window of ``period`` needs one screening.

    After a screening in window P, the next one is due by the end of window P+1; with none
    yet, by the end of the window containing ``since`` (when the ledger started). Overdue
    once ``today`` is past that day.
    """
    dates = sorted(d for d in screened_on if d <= today)
    current = period_window(period, today)
    last = dates[-1] if dates else None
    if last is None:
        next_due = period_window(period, since)[1]
    else:
        next_due = period_window(period, period_window(period, last)[1] + timedelta(days=1))[1]
    missed = tuple(
        w for w in windows(period, since, today)
        if w[1] < today and not any(w[0] <= d <= w[1] for d in dates)
    )
    return ScreeningStatus(
        period=period, current=current,
        done_this_period=any(current[0] <= d <= current[1] for d in dates),
        last_on=last, next_due=next_due, overdue=today > next_due, missed=missed,
    )


class RiskGrade(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


RISK_LABELS = {RiskGrade.HIGH: gettext_noop("高"), RiskGrade.MEDIUM: gettext_noop("中"), RiskGrade.LOW: gettext_noop("低")}


class MediationKind(StrEnum):
    """三调联动 (§37 ¶1)."""

    PEOPLE = "people"
    ADMINISTRATIVE = "administrative"
    JUDICIAL = "judicial"


MEDIATION_LABELS = {
    MediationKind.PEOPLE: gettext_noop("人民调解"),
    MediationKind.ADMINISTRATIVE: gettext_noop("行政调解"),
    MediationKind.JUDICIAL: gettext_noop("司法调解"),
}


# --------------------------------------------------------------------------- 稳评 (§8.8)


class RiskDecision(StrEnum):
    IMPLEMENT = "implement"
    POSTPONE = "postpone"
    NOT_NOW = "not_now"


DECISION_LABELS = {
    RiskDecision.IMPLEMENT: gettext_noop("实施"),
    RiskDecision.POSTPONE: gettext_noop("暂缓实施"),
    RiskDecision.NOT_NOW: gettext_noop("暂不实施"),
}


@dataclass(frozen=True)
class AssessmentPolicy:
    """稳评 checks. Grades 高/中/低 and the three decisions are common local practice ⚠."""

    high_may_implement: bool = False
    measures_required_from: frozenset[RiskGrade] = field(
        default_factory=lambda: frozenset({RiskGrade.HIGH, RiskGrade.MEDIUM}))


def assessment_problem(grade: str, decision: str, risks: str, measures: str,
                       policy: AssessmentPolicy | None = None) -> str | None:
    p = policy or AssessmentPolicy()
    if grade not in set(RiskGrade):
        return "请选择风险等级（高、中、低）"
    if decision not in set(RiskDecision):
        return "请选择评估结论：实施、暂缓实施或暂不实施"
    if not risks.strip():
        return "请列明排查出的风险点"
    if RiskGrade(grade) in p.measures_required_from and not measures.strip():
        return "中、高风险应提出防范化解措施"
    if grade == RiskGrade.HIGH and decision == RiskDecision.IMPLEMENT and not p.high_may_implement:
        return "高风险事项应暂缓实施或暂不实施；落实措施降低风险后重新评估"
    return None
