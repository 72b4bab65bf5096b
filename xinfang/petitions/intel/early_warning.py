"""Early warnings within the user's scope (issue 5): a division × category count rising
above its baseline, 集体访 risk, and repeat petitioners before a sensitive period."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, CharField, Count, Q, Sum, When
from django.db.models.functions import Coalesce, Length, Right, Substr, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.domain import deadlines as dl
from xinfang.domain import states as st
from xinfang.domain import tally as dt
from xinfang.org.models import Category, Division, User

from .. import access, census
from ..models import Matter, RepeatKind, Tally
from . import snapshot
from .base import may_use, person_keys, scope_key
from .hot_topics import TOPIC_CAP

WARNING_CACHE_SECONDS = 300
WARNING_WEEKS = 12
# Sensitive periods (name, first day "MM-DD", last day "MM-DD"). This is configuration:
# a deployment sets XINFANG_SENSITIVE_PERIODS in settings to its own list.
DEFAULT_SENSITIVE_PERIODS: list[tuple[str, str, str]] = [
    ("全国两会", "03-01", "03-15"),
    ("国庆", "09-25", "10-08"),
]
SENSITIVE_LEAD_DAYS = 14  # warn this many days before a sensitive period starts

@dataclass
class RisingWarning:
    division: str
    category: str
    weeks: list[int]  # weekly counts, oldest first; the last is the past 7 days
    baseline: float
    method: str
    detail: str

    @property
    def count(self) -> int:
        return self.weeks[-1]


@dataclass
class TopicRisingWarning:
    """A hot topic whose weekly count rises above its baseline this week, or whose matters
    this week carry many people (the attention trigger)."""

    label: str
    matters: list[Matter]  # this week's, newest first
    weeks: list[int]  # weekly counts (Monday weeks), oldest first; the last is this week
    persons: int  # distinct petitioners this week
    method: str  # "poisson", "ewma", "attention" joined by "+"
    detail: str

    @property
    def count(self) -> int:
        return self.weeks[-1]


@dataclass
class CollectiveWarning:
    kind: str  # "headcount" | "topic"
    label: str
    matters: list[Matter]
    persons: int


@dataclass
class SensitiveWarning:
    period: str
    starts: date
    days_to_start: int
    matter: Matter
    repeats: int


@dataclass
class Warnings:
    rising: list[RisingWarning]
    collective: list[CollectiveWarning]
    sensitive: list[SensitiveWarning]
    topics: list[TopicRisingWarning] = field(default_factory=list)
    # The topics job's result the topic warnings (and the collective ones by topic) read:
    # its time (None: no result yet, those warnings wait for it), and the run asked for.
    topics_at: datetime | None = None
    topics_stale: bool = False
    topics_pending: snapshot.Pending | None = None
    # Marked for translation; pages translate it where shown, the API keeps the Chinese.
    test: str = gettext_noop("按属地（乡镇）× 内容分类统计近 12 周每周新收件数。泊松检验：本周件数 x 与前 8 周"
                             "均值 μ 相比，P(X ≥ x | 泊松 μ) < 0.01 且 x ≥ 3 时预警；EWMA 控制图："
                             "标准化残差 (x−μ)/√μ 的指数加权均值（λ = 0.3）超过 3·√(λ/(2−λ)) 时预警。")

    @property
    def total(self) -> int:
        return len(self.rising) + len(self.collective) + len(self.sensitive) + len(self.topics)


Series = dict[tuple[str, str], list[int]]  # (township code, top category name): weekly counts


def weekly_counts(user: User, today: date, *, from_matters: bool = False) -> Series:
    """The visible matters received in the ``WARNING_WEEKS`` weeks to ``today`` (the last week
    is the past 7 days) by township × top category × week, from the day counters
    (``domain.tally.INTAKE``: a few thousand rows, whatever the number of matters). From the
    matters instead (``from_matters``) where the counters cannot say what the user may see (a
    jurisdiction below the township, ``census.township_rows_answer``); the tests hold the two
    equal for every kind of user."""
    first = today - timedelta(days=7 * WARNING_WEEKS - 1)
    if from_matters or not census.township_rows_answer(user):
        rows = _days_from_matters(user, first)
    else:
        q = census.census_q(user)
        if q is None:
            return {}
        rows = _days_from_counters(q, first, today)
    series: Series = defaultdict(lambda: [0] * WARNING_WEEKS)
    for town_code, cat, day, n in rows:
        w = (today - day).days // 7
        if not 0 <= w < WARNING_WEEKS:
            continue
        series[(town_code, cat or "未分类")][WARNING_WEEKS - 1 - w] += n
    return dict(sorted(series.items()))


def _days_from_counters(q: Q, first: date, today: date) -> list[tuple[str, str | None, date, int]]:
    """Township × top category × day from the intake counters within ``q`` (the read gate as
    counter rows, ``census.census_q``: the subtree's body-0 rows and the body's own rows
    outside it, less the 检举控告 accusing it). The dim is the matter's category's parent, or
    the category itself (``domain.tally.CATEGORY``), named as it is named now."""
    rows = list(Tally.objects.filter(q, metric=dt.INTAKE, day__gte=first, day__lte=today)
                .order_by().values_list("division_id", "dim", "day").annotate(s=Sum("n"))
                .values_list("division_id", "dim", "day", "s"))
    cats = {str(pk): name for pk, name in Category.objects.filter(
        pk__in={int(d) for _t, d, _day, _n in rows if d}).values_list("pk", "name")}
    return [(town, cats.get(d), day, n) for town, d, day, n in rows if n]


def _days_from_matters(user: User, first: date) -> list[tuple[str, str | None, date, int]]:
    """The same grouped from the visible matters (2.6 s at 1,000,000 matters on PostgreSQL:
    it reads every visible matter of the twelve weeks)."""
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    # The township is the path's fourth code: codes are 12 digits joined by "/", so it is the
    # slice at 40 where the path has four codes or more, else the path's last code.
    town = Case(When(path_len__gte=51, then=Substr("division_path", 40, 12)),
                default=Right("division_path", 12), output_field=CharField())
    return list(access.visible_matters(user).filter(received_at__gte=start)
                .annotate(path_len=Length("division_path")).order_by()
                .values_list(town, Coalesce("category__parent__name", "category__name"),
                             TruncDate("received_at"))
                .annotate(n=Count("pk")))


def rising_warnings(user: User, today: date | None = None, *,
                    from_matters: bool = False) -> list[RisingWarning]:
    """Division (township) × top category weekly counts rising above their baseline."""
    from xinfang.nlp import ewma_alerts, poisson_alerts

    series = weekly_counts(user, today or timezone.localdate(), from_matters=from_matters)
    names = dict(Division.objects.filter(code__in={d for d, _ in series}).values_list("code", "name"))
    out = []
    last = WARNING_WEEKS - 1
    for (div, cat), counts in series.items():
        if counts[last] < 3:
            continue
        alerts = [a for a in poisson_alerts(counts) + ewma_alerts(counts) if a.index == last]
        if not alerts:
            continue
        a = min(alerts, key=lambda a: a.method != "poisson")
        detail = (f"泊松检验 p = {a.p_value:.2g}" if a.method == "poisson"
                  else f"EWMA z = {a.statistic} > {a.limit}")
        out.append(RisingWarning(names.get(div, div), cat, counts, a.baseline,
                                 "+".join(sorted({x.method for x in alerts})), detail))
    out.sort(key=lambda r: -(r.count - r.baseline))
    return out


def collective_warnings(user: User, now: datetime | None = None,
                        topics: snapshot.Status | None = None) -> list[CollectiveWarning]:
    """集体访 risk: a large group on one matter, or ≥ 3 petitioners on one topic in 7 days
    (the topics job's stored result; none until it has one: ``topics`` says so)."""

    now = now or timezone.now()
    since = now - timedelta(days=7)
    min_persons = dl.Policy().collective_visit_min_persons
    recent = access.visible_matters(user).filter(received_at__gt=since, received_at__lte=now)
    out = [CollectiveWarning("headcount", f"{m.title}（{m.headcount} 人）", [m], m.headcount)
           for m in recent.filter(headcount__gte=min_persons).select_related("division")
           .order_by("-headcount")[:20]]
    snap = (topics or snapshot.status(now)).snapshot
    if snap is None:
        return out
    # The job's topics kept to this user's matters of the 7 days (the label is the most
    # central visible member's title, intel.snapshot): no clustering in the web worker.
    mine = set(recent.exclude(access.confidential_q()).values_list("pk", flat=True))
    groups = [ids for t in snap.topics if len(ids := [i for i in t["ids"] if i in mine]) >= 3]
    if groups:
        people = person_keys([i for g in groups for i in g])
        by_pk = Matter.objects.select_related("division").in_bulk([i for g in groups for i in g])
        for g in groups:
            persons = len({people[i] for i in g})
            if persons >= 3:
                out.append(CollectiveWarning("topic", by_pk[g[0]].title, [by_pk[i] for i in g],
                                             persons))
    return out


ATTENTION_PERSONS = 10  # people on one topic's matters in a week that flag it whatever the count


def topic_rising_warnings(user: User, today: date | None = None,
                          topics: snapshot.Status | None = None) -> list[TopicRisingWarning]:
    """Hot topics of the last 12 weeks whose weekly count rises this week (the Poisson and
    EWMA tests of ``xinfang nlp warn``, from ≥ 2 distinct petitioners), or whose matters this
    week carry ≥ ATTENTION_PERSONS people (a 集体访's headcount counts as support). The topics
    are the job's stored result (none until it has one: ``topics`` says so); the texts are
    not read and nothing is clustered here."""
    from xinfang.nlp.topic_types import Topic, TopicItem
    from xinfang.nlp.warn import period_start, topic_warnings

    snap = (topics or snapshot.status()).snapshot
    if snap is None:
        return []
    today = today or timezone.localdate()
    first = period_start(today, "week") - timedelta(weeks=WARNING_WEEKS - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = list(access.visible_matters(user).filter(received_at__gte=start)
                .order_by("-received_at")
                .values_list("pk", "title", "accused_body__name", "received_at", "headcount")
                [:TOPIC_CAP])
    if not rows:
        return []
    people = person_keys([r[0] for r in rows])
    items = [TopicItem(str(r[0]), r[1], max((r[4] or 1) - 1, 0), None, r[2] or None,
                       timezone.localdate(r[3]), 0, people[r[0]])
             for r in rows]
    # Anchor the weeks: a first and a last item with no text span the 12 weeks to today.
    items += [TopicItem("_first", "", 0, None, None, first), TopicItem("_today", "", 0, None, None, today)]
    when = {it.id: it.when for it in items}
    # The job's topics, kept to this user's matters of the 12 weeks.
    found = [Topic("", [], ids, 0) for t in snap.topics
             if len(ids := [str(i) for i in t["ids"] if str(i) in when]) >= 3]
    out = []
    for w in topic_warnings(found, items, "week", attention_votes=ATTENTION_PERSONS - 1):
        last = len(w.counts) - 1
        alerts = [a for a in w.alerts if a.index == last]
        methods = sorted({a.method for a in alerts} | ({"attention"} if last in w.attention else set()))
        if not methods or w.counts[last] == 0:
            continue
        a = min(alerts, key=lambda a: a.method != "poisson") if alerts else None
        detail = ("" if a is None else f"泊松检验 p = {a.p_value:.2g}" if a.method == "poisson"
                  else f"EWMA z = {a.statistic} > {a.limit}")
        week_ids = [int(i) for i in w.topic.ids if (d := when[i]) is not None and d >= w.starts[last]]
        by_pk = Matter.objects.select_related("division").in_bulk(week_ids)
        matters = sorted(by_pk.values(), key=lambda m: m.received_at, reverse=True)
        out.append(TopicRisingWarning(w.topic.label or matters[0].title, matters, w.counts[-WARNING_WEEKS:],
                                      len({people[m.pk] for m in matters}), "+".join(methods),
                                      detail))
    out.sort(key=lambda t: -t.count)
    return out


def sensitive_periods() -> list[tuple[str, str, str]]:
    return list(getattr(settings, "XINFANG_SENSITIVE_PERIODS", DEFAULT_SENSITIVE_PERIODS))


def upcoming_period(today: date) -> tuple[str, date, date] | None:
    """A sensitive period that is running or starts within SENSITIVE_LEAD_DAYS."""
    for name, first, last in sensitive_periods():
        for year in (today.year, today.year + 1):
            a = date(year, int(first[:2]), int(first[3:]))
            b = date(year, int(last[:2]), int(last[3:]))
            if b < a:
                b = date(year + 1, b.month, b.day)
            if a - timedelta(days=SENSITIVE_LEAD_DAYS) <= today <= b:
                return name, a, b
    return None


def sensitive_warnings(user: User, today: date | None = None) -> list[SensitiveWarning]:
    """Repeat petitioners with an open matter as a sensitive period approaches."""
    today = today or timezone.localdate()
    period = upcoming_period(today)
    if period is None:
        return []
    name, first, _last = period
    qs = (access.visible_matters(user)
          .filter(state__in=[s.value for s in st.OPEN_STATES])
          .exclude(repeat_kind=RepeatKind.FIRST)
          .select_related("division", "repeat_of").order_by("-received_at")[:50])
    out = []
    for m in qs:
        repeats = Matter.objects.filter(
            Q(repeat_of_id=m.repeat_of_id) | Q(pk=m.repeat_of_id)).count() if m.repeat_of_id else 1
        out.append(SensitiveWarning(name, first, max(0, (first - today).days), m, repeats))
    return out


def warnings_for(user: User) -> Warnings:
    """All early warnings within the user's scope; cached for a few minutes per scope and
    stored topics result (a new result of the topics job is shown at once)."""
    if not may_use(user):
        return Warnings([], [], [])
    topics = snapshot.status()  # asks for a run when there is no fresh result
    key = (f"intel:warnings:{scope_key(user)}:{timezone.localdate()}:"
           f"{topics.snapshot.pk if topics.snapshot else 0}")
    hit = cache.get(key)
    if hit is None:
        hit = Warnings(rising_warnings(user), collective_warnings(user, topics=topics),
                       sensitive_warnings(user), topic_rising_warnings(user, topics=topics),
                       topics_at=topics.computed_at, topics_stale=topics.stale,
                       topics_pending=topics.pending)
        cache.set(key, hit, WARNING_CACHE_SECONDS)
    return hit  # type: ignore[no-any-return]


def warnings_json(w: Warnings) -> dict[str, Any]:
    return {
        "test": w.test,
        "rising": [{"division": r.division, "category": r.category, "count": r.count,
                    "baseline": r.baseline, "weeks": r.weeks, "method": r.method,
                    "detail": r.detail} for r in w.rising],
        "collective": [{"kind": c.kind, "label": c.label, "persons": c.persons,
                        "matters": [{"id": m.pk, "number": m.number} for m in c.matters]}
                       for c in w.collective],
        "topics": [{"label": t.label, "count": t.count, "weeks": t.weeks, "persons": t.persons,
                    "method": t.method, "detail": t.detail,
                    "matters": [{"id": m.pk, "number": m.number} for m in t.matters]}
                   for t in w.topics],
        # The topic warnings wait for the topics job's first result (issue 19 item 5).
        "topics_result": {
            "computed_at": w.topics_at.isoformat() if w.topics_at else None,
            "stale": w.topics_stale,
            "asked_at": w.topics_pending.asked_at.isoformat() if w.topics_pending else None},
        "sensitive": [{"period": s.period, "starts": s.starts.isoformat(),
                       "days_to_start": s.days_to_start,
                       "matter": {"id": s.matter.pk, "number": s.matter.number},
                       "repeats": s.repeats} for s in w.sensitive],
    }

