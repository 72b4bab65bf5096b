"""Reception rules (procedure.md §8.1; 条例 §18 ¶2): periods, tiers, the schedule proposal,
compliance. Plain Python."""

from __future__ import annotations

import calendar as _calendar
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
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
