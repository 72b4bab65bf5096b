"""The one indicator module (procedure.md §7.2; issue 17): one definition per figure, used by
the dashboard, the supervision page, the rankings, the bulletins, the indicator pages and the
API. The search filter's "overdue" is ``petitions.filters.overdue_q`` and is used here as is.

A figure counts *rows* of a scope (the matters a user may see, or a division's) in a period;
each row falls in exactly one *bucket* (``xinfang.domain.indicators`` says which, in plain
Python); numerator and denominator are sums of buckets, and each is shown next to the rate.
``figure`` reads the buckets from the indicator counters the services keep in each write's
transaction (``petitions.tally``, ``domain.tally``; one query over counter rows, not matters);
``figure_from_rows`` counts the same buckets over the rows (one aggregate), and ``drilldown.drill`` lists
the rows of a bucket, a page at a time, and classifies each in Python: the three agree for every
figure (``tests/practice/test_indicators.py``, ``tests/practice/test_aggregates.py``).

Matters excluded from assessment (不纳入考核, ``models_assessment.Exemption``) leave every
assessed figure; the operational "overdue" keeps them (they are still overdue).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from xinfang.domain import indicators as ind
from xinfang.domain import tally as dt
from xinfang.domain.i18n import gettext_noop
from xinfang.petitions import clocks
from xinfang.petitions.filters import OPEN_VALUES, overdue_q
from xinfang.petitions.models import Clock, Evaluation, Matter, Tally, TallyMonth

from .indicator_scope import Figure as Figure  # re-exported: callers name them I.Scope …
from .indicator_scope import Period as Period
from .indicator_scope import Scope as Scope
from .indicator_scope import exempted, subtree
from .models import Case as PracticeCase

# ============================================================================ definitions


@dataclass(frozen=True)
class Definition:
    code: str
    label: str  # Chinese msgid (gettext_noop); translated where shown
    basis: str  # how it is computed, for the page and the report (Chinese msgid)
    buckets: tuple[str, ...]
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    unit_field: str  # the row's field naming the unit a figure is attributed to
    rows: Callable[[Scope, Period], QuerySet[Any]]
    bucket_q: Callable[[Period], dict[str, Q]]
    facts: tuple[str, ...]  # the row values the plain-Python classifier reads
    classify: Callable[[dict[str, Any], Period], str | None]
    matter_field: str = "pk"  # the row's matter id
    assessed: bool = True  # exemptions apply
    persons: str = ""  # a headcount field: 人次 beside 件次
    # The counters (``domain.tally``): the metric and, per bucket, which of its rows (Tally)
    # the bucket sums; ``dated``: the period selects the rows' days. None: counted from rows.
    tally: TallySpec | None = None


@dataclass(frozen=True)
class TallySpec:
    metric: str
    buckets: Callable[[Period], dict[str, Q]]
    dated: bool = True


REGISTRY: dict[str, Definition] = {}
WITHDRAWN = "withdrawn"  # ClosureKind.WITHDRAWN: the petitioner's 撤回


def _define(d: Definition) -> Definition:
    REGISTRY[d.code] = d
    return d


def _unit(qs: QuerySet[Any], scope: Scope, field_name: str) -> QuerySet[Any]:
    return qs.filter(**{field_name: scope.unit.pk}) if scope.unit is not None else qs


def _matters(scope: Scope, unit_field: str, assessed: bool = True) -> QuerySet[Matter]:
    """The scope's matters by ``unit_field`` (without those excluded from assessment)."""
    qs = Matter.objects.filter(scope.row_q(unit_field))
    if assessed:
        qs = qs.exclude(pk__in=exempted())
    return _unit(qs, scope, unit_field)


# --- deadlines (a row is a Clock) -------------------------------------------------------


