"""The indicator aggregates (issue 17 "Speed", issue 19 item 3) as plain Python: what one matter
contributes to the counters.

A matter contributes ``n`` (and ``persons``, its headcount) to a handful of counter rows, each
keyed by a *metric*, a *day* (the date the figure puts the row in: a deadline's due date, the
reply date, the registration date …), the matter's division, the body the figure is attributed
to, the accused body of a 检举控告 (§30 ¶3: hidden from it), whether the matter is excluded
from assessment (不纳入考核), a *bucket* and a metric-specific *dim*. The services keep the
counters in the write's own transaction by the difference between what the matter contributed
before and what it contributes now (``xinfang.petitions.tally``); ``xinfang rebuild-aggregates``
sums ``contributions`` over every matter.

The buckets are the ones ``domain.indicators`` classifies rows into, stored in a form that does
not change as days pass: a deadline is 按期/超期完成/open (open becomes 超期未完成 once its day is
before the reader's today), a reply is unrated/satisfied/unsatisfied (unrated becomes 超期未评价
once the rating window has closed), an open matter sits at its nearest deadline (overdue once
that day is past). So the sweep does not have to move any counter for time to pass.
No Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from . import indicators as ind

NO_DAY = date(9999, 12, 31)  # an open matter without an open deadline

# Metrics. The clock figures use their indicator code as the metric.
CLOCK_METRICS: Mapping[str, str] = {
    **dict.fromkeys(ind.ACCEPTANCE_CODES, "timely_acceptance"),
    **dict.fromkeys(ind.REPLY_CODES, "on_time_reply"),
    **{code: f"graded_{grade}" for grade, code in ind.GRADE_CODES.items()},
}
EVALUATION = "evaluation"  # 有权处理机关: by reply date, attributed to the lead body
EVALUATION_XINFANG = "evaluation_xinfang"  # 信访部门: by reply date, attributed to the holder
RECEIVED = "received"  # by registration date, the holder; bucket 重复 yes/no; dim = channel
VISIT = "visit"  # 来访 by registration date; bucket 越级 yes/no; dim = headcount (zero-padded)
KLASS = "klass"  # dim = klass
CATEGORY = "category"  # dim = the category's parent (or itself), "" when unclassified
FIRST_RESOLUTION = "first_resolution"  # 初信初访 concluded, by closing date, the lead body
OPEN = "open"  # an open matter at its nearest deadline, the body that has to act now
WITHDRAWN = "withdrawn"  # 撤回, by closing date, the holder
SETTLED = "settled"  # 息诉罢访 records, by their date, the holder
# Every matter, open or closed, by state and holder (the statistics: matters per state, per
# holder), counted under its own division (the full code, not rolled up: ``census_q`` reads a
# jurisdiction of any depth) with body 0, and once more under each body the read gate
# (``petitions.access.visible_matters``) lets see it as its own: the holder, the lead, review
# and recheck bodies, every body it was dispatched to. Undated (``NO_DAY``), never assessed
# (exempt False), no month rows. bucket: the holder's id, dim: the state.
CENSUS = "census"
# Every matter by registration day and top category (dim, as ``CATEGORY``) under its township,
# with body 0, and once more under each body the read gate lets see it as its own (as the
# census): the leader's rising-count early warnings (``petitions.intel.early_warning``) sum the
# rows that make up ``access.visible_matters`` (``petitions.census.census_q``) over twelve
# weeks of days, township × category × day, instead of grouping the matters. No month rows.
INTAKE = "intake"
NO_MONTH = frozenset({CENSUS, INTAKE})  # metrics counted by day only (or undated)
# The metrics whose dim is the matter's top category (``category_dim``): the only part of the
# counters that follows another record an administrator may edit after the matter's write (a
# category's parent). ``recategorized`` moves a matter's rows when its category moves.
CATEGORY_DIM_METRICS = frozenset({CATEGORY, INTAKE})

UNRATED = "unrated"
OPEN_CLOCK = "open"
WITHDRAWN_CLOSURE = "withdrawn"


# Counters are kept per township (the fourth level of a division path: 省/市/县/乡镇), not per
# village: a county's figures then sum tens of rows a day, not hundreds. A jurisdiction deeper
# than this is answered from the matters themselves (``practice.indicators``).
DIVISION_DEPTH = 4


def division_key(path: str) -> str:
    """The division a matter is counted under: its path cut to ``DIVISION_DEPTH`` codes."""
    return path.split("/")[:DIVISION_DEPTH][-1]


def category_dim(category_id: int | None, parent_id: int | None) -> str:
    """The top category a matter is counted under: its category's parent, or the category
    itself when it has none ("" unclassified) — what the readers name (the dashboard's 内容分类,
    the rising warnings' township × category), as the matters' own grouping does
    (``Coalesce(category__parent__name, category__name)``)."""
    return str(parent_id or category_id or "")


def headcount_dim(n: int) -> str:
    """Headcounts as strings that sort like numbers (for ``dim >= collective minimum``)."""
    return f"{min(max(n, 0), 9999):04d}"


class Key(NamedTuple):
    metric: str
    day: date
    division_id: str  # the matter's division rolled up to ``DIVISION_DEPTH`` (a township)
    body_id: int  # 0: none
    accused_id: int  # 0: not a 检举控告 (or no accused body)
    exempt: bool
    bucket: str
    dim: str


@dataclass(frozen=True)
class ClockFacts:
    code: str
    due_on: date
    met_on: date | None
    body_id: int | None
    owed_by_petitioner: bool = False


@dataclass(frozen=True)
class MatterFacts:
    """Everything the counters read of one matter (the loader fills it from the database, the
    history import from the rows it writes)."""

    division_id: str  # rolled up: ``division_key``
    holder_id: int | None
    lead_body_id: int | None
    acting_body_id: int | None  # Matter.queue_body: who has to act now (open matters)
    accused_id: int | None  # the accused body of a 检举控告
    exempt: bool
    channel: str
    klass: str
    category_dim: str  # str(parent id or own id) or ""
    headcount: int
    received_on: date
    is_open: bool
    next_due: date | None
    closed_on: date | None
    closure_kind: str
    repeat_kind: str
    level_skip: bool
    legal_litigation: bool
    route31: int | None
    confidential: bool
    replied_on: date | None
    review_body_id: int | None
    rated: bool  # any rating of the lead body's handling
    latest_rating: str | None  # the latest round's rating of the handling
    xinfang_rating: str | None  # the latest round's rating of the 信访部门 (None: not rated)
    repeated: bool  # a later matter is a repeat of this one
    clocks: tuple[ClockFacts, ...] = ()
    settled_on: tuple[date, ...] = field(default=())
    # The census (``CENSUS``): the matter's own division code, its state, and the bodies the
    # read gate lets see it as their own (holder, lead/review/recheck body, dispatched to).
    division_code: str = ""
    state: str = ""
    own_bodies: tuple[int, ...] = ()


Contribution = dict[Key, tuple[int, int]]


def clock_state(met_on: date | None, due_on: date) -> str:
    """The stored bucket of a deadline: 按期, 超期完成, or open (the reader decides missed)."""
    if met_on is None:
        return OPEN_CLOCK
    return ind.ON_TIME if met_on <= due_on else ind.LATE


def rating_state(rated: bool, latest: str | None) -> str:
    if not rated or latest is None:
        return UNRATED
    return ind.satisfaction_bucket(latest) or UNRATED


def in_evaluation_scope(f: MatterFacts) -> bool:
    return _in_scope(f.channel, f.klass, f.legal_litigation, f.route31, f.closure_kind,
                     f.confidential)


@lru_cache(maxsize=1024)
def _in_scope(channel: str, klass: str, legal_litigation: bool, route31: int | None,
              closure_kind: str, confidential: bool) -> bool:
    # A handful of distinct combinations: computed once each (the history import asks it for
    # every matter it writes).
    return ind.evaluation_scope_exclusion(ind.EvaluationFacts(
        channel=channel, klass=klass, legal_litigation=legal_litigation, route31=route31,
        closure_kind=closure_kind, confidential=confidential)) is None


_new_key = tuple.__new__  # Key(*fields) without the namedtuple's Python-level __new__


def contributions(f: MatterFacts) -> Contribution:
    """The counter rows one matter adds to, with (n, persons)."""
    out: Contribution = {}
    div, acc, ex = f.division_id, f.accused_id or 0, f.exempt

    def add(metric: str, day: date, body: int | None, bucket: str = "", dim: str = "",
            persons: int = 0) -> None:
        k = _new_key(Key, (metric, day, div, body or 0, acc, ex, bucket, dim))
        v = out.get(k)
        out[k] = (1, persons) if v is None else (v[0] + 1, v[1] + persons)

    withdrawn = f.closure_kind == WITHDRAWN_CLOSURE
    # Deadlines (§22 D1, §23 D2/D3, §34 D6 …, 三色 G_*): a withdrawn matter's clocks were closed
    # by the petitioner (撤回), not met by the body — counted in none.
    if not withdrawn:
        for c in f.clocks:
            metric = CLOCK_METRICS.get(c.code)
            if metric is None or c.owed_by_petitioner:
                continue
            add(metric, c.due_on, c.body_id, clock_state(c.met_on, c.due_on))
    # 参评率 / 参评满意率, 有权处理机关: replies in the 11号 scope …
    if f.replied_on is not None and in_evaluation_scope(f):
        add(EVALUATION, f.replied_on, f.lead_body_id, rating_state(f.rated, f.latest_rating))
        # … and the 信访部门 that registered and 转送/交办 it, rated with the same answer.
        add(EVALUATION_XINFANG, f.replied_on, f.holder_id,
            rating_state(f.xinfang_rating is not None, f.xinfang_rating))
    # Registered matters: 重复信访 (件次, 人次) and the intake by channel, class and category.
    add(RECEIVED, f.received_on, f.holder_id, ind.repeat_bucket(f.repeat_kind), f.channel,
        f.headcount)
    if f.channel == "visit":
        add(VISIT, f.received_on, f.holder_id, ind.YES if f.level_skip else ind.NO,
            headcount_dim(f.headcount), f.headcount)
    add(KLASS, f.received_on, f.holder_id, dim=f.klass)
    add(CATEGORY, f.received_on, f.holder_id, dim=f.category_dim)
    # 初信初访化解率.
    if f.repeat_kind == "first" and f.closed_on is not None and not withdrawn:
        add(FIRST_RESOLUTION, f.closed_on, f.lead_body_id, ind.resolution_bucket(
            repeated=f.repeated, reviewed=f.review_body_id is not None,
            unsatisfied=f.latest_rating == "unsatisfied"))
    if f.is_open:
        add(OPEN, f.next_due or NO_DAY, f.acting_body_id)
    if withdrawn and f.closed_on is not None:
        add(WITHDRAWN, f.closed_on, f.holder_id)
    for d in f.settled_on:
        add(SETTLED, d, f.holder_id)
    if f.state:
        out.update(census(f.division_code, f.accused_id, f.holder_id, f.state, f.own_bodies))
    out.update(intake(div, f.accused_id, ex, f.received_on, f.category_dim, f.own_bodies))
    return out


@lru_cache(maxsize=4096)
def _own(own_bodies: tuple[int | None, ...]) -> tuple[int, ...]:
    """Body 0 (the division's row) and each own body once, in order: a handful of distinct
    sets, computed once each (the history import asks for every matter it writes)."""
    return tuple(sorted({0, *(b for b in own_bodies if b)}))


def census(division_code: str, accused_id: int | None, holder_id: int | None, state: str,
           own_bodies: Iterable[int | None]) -> Contribution:
    """A matter's census rows (``CENSUS``): one under its division, one per own body."""
    acc, holder = accused_id or 0, str(holder_id or 0)
    return {_new_key(Key, (CENSUS, NO_DAY, division_code, body, acc, False, holder, state)):
            (1, 0) for body in _own(tuple(own_bodies))}


def intake(division_id: str, accused_id: int | None, exempt: bool, received_on: date,
           category_dim: str, own_bodies: Iterable[int | None]) -> Contribution:
    """A matter's intake rows (``INTAKE``): one under its township (body 0), one per own
    body."""
    acc = accused_id or 0
    return {_new_key(Key, (INTAKE, received_on, division_id, body, acc, exempt, "",
                           category_dim)): (1, 0) for body in _own(tuple(own_bodies))}


def recategorized(c: Mapping[Key, tuple[int, int]], dim: str) -> Contribution:
    """A matter's contribution ``c`` with its category rows (``CATEGORY_DIM_METRICS``) under
    the top category ``dim`` (its category was moved under another parent)."""
    out: Contribution = {}
    for k, (n, p) in c.items():
        key = k._replace(dim=dim) if k.metric in CATEGORY_DIM_METRICS else k
        on, op = out.get(key, (0, 0))
        out[key] = (on + n, op + p)
    return out


def difference(before: Mapping[Key, tuple[int, int]], after: Mapping[Key, tuple[int, int]]
               ) -> Contribution:
    """What to add to the counters to go from ``before`` to ``after`` (zero rows left out)."""
    out: Contribution = {}
    for k in set(before) | set(after):
        bn, bp = before.get(k, (0, 0))
        an, ap = after.get(k, (0, 0))
        if (an - bn, ap - bp) != (0, 0):
            out[k] = (an - bn, ap - bp)
    return out


# ---------------------------------------------------------------- the month grain

# Every contribution is counted a second time under the first day of its month (the same key
# otherwise): a reader of whole months (the dashboard's twelve) reads one row where the day
# grain has up to thirty-one. The services keep both in the same transaction; a month row is
# always the sum of its month's day rows (``xinfang rebuild-aggregates --verify`` checks it).


def month_of(d: date) -> date:
    return d.replace(day=1)


def next_month(d: date) -> date:
    return (d.replace(day=1) + timedelta(days=32)).replace(day=1)


def by_month(c: Mapping[Key, tuple[int, int]]) -> Contribution:
    """``c`` summed under the first day of each key's month (zero sums left out; the census
    and the intake rows have no month rows: ``NO_MONTH``)."""
    out: Contribution = {}
    months: dict[date, date] = {}  # day → its month's first day, once per distinct day
    for k, (n, p) in c.items():
        if k[0] in NO_MONTH:
            continue
        day = k[1]
        first = months.get(day)
        if first is None:
            first = months[day] = day.replace(day=1)
        m = _new_key(Key, (k[0], first, *k[2:]))
        v = out.get(m)
        out[m] = (n, p) if v is None else (v[0] + n, v[1] + p)
    return {k: v for k, v in out.items() if v != (0, 0)}


def split_by_month(start: date, end: date, cutoffs: Iterable[date] = ()
                   ) -> tuple[list[tuple[date, date]], list[tuple[date, date]]]:
    """Days ``start``..``end`` as (day ranges, month ranges): the months lying wholly inside
    the period that no cutoff cuts are read from the month rows (a month range is its first
    days, ``lo``..``hi``), the rest from the day rows. A cutoff ``c`` stands for a filter
    ``day < c`` (or ``day >= c``): a month whose days all lie on one side of it gives the same
    answer from its month row (dated its first day), a month with days on both sides does
    not."""
    cuts = set(cutoffs)
    days: list[tuple[date, date]] = []
    months: list[tuple[date, date]] = []

    def add(ranges: list[tuple[date, date]], lo: date, hi: date, step: int) -> None:
        if ranges and (ranges[-1][1] + timedelta(days=1) == lo if step == 1
                       else next_month(ranges[-1][1]) == lo):
            ranges[-1] = (ranges[-1][0], hi)
        else:
            ranges.append((lo, hi))

    d = start
    while d <= end:
        nxt = next_month(d)
        last = min(end, nxt - timedelta(days=1))
        whole = d.day == 1 and last == nxt - timedelta(days=1)
        if whole and not any(d < c <= last for c in cuts):
            add(months, d, d, 31)
        else:
            add(days, d, last, 1)
        d = nxt
    return days, months


def total(parts: Iterable[Mapping[Key, tuple[int, int]]]) -> Contribution:
    out: Contribution = {}
    get = out.get
    for c in parts:
        for k, (n, p) in c.items():
            v = get(k)
            out[k] = (n, p) if v is None else (v[0] + n, v[1] + p)
    return out


# ---------------------------------------------------------------- the per-matter snapshot

# What a matter contributed, stored beside it so that the next write can subtract it. Compact:
# the matter-wide parts of the key once, then one [metric, day ordinal, body, bucket, dim, n,
# persons] per row; a census row adds its own division code (exempt: always False).


_first = itemgetter(0)  # sort a contribution's items by their (unique) keys alone


def encode(c: Contribution) -> list[object]:
    if not c:
        return []
    k0 = next((k for k in c if k.metric != CENSUS), next(iter(c)))
    rows: list[object] = [[k.metric, k.day.toordinal(), k.body_id, k.bucket, k.dim, n, p,
                           *([k.division_id] if k.metric == CENSUS else [])]
                          for k, (n, p) in sorted(c.items(), key=_first)]
    return [k0.division_id, k0.accused_id, int(k0.exempt), *rows]


def decode(data: list[Any] | None) -> Contribution:
    if not data:
        return {}
    div, acc, ex, *rows = data
    out: Contribution = {}
    for r in rows:
        metric, day, body, bucket, dim, n, p, *own = r
        out[Key(str(metric), date.fromordinal(int(day)), str(own[0]) if own else str(div),
                int(body), int(acc), False if own else bool(ex), str(bucket), str(dim))] = (
            int(n), int(p))
    return out


def exempt_of(c: Contribution | None) -> bool:
    """The 不纳入考核 flag a snapshot was written with (the census rows never carry it)."""
    return any(k.exempt for k in (c or {}) if k.metric != CENSUS)
