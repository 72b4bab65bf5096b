"""Indicator definitions (procedure.md §7.2) as plain Python: one definition per figure.

Each figure counts *rows* (a deadline, a matter, a 包案) and puts every row it counts into
exactly one *bucket*; the figure's numerator and denominator are sums of buckets. The
functions here classify one row from its facts. ``xinfang.practice.indicators`` states the same
rules as database filters (for the aggregates) and lists the rows of a bucket (the drill-down);
``tests/practice/test_indicators.py`` checks that both agree for every figure.

The unit score and ranking (assessment.md: the published 达川区 scheme as the default weights)
are here too. No Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from .i18n import gettext_noop

# ---------------------------------------------------------------------------- deadlines

# Deadline figures count a clock in the period its due date falls in, once it is settled:
# met (on time or late) or past due and still open. A clock not yet due is not counted.
ON_TIME, LATE, MISSED = "on_time", "late", "missed"
CLOCK_BUCKETS = (ON_TIME, LATE, MISSED)
CLOCK_BUCKET_LABELS = {
    ON_TIME: gettext_noop("按期"),
    LATE: gettext_noop("超期完成"),
    MISSED: gettext_noop("超期未完成"),
}

# 及时受理 (§22 D1 for the 信访部门, §23 ¶1–2 D2 for a body a petition is brought to, §23 ¶3
# D3 for the unit a matter is 转送/交办 to): registered and disposed of, or the acceptance
# decided and told, within 15 日.
ACCEPTANCE_CODES = ("D1", "D2", "D3")
# 按期答复/按期办结: the handling limit of each route (§34 D6 with its D7 extension in the due
# date, §29 D14, §30 D15, §31 (5) D16).
REPLY_CODES = ("D6", "D14", "D15", "D16")
# 三色分类交办: the feedback clock of each grade (procedure.md §8.3).
GRADE_CODES = {"green": "G_GREEN", "yellow": "G_YELLOW", "red": "G_RED"}


def clock_bucket(due_on: date, met_on: date | None, as_of: date) -> str | None:
    """按期 / 超期完成 / 超期未完成, or None when the clock is not yet due and still open."""
    if met_on is not None:
        return ON_TIME if met_on <= due_on else LATE
    if due_on < as_of:
        return MISSED
    return None


# ---------------------------------------------------------------------------- evaluation

# 国信发〔2022〕11号 ("谁初次办理、谁负责公开、谁接受评价"): the matters within the evaluation
# scope. Outside it: matters first registered elsewhere (they came from above), matters for
# 人大/法院/检察院 (涉法涉诉, sent to the 政法 route, or §31 (1) 诉讼), matters for 诉讼/仲裁/
# 行政复议 (§31 (1)(2)(4), or channelled into those procedures), and matters unfit to publish
# (检举控告, whose reporter is protected by §30 ¶3, and a petitioner's request for secrecy).
STATUTORY_ROUTES = frozenset({1, 2, 4})  # §31 (1) 诉讼, (2) 仲裁, (4) 行政复议
OUT_OF_SCOPE_CLOSURES = frozenset({"referred_political_legal", "channelled"})


@dataclass(frozen=True)
class EvaluationFacts:
    channel: str
    klass: str
    legal_litigation: bool
    route31: int | None
    closure_kind: str
    confidential: bool


def evaluation_scope_exclusion(f: EvaluationFacts) -> str | None:
    """Why a matter is outside the 11号 evaluation scope (None: inside)."""
    if f.channel == "superior":
        return gettext_noop("非本机构初次登记")
    if f.legal_litigation or f.closure_kind == "referred_political_legal":
        return gettext_noop("属人大、法院、检察院职权范围")
    if f.route31 in STATUTORY_ROUTES or f.closure_kind == "channelled":
        return gettext_noop("应通过诉讼、仲裁、行政复议解决")
    if f.klass == "report" or f.confidential:
        return gettext_noop("不宜公开")
    return None


RATED, UNRATED = "rated", "unrated"
SATISFIED, UNSATISFIED = "satisfied", "unsatisfied"
SATISFIED_RATINGS = frozenset({"satisfied", "basic"})  # 满意 + 基本满意 (procedure.md §7.2)
RATING_BUCKET_LABELS = {
    RATED: gettext_noop("已评价"),
    UNRATED: gettext_noop("超期未评价"),
    SATISFIED: gettext_noop("满意和基本满意"),
    UNSATISFIED: gettext_noop("不满意"),
}


def participation_bucket(replied_on: date, rated: bool, window_days: int,
                         as_of: date) -> str | None:
    """参评率: a reply counts once rated, or once its rating window closed unrated."""
    if rated:
        return RATED
    if replied_on + timedelta(days=window_days) < as_of:
        return UNRATED
    return None


def satisfaction_bucket(latest_rating: str | None) -> str | None:
    """参评满意率 over rated matters: the latest round's rating."""
    if latest_rating is None:
        return None
    return SATISFIED if latest_rating in SATISFIED_RATINGS else UNSATISFIED