def _clock_rows(codes: tuple[str, ...]) -> Callable[[Scope, Period], QuerySet[Clock]]:
    def rows(scope: Scope, p: Period) -> QuerySet[Clock]:
        # A withdrawn matter's clocks were closed by the petitioner (撤回, issue 16 item 6),
        # not met by the body: counted apart, never as 按期.
        qs = Clock.objects.filter(scope.row_q("body", "matter__"), code__in=codes,
                                  owed_by_petitioner=False, due_on__range=(p.start, p.end))
        qs = qs.exclude(matter__closure_kind=WITHDRAWN).exclude(matter_id__in=exempted())
        qs = qs.filter(Q(met_on__isnull=False) | Q(due_on__lt=p.today))
        return _unit(qs, scope, "body")
    return rows


def _clock_q(p: Period) -> dict[str, Q]:
    return {ind.ON_TIME: Q(met_on__isnull=False, met_on__lte=F("due_on")),
            ind.LATE: Q(met_on__isnull=False, met_on__gt=F("due_on")),
            ind.MISSED: Q(met_on__isnull=True, due_on__lt=p.today)}


def _clock_classify(r: dict[str, Any], p: Period) -> str | None:
    return ind.clock_bucket(r["due_on"], r["met_on"], p.today)


def _clock_tally(p: Period) -> dict[str, Q]:
    return {ind.ON_TIME: Q(bucket=ind.ON_TIME), ind.LATE: Q(bucket=ind.LATE),
            ind.MISSED: Q(bucket=dt.OPEN_CLOCK, day__lt=p.today)}


def _clock_definition(code: str, label: str, basis: str, codes: tuple[str, ...]) -> Definition:
    assert all(dt.CLOCK_METRICS[c] == code for c in codes)
    return _define(Definition(
        code, label, basis, ind.CLOCK_BUCKETS, (ind.ON_TIME,), ind.CLOCK_BUCKETS, "body",
        _clock_rows(codes), _clock_q, ("due_on", "met_on"), _clock_classify,
        matter_field="matter_id", tally=TallySpec(code, _clock_tally)))


_clock_definition(
    "timely_acceptance", gettext_noop("及时受理率"),
    gettext_noop("15 日内登记处置（信访部门 §22）、书面告知（§23 ¶1–2）或作出受理决定并告知（§23 ¶3）"
                 "÷（及时 + 超期 + 超期未受理），按期限届满日计入期间"),
    ind.ACCEPTANCE_CODES)
_clock_definition(
    "on_time_reply", gettext_noop("按期答复率（按期办结率）"),
    gettext_noop("按期答复 ÷（按期答复 + 超期答复 + 超期未答复）；办理期限含延期（§34），"
                 "按期限届满日计入期间"),
    ind.REPLY_CODES)
for _grade, _label in (("green", gettext_noop("绿色交办按期反馈率")),
                       ("yellow", gettext_noop("黄色交办按期反馈率")),
                       ("red", gettext_noop("红色交办按期反馈率"))):
    _clock_definition(f"graded_{_grade}", _label,
                      gettext_noop("三色分类交办：按该等级的反馈期限反馈 ÷ 到期应反馈"),
                      (ind.GRADE_CODES[_grade],))


# --- evaluation (a row is a Matter) --------------------------------------------------------


def in_evaluation_scope() -> Q:
    """国信发〔2022〕11号 scope as a filter (the same rule as
    ``domain.indicators.evaluation_scope_exclusion``)."""
    return (~Q(channel="superior") & Q(legal_litigation=False)
            & ~Q(closure_kind__in=sorted(ind.OUT_OF_SCOPE_CLOSURES))
            & ~Q(route31__in=sorted(ind.STATUTORY_ROUTES)) & ~Q(klass="report")
            & Q(confidential=False))


def _rating_window() -> int:
    return clocks.rules()["V1"].days


def _with_ratings(qs: QuerySet[Matter]) -> QuerySet[Matter]:
    evaluations = Evaluation.objects.filter(matter=OuterRef("pk"))
    return qs.annotate(rated=Exists(evaluations),
                       latest_rating=Subquery(evaluations.order_by("-round")
                                              .values("rating")[:1]))


