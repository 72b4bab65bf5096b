"""Screening cadence of the dispute ledger (§8.9), 稳评 (§8.8), mediation kinds (§37 ¶1).
Plain Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import IntEnum, StrEnum
from types import MappingProxyType

from xinfang.domain.i18n import gettext_noop

from .reception import Certainty, Period, period_window, windows

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