# ---------------------------------------------------------------------------- matters

YES, NO = "yes", "no"


def repeat_bucket(repeat_kind: str) -> str:
    """重复信访 by matter (件次): the matter is a repeat of an earlier one (§19 ¶3, §8.6)."""
    return YES if repeat_kind == "repeat" else NO


def resolution_bucket(*, repeated: bool, reviewed: bool, unsatisfied: bool) -> str:
    """初信初访化解: a first-time matter concluded without a repeat petition, a 复查 request
    or a 不满意 rating (procedure.md §7.2 一次性化解率)."""
    return NO if (repeated or reviewed or unsatisfied) else YES


def case_bucket(closed_on: date | None, resolved: bool | None, end: date) -> str:
    """包案/积案化解: a case of the batch (active in the period) 销号 as 化解 by its end."""
    return YES if closed_on is not None and closed_on <= end and resolved else NO


# ---------------------------------------------------------------------------- weights

# assessment.md: 达川区 信访工作考核细则, the parts computed from the system (points of 100).
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "timely_acceptance": 5,  # 信访事项及时受理率 × 5
    "on_time_reply": 10,  # 按期答复率 × 10
    "satisfaction_handling": 10,  # 参评群众满意率（有权处理机关）× 10
    "participation_handling": 5,  # 群众参评率 × 5
}
DEFAULT_MIN_VOLUME = 10  # below it a unit is listed but not ranked


@dataclass(frozen=True)
class UnitFigures:
    key: int
    name: str
    rates: Mapping[str, tuple[int, int]]  # code -> (numerator, denominator)
    volume: int  # how many rows the unit's rates rest on


@dataclass(frozen=True)
class ScoreRow:
    unit: UnitFigures
    score: float | None  # of 100, over the weighted figures the unit has data for
    rank: int | None  # None: below the minimum volume (listed, not ranked)
    previous_rank: int | None = None
    parts: Mapping[str, float] = field(default_factory=dict)

    @property
    def change(self) -> int | None:
        """Places gained since the previous period (+ up, − down), None when not comparable."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


def score(rates: Mapping[str, tuple[int, int]], weights: Mapping[str, float]
          ) -> tuple[float | None, dict[str, float]]:
    """Weighted score scaled to 100 over the figures with a denominator; parts in points."""
    parts = {code: w * rates[code][0] / rates[code][1]
             for code, w in weights.items() if code in rates and rates[code][1]}
    present = sum(weights[c] for c in parts)
    if not present:
        return None, parts
    return round(100 * sum(parts.values()) / present, 1), parts


def rank_units(units: Iterable[UnitFigures], weights: Mapping[str, float] | None = None,
               min_volume: int = DEFAULT_MIN_VOLUME,
               previous: Mapping[int, int] | None = None) -> list[ScoreRow]:
    """Units by weighted score, highest first; ties share a rank (1, 1, 3). A unit below
    ``min_volume`` (or with no score) is listed after the ranked ones, unranked."""
    w = dict(weights or DEFAULT_WEIGHTS)
    scored = [(u, *score(u.rates, w)) for u in units]
    ranked = sorted([x for x in scored if x[1] is not None and x[0].volume >= min_volume],
                    key=lambda x: (-(x[1] or 0), -x[0].volume, x[0].name))
    rest = sorted([x for x in scored if x[1] is None or x[0].volume < min_volume],
                  key=lambda x: x[0].name)
    prev = previous or {}
    out: list[ScoreRow] = []
    for i, (u, s, parts) in enumerate(ranked):
        r = out[-1].rank if out and out[-1].score == s else i + 1
        out.append(ScoreRow(u, s, r, prev.get(u.key), parts))
    out.extend(ScoreRow(u, s, None, prev.get(u.key), parts) for u, s, parts in rest)
    return out


def last_twelve_months(today: date) -> tuple[date, date]:
    """"近12个月": the twelve months ending today (the same day a year back, exclusive)."""
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return start + timedelta(days=1), today


# ---------------------------------------------------------------------------- 不纳入考核

# The only reasons a matter may be excluded from assessment; a supervisor decides, the decision
# is audited and the report's annex lists it (issue 17 item 2).
EXEMPTION_REASONS: Mapping[str, str] = {
    "duplicate_entry": gettext_noop("重复登记（同一事项误登为多件）"),
    "not_a_petition": gettext_noop("误登记（不属于信访事项）"),
    "force_majeure": gettext_noop("因不可抗力无法按期办理"),
    "petitioner_cause": gettext_noop("因信访人原因（失联、拒不配合）无法按期办理"),
    "legal_procedure": gettext_noop("已进入诉讼、仲裁、行政复议程序"),
    "superior_decision": gettext_noop("上级信访部门书面同意不纳入考核"),
}