def _with_xinfang_rating(qs: QuerySet[Matter]) -> QuerySet[Matter]:
    """The latest round's rating of the 信访部门 as ``latest_rating`` (None or "": none)."""
    latest = Subquery(Evaluation.objects.filter(matter=OuterRef("pk")).order_by("-round")
                      .values("xinfang_rating")[:1])
    return qs.annotate(latest_rating=latest).annotate(
        rated=Case(When(Q(latest_rating__isnull=False) & ~Q(latest_rating=""), then=Value(True)),
                   default=Value(False), output_field=BooleanField()))


def _replied(scope: Scope, p: Period) -> QuerySet[Matter]:
    qs = _matters(scope, "lead_body").filter(in_evaluation_scope(),
                                             replied_on__range=(p.start, p.end))
    return _with_ratings(qs)


def _participation_rows(scope: Scope, p: Period) -> QuerySet[Matter]:
    closed_before = p.today - timedelta(days=_rating_window())
    return _replied(scope, p).filter(Q(rated=True) | Q(replied_on__lt=closed_before))


def _participation_q(p: Period) -> dict[str, Q]:
    return {ind.RATED: Q(rated=True), ind.UNRATED: Q(rated=False)}


def _participation_classify(r: dict[str, Any], p: Period) -> str | None:
    return ind.participation_bucket(r["replied_on"], r["rated"], _rating_window(), p.today)


def _participation_tally(p: Period) -> dict[str, Q]:
    closed_before = p.today - timedelta(days=_rating_window())
    return {ind.RATED: Q(bucket__in=[ind.SATISFIED, ind.UNSATISFIED]),
            ind.UNRATED: Q(bucket=dt.UNRATED, day__lt=closed_before)}


def _satisfaction_tally(p: Period) -> dict[str, Q]:
    return {ind.SATISFIED: Q(bucket=ind.SATISFIED), ind.UNSATISFIED: Q(bucket=ind.UNSATISFIED)}


def _yes_no_tally(p: Period) -> dict[str, Q]:
    return {ind.YES: Q(bucket=ind.YES), ind.NO: Q(bucket=ind.NO)}


_define(Definition(
    "participation_handling", gettext_noop("群众参评率（有权处理机关）"),
    gettext_noop("评价范围内（国信发〔2022〕11号）本期答复的事项中，信访人已评价 ÷（已评价 + 评价期满未评价）"),
    (ind.RATED, ind.UNRATED), (ind.RATED,), (ind.RATED, ind.UNRATED), "lead_body",
    _participation_rows, _participation_q, ("replied_on", "rated"), _participation_classify,
    tally=TallySpec(dt.EVALUATION, _participation_tally)))


def _satisfaction_rows(scope: Scope, p: Period) -> QuerySet[Matter]:
    return _replied(scope, p).filter(rated=True)


def _satisfaction_q(p: Period) -> dict[str, Q]:
    ok = sorted(ind.SATISFIED_RATINGS)
    return {ind.SATISFIED: Q(latest_rating__in=ok), ind.UNSATISFIED: ~Q(latest_rating__in=ok)}


_define(Definition(
    "satisfaction_handling", gettext_noop("参评满意率（有权处理机关）"),
    gettext_noop("评价范围内本期答复并已评价的事项中，最近一次评价为满意或基本满意 ÷ 已评价"),
    (ind.SATISFIED, ind.UNSATISFIED), (ind.SATISFIED,), (ind.SATISFIED, ind.UNSATISFIED),
    "lead_body", _satisfaction_rows, _satisfaction_q, ("latest_rating",),
    lambda r, p: ind.satisfaction_bucket(r["latest_rating"]),
    tally=TallySpec(dt.EVALUATION, _satisfaction_tally)))


# The second target (国信发〔2022〕11号): the 信访部门 that registered and 转送/交办 the matter,
# rated by the petitioner with the same answer (``Evaluation.xinfang_rating``); the same replies,
# attributed to the holder.


