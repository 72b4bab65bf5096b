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
from datetime import timedelta
from functools import reduce
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
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
from xinfang.petitions.models import Clock, Evaluation, Matter

from .counter_sources import CounterModel as CounterModel
from .counter_sources import counter_sources as counter_sources
from .counter_sources import day_cutoffs, undated_sources
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


TALLY_COLUMNS = ("_i", "_g", "b0", "b1", "b2", "_p")  # one counter query's row, any figure


def tally_parts(d: Definition, scope: Scope, p: Period, q: Q, group: bool = False,
                tag: int = 0) -> list[QuerySet[Any]]:
    """The counter queries of one figure, one per source (month rows for the whole months,
    day rows for the rest: ``counter_sources``), each a row of ``TALLY_COLUMNS``: ``tag``,
    the unit (grouped by it with ``group``, else 0), the buckets' sums in the definition's
    order (0 past its last) and the numerator's persons. Alike for every figure, so that
    several run as one statement (``practice.batch``: ``UNION ALL``)."""
    spec = d.tally
    assert spec is not None and len(d.buckets) <= 3
    by_bucket = spec.buckets(p)
    zero = Value(0, output_field=BigIntegerField())
    aggs: dict[str, Any] = {f"b{i}": Sum("n", filter=by_bucket[b]) if i < len(d.buckets)
                            else zero for i, b in enumerate([*d.buckets, "", ""][:3])}
    aggs["_p"] = (Sum("persons", filter=reduce(operator.or_, [by_bucket[b] for b in d.numerator]))
                  if d.persons else zero)
    cutoffs = day_cutoffs(by_bucket.values())
    sources: list[tuple[CounterModel, Q]] = (
        counter_sources(p.start, p.end, cutoffs) if spec.dated else undated_sources(cutoffs))
    out: list[QuerySet[Any]] = []
    for model, days in sources:
        qs = model.objects.filter(q, days, metric=spec.metric)
        if d.assessed:
            qs = qs.filter(exempt=False)
        if scope.unit is not None:
            qs = qs.filter(body_id=scope.unit.pk)
        qs = qs.order_by().annotate(_i=Value(tag, output_field=BigIntegerField()))
        qs = (qs.annotate(_g=F("body_id")).values("_i", "_g").annotate(**aggs) if group
              else qs.values("_i").annotate(_g=zero, **aggs))
        out.append(qs.values_list(*TALLY_COLUMNS))
    return out


def tally_fold(d: Definition, rows: Iterable[tuple[Any, ...]], group: bool = False
               ) -> dict[Any, dict[str, int]]:
    """The rows of ``tally_parts`` summed per unit (``None``: the whole figure)."""
    totals: dict[Any, dict[str, int]] = {}
    keys = [*d.buckets, *(["_persons"] if d.persons else [])]
    for _i, unit, *sums, persons in rows:
        parts = totals.setdefault((unit or None) if group else None, dict.fromkeys(keys, 0))
        for b, v in zip(d.buckets, sums, strict=False):
            parts[b] += int(v or 0)
        if d.persons:
            parts["_persons"] += int(persons or 0)
    if not group:
        return {None: totals.get(None) or dict.fromkeys(keys, 0)}
    return {k: v for k, v in totals.items() if any(v.values())}


def _tally_aggregate(d: Definition, scope: Scope, p: Period, q: Q,
                     group: bool = False) -> dict[Any, dict[str, int]]:
    """The buckets summed from the counters (grouped by unit with ``group``)."""
    return tally_fold(d, (r for qs in tally_parts(d, scope, p, q, group) for r in qs), group)


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
    """Several figures: every counter query of them in one statement (``batched``)."""
    return [f for f in batched(scope, [(c, period, False) for c in (codes or list(REGISTRY))])
            if isinstance(f, Figure)]


def by_unit(code: str, scope: Scope, period: Period) -> dict[int | None, Figure]:
    """One figure per unit (the definition's unit field), in one grouped aggregate."""
    out = batched(scope, [(code, period, True)])[0]
    assert isinstance(out, dict)
    return out


Ask = tuple[str, Period, bool]  # a figure's code, its period, per unit (``by_unit``) or not
# The compiled statements of ``batched``: everything they depend on is in the key (the scope
# with its divisions' codes, each figure's period and today, the rating window).
_STATEMENTS: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}


def batched(scope: Scope, asks: list[Ask]) -> list[Figure | dict[int | None, Figure]]:
    """The figures ``asks`` names (each a ``Figure``, or with ``group`` a figure per unit),
    every counter query among them sent as one ``UNION ALL`` statement: at 1,000,000 matters
    the dashboard's ~30 counter queries of 5–70 ms were mostly round trips on a loaded machine
    (docs/benchmarks.md). What the counters cannot answer is counted from the rows."""
    q = scope.tally_q()  # the scope's divisions (one query), before the key reads them
    counted = [q is not None and REGISTRY[code].tally is not None for code, _p, _g in asks]
    key = (connection.vendor, scope.path, scope.body_id, scope.hidden_from, scope.everything,
           scope.unit.pk if scope.unit else None, tuple(scope._codes or ()), _rating_window(),
           tuple((code, p.start, p.end, p.today, g) for code, p, g in asks))
    statement = _STATEMENTS.get(key)
    if statement is None and q is not None and any(counted):
        # Building and compiling the ~30 parts is most of the dashboard's time once the
        # round trips are gone (~150 of ~250 ms at 515,000 matters): kept per scope and day.
        parts: list[QuerySet[Any]] = []
        for i, (code, period, group) in enumerate(asks):
            if counted[i]:
                s = scope.with_unit(None) if group else scope
                parts += tally_parts(REGISTRY[code], s, period, q, group, tag=i)
        union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        statement = union.query.sql_with_params()
        if len(_STATEMENTS) >= 256:
            _STATEMENTS.clear()
        _STATEMENTS[key] = statement
    rows: dict[int, list[tuple[Any, ...]]] = {}
    if statement is not None:
        with connection.cursor() as cur:
            cur.execute(*statement)
            for r in cur.fetchall():
                rows.setdefault(int(r[0]), []).append(r)
    out: list[Figure | dict[int | None, Figure]] = []
    for i, (code, period, group) in enumerate(asks):
        d, s = REGISTRY[code], scope.with_unit(None) if group else scope
        if not group:
            out.append(_figure(d, tally_fold(d, rows.get(i, []))[None]) if counted[i]
                       else figure_from_rows(code, s, period))
            continue
        grouped = (tally_fold(d, rows.get(i, []), True) if counted[i]
                   else _aggregate(d, d.rows(s, period), period, d.unit_field))
        out.append({k: _figure(d, v) for k, v in grouped.items()})
    return out
