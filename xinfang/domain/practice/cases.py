"""包案 (§8.2): 四定四包; 积案: backlog criteria, closure criteria, ranking. Plain Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from xinfang.domain.i18n import gettext_noop

from .reception import Certainty, RuleNote

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


# A case is 销号 only once its matter is answered and not contested: before the answer it is
# open or unhandled, and during a 复查/复核 the petitioner has not settled (issue 17 item 6).
UNSETTLED_MATTER_STATES = frozenset({
    "registered", "dispatched", "signed", "objected", "handling", "extension_pending",
    "review_requested", "recheck_requested", "recheck_hearing"})


def closure_problem(criterion: str, *, matter_state: str, statement: str) -> str | None:
    """Why a case may not be proposed for closure on ``criterion`` (None: it may)."""
    if criterion not in set(ClosureCriterion):
        return "请选择销号标准：息诉罢访或依法终结"
    if not statement.strip():
        return "请说明销号依据（息诉罢访承诺、终结文书等）"
    if criterion == ClosureCriterion.TERMINATED and matter_state != "final":
        return "该事项尚未经复核终结，不能以“依法终结”销号（§36 ¶3）"
    if matter_state in UNSETTLED_MATTER_STATES:
        return "该事项尚未办理答复或正在复查、复核，不能销号"
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