def _replied_xinfang(scope: Scope, p: Period) -> QuerySet[Matter]:
    qs = _matters(scope, "holder").filter(in_evaluation_scope(),
                                          replied_on__range=(p.start, p.end))
    return _with_xinfang_rating(qs)


def _participation_xinfang_rows(scope: Scope, p: Period) -> QuerySet[Matter]:
    closed_before = p.today - timedelta(days=_rating_window())
    return _replied_xinfang(scope, p).filter(Q(rated=True) | Q(replied_on__lt=closed_before))


_define(Definition(
    "participation_xinfang", gettext_noop("群众参评率（信访部门）"),
    gettext_noop("评价范围内本期答复的事项中，信访人对登记、转送交办的信访部门作出评价 ÷（已评价 + 评价期满未评价）"),
    (ind.RATED, ind.UNRATED), (ind.RATED,), (ind.RATED, ind.UNRATED), "holder",
    _participation_xinfang_rows, _participation_q, ("replied_on", "rated"),
    _participation_classify, tally=TallySpec(dt.EVALUATION_XINFANG, _participation_tally)))


_define(Definition(
    "satisfaction_xinfang", gettext_noop("参评满意率（信访部门）"),
    gettext_noop("评价范围内本期答复且信访人评价了信访部门的事项中，满意或基本满意 ÷ 已评价"),
    (ind.SATISFIED, ind.UNSATISFIED), (ind.SATISFIED,), (ind.SATISFIED, ind.UNSATISFIED),
    "holder", lambda s, p: _replied_xinfang(s, p).filter(rated=True), _satisfaction_q,
    ("latest_rating",), lambda r, p: ind.satisfaction_bucket(r["latest_rating"] or None),
    tally=TallySpec(dt.EVALUATION_XINFANG, _satisfaction_tally)))


# --- matters registered in the period ------------------------------------------------------


def _received(scope: Scope, p: Period) -> QuerySet[Matter]:
    a, b = p.datetimes()
    return _matters(scope, "holder").filter(received_at__gte=a, received_at__lt=b)


_define(Definition(
    "repeat", gettext_noop("重复信访率"),
    gettext_noop("本期登记的重复信访件次（同一信访人就同一事项再次信访，按事项计）÷ 本期登记件次；"
                 "人次为这些件次的信访人数之和"),
    (ind.YES, ind.NO), (ind.YES,), (ind.YES, ind.NO), "holder", _received,
    lambda p: {ind.YES: Q(repeat_kind="repeat"), ind.NO: ~Q(repeat_kind="repeat")},
    ("repeat_kind",), lambda r, p: ind.repeat_bucket(r["repeat_kind"]), persons="headcount",
    tally=TallySpec(dt.RECEIVED, _yes_no_tally)))


_define(Definition(
    "level_skip", gettext_noop("越级走访占比"),
    gettext_noop("本期登记的来访中越级走访（§20 ¶1，高于有权处理机关两级以上）÷ 本期来访件次"),
    (ind.YES, ind.NO), (ind.YES,), (ind.YES, ind.NO), "holder",
    lambda s, p: _received(s, p).filter(channel="visit"),
    lambda p: {ind.YES: Q(level_skip=True), ind.NO: Q(level_skip=False)},
    ("level_skip",), lambda r, p: ind.YES if r["level_skip"] else ind.NO, persons="headcount",
    tally=TallySpec(dt.VISIT, _yes_no_tally)))


def _first_concluded(scope: Scope, p: Period) -> QuerySet[Matter]:
    a, b = p.datetimes()
    qs = _matters(scope, "lead_body").filter(repeat_kind="first", closed_at__gte=a,
                                             closed_at__lt=b).exclude(closure_kind=WITHDRAWN)
    qs = _with_ratings(qs)
    return qs.annotate(repeated=Exists(Matter.objects.filter(repeat_of=OuterRef("pk"))))


def _first_q(p: Period) -> dict[str, Q]:
    # Spelled out both ways: the latest rating is NULL for an unrated matter, and NOT over a
    # NULL comparison is not true in SQL.
    bad = Q(repeated=True) | Q(review_body__isnull=False) | Q(latest_rating="unsatisfied")
    good = (Q(repeated=False) & Q(review_body__isnull=True)
            & (Q(latest_rating__isnull=True) | ~Q(latest_rating="unsatisfied")))
    return {ind.YES: good, ind.NO: bad}


_define(Definition(
    "first_resolution", gettext_noop("初信初访化解率"),
    gettext_noop("本期办结的初信初访中，未再重复信访、未申请复查、未评价不满意的 ÷ 本期办结的初信初访"),
    (ind.YES, ind.NO), (ind.YES,), (ind.YES, ind.NO), "lead_body", _first_concluded, _first_q,
    ("repeated", "review_body", "latest_rating"),
    lambda r, p: ind.resolution_bucket(repeated=r["repeated"],
                                       reviewed=r["review_body"] is not None,
                                       unsatisfied=r["latest_rating"] == "unsatisfied"),
    tally=TallySpec(dt.FIRST_RESOLUTION, _yes_no_tally)))


# --- 包案 and 积案 (a row is a Case) ---------------------------------------------------------


def _case_rows(kind: str) -> Callable[[Scope, Period], QuerySet[PracticeCase]]:
    def rows(scope: Scope, p: Period) -> QuerySet[PracticeCase]:
        a, b = p.datetimes()
        qs = PracticeCase.objects.filter(scope.row_q("matter__lead_body", "matter__"), kind=kind,
                                         created_at__lt=b).exclude(matter_id__in=exempted())
        if scope.division is not None:
            qs = qs.filter(subtree(scope.division.path))
        qs = qs.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=a))
        return _unit(qs, scope, "matter__lead_body")
    return rows


def _case_q(p: Period) -> dict[str, Q]:
    _a, b = p.datetimes()
    yes = Q(closed_at__lt=b, resolved=True)
    return {ind.YES: yes, ind.NO: ~yes}


def _case_classify(r: dict[str, Any], p: Period) -> str | None:
    closed = timezone.localdate(r["closed_at"]) if r["closed_at"] else None
    return ind.case_bucket(closed, r["resolved"], p.end)


for _kind, _code, _label, _basis in (
        ("ownership", "case_resolution", gettext_noop("领导包案化解率"),
         gettext_noop("本期在办的领导包案中，期末前经审核销号且认定化解的 ÷ 本期在办包案")),
        ("backlog", "backlog_resolution", gettext_noop("信访积案化解率"),
         gettext_noop("本期在册的信访积案中，期末前经审核销号且认定化解的 ÷ 本期在册积案"))):
    _define(Definition(_code, _label, _basis, (ind.YES, ind.NO), (ind.YES,), (ind.YES, ind.NO),
                       "matter__lead_body", _case_rows(_kind), _case_q,
                       ("closed_at", "resolved"), _case_classify, matter_field="matter_id"))


# --- overdue now (operational: exemptions do not apply) ------------------------------------


def _open_rows(scope: Scope, p: Period) -> QuerySet[Matter]:
    return _matters(scope, "queue_body", assessed=False).filter(state__in=OPEN_VALUES)


_define(Definition(
    "overdue", gettext_noop("超期未办结"),
    gettext_noop("未办结且最近一个由机关承担的期限已过（与综合查询“仅超期”、督查督办同一定义），"
                 "按当前应办理的单位统计"),
    (ind.YES, ind.NO), (ind.YES,), (ind.YES, ind.NO), "queue_body", _open_rows,
    lambda p: {ind.YES: overdue_q(p.today), ind.NO: ~overdue_q(p.today)},
    ("next_due",), lambda r, p: ind.YES if r["next_due"] and r["next_due"] < p.today else ind.NO,
    assessed=False, tally=TallySpec(dt.OPEN, lambda p: {ind.YES: Q(day__lt=p.today),
                                                        ind.NO: Q(day__gte=p.today)},
                                    dated=False)))


# ============================================================================ figures


def _aggregate(d: Definition, qs: QuerySet[Any], p: Period,
               group: str | None = None) -> dict[Any, dict[str, int]]:
    """Rows counted per bucket (and per ``group``), in one grouped query; the bucket is a
    CASE over the definition's filters, so the database classifies each row once."""
    qs_ = d.bucket_q(p)
    bucket = Case(*[When(qs_[b], then=Value(b)) for b in d.buckets], default=Value(""),
                  output_field=CharField())
    fields = [*([group] if group else []), "_bucket"]
    aggs: dict[str, Any] = {"_n": Count("pk")}
    if d.persons:
        aggs["_p"] = Sum(d.persons)
    out: dict[Any, dict[str, int]] = {}
    for row in qs.annotate(_bucket=bucket).order_by().values(*fields).annotate(**aggs):
        parts = out.setdefault(row[group] if group else None,
                               dict.fromkeys(d.buckets, 0) | ({"_persons": 0} if d.persons else {}))
        if row["_bucket"]:
            parts[row["_bucket"]] += row["_n"]
            if d.persons and row["_bucket"] in d.numerator:
                parts["_persons"] += int(row["_p"] or 0)
    if group is None and None not in out:
        out[None] = dict.fromkeys(d.buckets, 0) | ({"_persons": 0} if d.persons else {})
    return out


def _figure(d: Definition, parts: dict[str, int]) -> Figure:
    persons = parts.pop("_persons", None) if d.persons else None
    return Figure(d.code, d.label, d.basis, parts, sum(parts[b] for b in d.numerator),
                  sum(parts[b] for b in d.denominator), persons)


def _day_cutoffs(qs: Iterable[Q]) -> set[date]:
    """The days the filters ``qs`` cut the counters at (``day < c``, ``day >= c`` …): a month
    they cut is read from its day rows (``domain.tally.split_by_month``)."""
    out: set[date] = set()
    for q in qs:
        for child in q.children:
            if isinstance(child, Q):
                out |= _day_cutoffs([child])
                continue
            lookup, value = child
            field_name, _, op = lookup.partition("__")
            if field_name != "day":
                continue
            if op in ("lt", "gte"):
                out.add(value)
            elif op in ("lte", "gt"):
                out.add(value + timedelta(days=1))
            else:  # a filter the month split cannot reason about
                raise ValueError(f"counter filter {lookup!r}: only day comparisons")
    return out


CounterModel = type[Tally] | type[TallyMonth]


def counter_sources(start: date, end: date | None, cutoffs: Iterable[date] = ()
                    ) -> list[tuple[CounterModel, Q]]:
    """Where the counters of days ``start``..``end`` (None: no end) are read: the whole
    months no cutoff cuts from the month rows, the rest (the period's partial edge months, a
    month a "before today" filter cuts) from the day rows. Summing the sources gives what the
    day rows alone give."""
    if end is None:
        if start.day == 1:
            return [(TallyMonth, Q(day__gte=start))]
        nxt = dt.next_month(start)
        return [(Tally, Q(day__gte=start, day__lt=nxt)), (TallyMonth, Q(day__gte=nxt))]
    days, months = dt.split_by_month(start, end, cutoffs)
    out: list[tuple[CounterModel, Q]] = []
    for model, ranges in ((Tally, days), (TallyMonth, months)):
        if ranges:
            out.append((model, reduce(operator.or_, [
                Q(day=lo) if lo == hi else Q(day__range=(lo, hi)) for lo, hi in ranges])))
    return out


def undated_sources(cutoffs: set[date]) -> list[tuple[CounterModel, Q]]:
    """Where an undated figure's counters are read (every day: the open matters by the day
    their deadline falls due, "overdue" being ``day < today``): the month rows for every month
    the one cutoff does not cut, the day rows of its month. At 1,000,000 matters the open
    counters were 48,456 day rows, all read by the dashboard's overdue bars (70 ms,
    ``EXPLAIN ANALYZE``, load 10)."""
    if len(cutoffs) != 1:
        return [(Tally, Q())]
    first = min(cutoffs).replace(day=1)
    nxt = dt.next_month(first)
    return [(TallyMonth, Q(day__lt=first) | Q(day__gte=nxt)),
            (Tally, Q(day__gte=first, day__lt=nxt))]


def _tally_aggregate(d: Definition, scope: Scope, p: Period, q: Q,
                     group: bool = False) -> dict[Any, dict[str, int]]:
    """The buckets summed from the counters, one query per source (month rows for the whole
    months, day rows for the rest: ``counter_sources``), grouped by unit with ``group``."""
    spec = d.tally
    assert spec is not None
    by_bucket = spec.buckets(p)
    aggs: dict[str, Any] = {f"b_{b}": Sum("n", filter=by_bucket[b]) for b in d.buckets}
    if d.persons:
        aggs["_persons"] = Sum("persons", filter=reduce(
            operator.or_, [by_bucket[b] for b in d.numerator]))
    cutoffs = _day_cutoffs(by_bucket.values())
    sources: list[tuple[CounterModel, Q]] = (
        counter_sources(p.start, p.end, cutoffs) if spec.dated else undated_sources(cutoffs))
    totals: dict[Any, dict[str, int]] = {}
    for model, days in sources:
        qs = model.objects.filter(q, days, metric=spec.metric)
        if d.assessed:
            qs = qs.filter(exempt=False)
        if scope.unit is not None:
            qs = qs.filter(body_id=scope.unit.pk)
        rows: list[dict[str, Any]] = (list(qs.order_by().values("body_id").annotate(**aggs))
                                      if group else [qs.aggregate(**aggs) | {"body_id": None}])
        for row in rows:
            parts = totals.setdefault(row["body_id"] or None, dict.fromkeys(
                [*d.buckets, *(["_persons"] if d.persons else [])], 0))
            for b in d.buckets:
                parts[b] += int(row[f"b_{b}"] or 0)
            if d.persons:
                parts["_persons"] += int(row["_persons"] or 0)
    if not group:
        return {None: totals.get(None) or dict.fromkeys(
            [*d.buckets, *(["_persons"] if d.persons else [])], 0)}
    return {k: v for k, v in totals.items() if any(v.values())}


def figure(code: str, scope: Scope, period: Period) -> Figure:
    """One figure: from the counters where the definition has them and the scope allows
    (``Scope.tally_q``), otherwise from the rows. Both count the same rows
    (``tests/practice/test_indicators.py``)."""
    d = REGISTRY[code]
    q = scope.tally_q() if d.tally is not None else None
    if q is None:
        return figure_from_rows(code, scope, period)
    return _figure(d, _tally_aggregate(d, scope, period, q)[None])


def figure_from_rows(code: str, scope: Scope, period: Period) -> Figure:
    """The figure counted from the rows themselves (one grouped query over them)."""
    d = REGISTRY[code]
    return _figure(d, _aggregate(d, d.rows(scope, period), period)[None])


def figures(scope: Scope, period: Period, codes: list[str] | None = None) -> list[Figure]:
    return [figure(c, scope, period) for c in (codes or list(REGISTRY))]


def by_unit(code: str, scope: Scope, period: Period) -> dict[int | None, Figure]:
    """One figure per unit (the definition's unit field), in one grouped aggregate."""
    d = REGISTRY[code]
    scope = scope.with_unit(None)
    q = scope.tally_q() if d.tally is not None else None
    if q is not None:
        grouped = _tally_aggregate(d, scope, period, q, group=True)
    else:
        grouped = _aggregate(d, d.rows(scope, period), period, d.unit_field)
    return {k: _figure(d, parts) for k, parts in grouped.items()}
