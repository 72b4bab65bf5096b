"""Read-side queries shared by the web pages, the API and `xinfang bench`.

The work queue ("my queue") must stay fast when the table holds years of closed matters, so
every part of it is an index range scan in ``next_due`` order with a LIMIT: one part per
(body column, state) pair, glued with UNION ALL in one round trip, then merged in Python.
Sorting all open rows of a body (``state IN (…) ORDER BY next_due``) would grow with the
table; these parts grow with the page size only (see docs/benchmarks.md, ## Core).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar, cast

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from xinfang.core.versioned import versioned
from xinfang.domain.states import OPEN_STATES, Role, State
from xinfang.org.models import Body, User
from xinfang.org.scope import SCOPE_VERSION

from . import clocks
from .access import accused_by, get_matter_for_user, visible_matters
from .models import (
    ACTING_BODY_FIELD,
    Attachment,
    Clock,
    Dispatch,
    Document,
    Evaluation,
    Event,
    Matter,
    Petitioner,
    Supervision,
)
from .textindex import Hits

if TYPE_CHECKING:
    from .filters import ResultRow

_T = TypeVar("_T")
PER_PAGE = 50
SqlParam = int | str | date  # a bound parameter of the queue's raw SQL
NEAR_DAYS = 3  # 临期: the nearest deadline falls within three days (ClockPolicy.warn_days)

S = State
_OPEN_ORDER = [S.REGISTERED, S.OBJECTED, S.DISPATCHED, S.SIGNED, S.HANDLING,
               S.EXTENSION_PENDING, S.REPLIED, S.REVIEW_REQUESTED, S.REVIEWED,
               S.RECHECK_REQUESTED, S.RECHECK_HEARING]
assert set(_OPEN_ORDER) == set(OPEN_STATES)


@dataclass(frozen=True)
class Tab:
    key: str
    label: str  # Chinese; marked for translation, translated where it is shown
    states: tuple[State, ...]
    due: str = ""  # "", "near" or "overdue": a filter on next_due
    # Body columns besides the acting body's by which a desk sees the tab's matters: the unit
    # that raised an objection follows it while the forwarder decides (§23 ¶3).
    also: tuple[str, ...] = ()


TABS: dict[str, Tab] = {t.key: t for t in [
    Tab("all", gettext_noop("全部待办"), tuple(_OPEN_ORDER)),
    Tab("todo", gettext_noop("待处置"), (S.REGISTERED, S.OBJECTED)),
    Tab("sign", gettext_noop("待签收"), (S.DISPATCHED,)),
    Tab("doing", gettext_noop("办理中"), (S.SIGNED, S.HANDLING, S.EXTENSION_PENDING)),
    Tab("near", gettext_noop("临期"), tuple(_OPEN_ORDER), due="near"),
    Tab("overdue", gettext_noop("超期"), tuple(_OPEN_ORDER), due="overdue"),
    Tab("rate", gettext_noop("待评价"), (S.REPLIED,)),
    Tab("review", gettext_noop("复查复核"), (S.REVIEW_REQUESTED, S.REVIEWED, S.RECHECK_REQUESTED,
                              S.RECHECK_HEARING)),
    # Issue 16 item 5: the unit head's 延期 requests awaiting approval (§34), and 退回 awaiting
    # the forwarder's decision — at the forwarder and at the unit that objected (§23 ¶3).
    Tab("extension", gettext_noop("延期待批"), (S.EXTENSION_PENDING,)),
    Tab("objection", gettext_noop("退回待审"), (S.OBJECTED,), also=("lead_body_id",)),
]}

# The body that has to act on a matter in each state (models.ACTING_BODY_FIELD), as a column.
ACTING_FIELD: dict[State, str] = {st: f"{name}_id" for st, name in ACTING_BODY_FIELD.items()}
# States in which a matter may have no open clock owed by a body (next_due IS NULL):
# waiting for the petitioner (D8/D10), a paused 复核 clock, or a returned transfer.
NULLABLE_DUE = {S.OBJECTED, S.REPLIED, S.REVIEWED, S.RECHECK_HEARING}
# Roles that oversee a whole jurisdiction rather than one body's desk (access.py).
OVERSIGHT_ROLES = {Role.LEADER.value, Role.SUPERVISOR.value, Role.ADMIN.value}
ROW_RELATED = ("holder", "lead_body", "division", "category")
# What a queue row shows (web/_queue_table.html): loading only these keeps the page's Python
# work (model instances for 50 rows) to a third of a full row with four joined bodies.
QUEUE_ROW_FIELDS = ("number", "title", "is_urgent", "supervised", "klass", "state",
                    "received_at", "next_due", "division__name", "category__name")


def _queue_rows(qs: QuerySet[Matter] | None = None) -> QuerySet[Matter]:
    return (Matter.objects.all() if qs is None else qs).select_related(
        "division", "category").only(*QUEUE_ROW_FIELDS)


@dataclass
class QueuePage:
    tab: Tab
    page: int
    per_page: int
    rows: list[Matter]
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def _parts(user: User, tab: Tab, today: date, limit: int) -> tuple[str, list[SqlParam]]:
    key = (user.pk, user.role, user.body_id, user.is_superuser, tab.key, today, limit)
    return _compiled(key, lambda: _build_parts(user, tab, today, limit))


def _compiled(key: tuple[object, ...], build: Callable[[], _T]) -> _T:
    """SQL compiled once per key (the user's role and body, the tab, the day …), at most 512."""
    cache = _sql_cache()
    if key not in cache:
        cache[key] = build()
        if len(cache) > 512:
            cache.pop(next(iter(cache)))
    return cast(_T, cache[key])


@versioned(SCOPE_VERSION)
def _sql_cache() -> dict[tuple[object, ...], object]:
    """Compiled queue and badge SQL. Visibility depends on the user's role and body (in every
    key) and on the body's kind and division's path (baked into the SQL): an edit of a unit or
    a division empties this in every process (org.scope, issue 15 item 4)."""
    return {}


def _build_parts(user: User, tab: Tab, today: date, limit: int) -> tuple[str, list[SqlParam]]:
    """SQL of the queue: UNION ALL of one ordered, limited index scan per (column, state).

    The visibility filter is compiled once by the ORM (access.visible_matters); the parts only
    add ``state = %s AND <body column> = %s`` around it, so SQLite and PostgreSQL flatten each
    part into a range scan of matter_holder_queue / matter_lead_queue / matter_state_due.
    """
    oversight = user.is_superuser or user.role in OVERSIGHT_ROLES or user.body_id is None
    if set(tab.states) == set(OPEN_STATES):
        if oversight:
            return _build_oversight_part(user, tab, today, limit)
        return _build_desk_parts(user, tab, today, limit)
    base = visible_matters(user)
    if tab.due == "near":
        base = base.filter(next_due__gte=today, next_due__lte=today + timedelta(days=NEAR_DAYS))
    elif tab.due == "overdue":
        base = base.filter(next_due__lt=today)
    cols = ("id", "next_due", "state", "holder_id", "lead_body_id", "review_body_id",
            "recheck_body_id")
    base_sql, base_params = base.values_list(*cols).query.sql_with_params()
    body = None if oversight else user.body
    sqls: list[str] = []
    params: list[SqlParam] = []

    def add(where: str, extra: list[SqlParam], order: str) -> None:
        sqls.append(f"SELECT * FROM (SELECT b.id, b.next_due FROM ({base_sql}) b WHERE {where} "
                    f"ORDER BY {order} LIMIT {int(limit)}) q{len(sqls)}")
        params.extend([*base_params, *extra])

    for state in tab.states:
        fields: list[str | None] = [None]
        if body is not None:
            fields = [ACTING_FIELD[state], *(c for c in tab.also if c != ACTING_FIELD[state])]
            # 信访部门 and 党委政府 also follow what they registered and dispatched.
            if body.kind in (Body.Kind.XINFANG, Body.Kind.PARTY_GOV) and "holder_id" not in fields:
                fields.append("holder_id")
        for f in fields:
            where = "b.state = %s" + (f" AND b.{f} = %s" if f else "")
            extra: list[SqlParam] = [state.value, *([body.pk] if f and body else [])]
            if tab.due or state not in NULLABLE_DUE:
                add(where, extra, "b.next_due, b.id")
            else:
                add(where + " AND b.next_due IS NOT NULL", extra, "b.next_due, b.id")
                add(where + " AND b.next_due IS NULL", extra, "b.id")
    return " UNION ALL ".join(sqls), params


def _due_q(tab: Tab, today: date) -> Q:
    """The 临期/超期 filter of a tab on ``queue_due`` (no deadline never falls in it)."""
    if tab.due == "near":
        return Q(queue_due__gte=today, queue_due__lte=today + timedelta(days=NEAR_DAYS))
    if tab.due == "overdue":
        return Q(queue_due__lt=today)
    return Q()


def _union(parts: list[QuerySet[Matter]], limit: int) -> tuple[str, list[SqlParam]]:
    """UNION ALL of ``(id, next_due)`` index walks, each in queue order and limited."""
    sqls: list[str] = []
    params: list[SqlParam] = []
    for i, qs in enumerate(parts):
        sql, p = (qs.order_by("queue_due", "id").values_list("id", "next_due")[:limit]
                  .query.sql_with_params())
        sqls.append(f"SELECT * FROM ({sql}) q{i}")
        params.extend(p)
    return " UNION ALL ".join(sqls), params


def _build_oversight_part(user: User, tab: Tab, today: date, limit: int
                          ) -> tuple[str, list[SqlParam]]:
    """A jurisdiction's open matters by deadline: one walk of ``matter_open_due``.

    Leaders, 督查 and admins see their division and below (access.visible_matters); the
    filter is checked row by row along the index, which for a county's overseers passes
    nearly every open matter, so the walk stops after about one page.
    """
    return _union([visible_matters(user).filter(_due_q(tab, today), open_holder__isnull=False)],
                  limit)


def _build_desk_parts(user: User, tab: Tab, today: date, limit: int
                      ) -> tuple[str, list[SqlParam]]:
    """A desk's whole queue (every open state) from the generated queue keys.

    ``queue_body = my body`` is "my body has to act now" and ``open_holder = my body`` is "my
    信访部门 registered it and follows it": each implies the matter is visible to the body
    (access.visible_matters: held, handled or reviewed by it), so the only visibility rule
    left is §30 ¶3 (access.accused_by), and its columns are in the same index. One range
    scan per key column, of at most ``limit`` entries, in ``queue_due`` order (next_due, with
    "no deadline" sorting last), whatever the table size.
    """
    body = user.body
    assert body is not None
    columns = ["queue_body"]
    if body.kind in (Body.Kind.XINFANG, Body.Kind.PARTY_GOV):
        columns.append("open_holder")
    return _union([Matter.objects.filter(_due_q(tab, today), **{col: body.pk})
                   .exclude(accused_by(body.pk)) for col in columns], limit)


def queue_page(user: User, tab: str = "all", page: int = 1, *,
               per_page: int = PER_PAGE, sort: str = "due") -> QueuePage:
    """One page of the user's work queue, nearest deadline first (no deadline last).

    ``sort="received"`` (newest first) or ``"number"`` order the same rows otherwise.
    """
    t = TABS.get(tab) or TABS["all"]
    page = max(1, int(page))
    if SORTS.get(sort):
        return _sorted_page(user, t, page, per_page, SORTS[sort])
    sql, params = _parts(user, t, clocks.today(), page * per_page + 1)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        seen: dict[int, date | None] = {
            pk: date.fromisoformat(d) if isinstance(d, str) else d for pk, d in cur.fetchall()}
    ordered = sorted(seen.items(), key=lambda kv: (kv[1] is None, kv[1] or date.min, kv[0]))
    window = ordered[(page - 1) * per_page: page * per_page + 1]
    ids = [pk for pk, _ in window[:per_page]]
    by_id = _queue_rows().in_bulk(ids)
    return QueuePage(t, page, per_page, [by_id[i] for i in ids if i in by_id],
                     len(window) > per_page)


# Tab counts stop here and the tab shows "99+": a badge, like a mail client's. Counting to
# 999 cost ~45 ms of the officer's queue page at 100k matters; to 99 it is a few ms.
COUNT_CAP = 99


def queue_counts(user: User, seen: dict[str, datetime] | None = None) -> dict[str, int]:
    """Matters per queue tab, capped: a value above ``COUNT_CAP`` means "more than COUNT_CAP".

    The same UNION ALL parts as ``queue_page`` (same filters, same index range scans), each
    limited to COUNT_CAP + 1 rows, so a count costs at most ~100 index entries per part no
    matter how large the table grows. All tabs go in one round trip. With ``seen`` (tab →
    when the user last opened it), ``"new:<tab>"`` counts the matters in the tab that changed
    since (the badge the queue polls, issue 16 item 5), in the same round trip.
    """
    today = clocks.today()
    sqls: list[str] = []
    params: list[SqlParam] = []
    keys = list(TABS)
    for i, key in enumerate(keys):
        sql, p = _parts(user, TABS[key], today, COUNT_CAP + 1)
        # A matter can sit in two parts (holder and lead body): count distinct ids.
        sqls.append(f"SELECT {i}, COUNT(DISTINCT u{i}.id) FROM ({sql}) u{i}")
        params.extend(p)
    for key, sql, p in _new_parts(user, seen, today) if seen else []:
        i = len(keys)
        keys.append(key)
        sqls.append(f"SELECT {i}, COUNT(*) FROM ({sql}) u{i}")
        params.extend(p)
    with connection.cursor() as cur:
        cur.execute(" UNION ALL ".join(sqls), params)
        return {keys[int(i)]: int(n) for i, n in cur.fetchall()}


def _new_parts(user: User, seen: dict[str, datetime], today: date
               ) -> list[tuple[str, str, list[SqlParam]]]:
    """Per tab, SQL for the matters in it that changed since ``user`` last opened the tab
    (``seen``; a tab never opened counts from ``seen["*"]``), limited like the counts."""
    parts: list[tuple[str, str, list[SqlParam]]] = []
    field = Matter._meta.get_field("updated_at")
    for key, tab in TABS.items():
        since = seen.get(key) or seen.get("*")
        if since is None:
            continue
        sql, p, at = _new_part(user, tab, today)
        p = list(p)
        p[at] = field.get_db_prep_value(since, connection, prepared=False)
        parts.append((f"new:{key}", sql, p))
    return parts


# The "since" of a tab's new-items SQL is compiled as this placeholder and put in at run time:
# compiling the visibility filter for every tab cost ~40 ms of each queue page (the badges).
_SINCE = datetime(1901, 1, 1, tzinfo=UTC)


def _new_part(user: User, tab: Tab, today: date) -> tuple[str, list[SqlParam], int]:
    def build() -> tuple[str, list[SqlParam], int]:
        qs = visible_matters(user).filter(_tab_filter(user, tab, today), updated_at__gt=_SINCE)
        sql, p = qs.values("pk")[:COUNT_CAP + 1].query.sql_with_params()
        marker = Matter._meta.get_field("updated_at").get_db_prep_value(
            _SINCE, connection, prepared=False)
        return sql, list(p), list(p).index(marker)

    return _compiled(("new", user.pk, user.role, user.body_id, user.is_superuser, tab.key,
                      today), build)


# Sort keys of the queue: the default walks the (body, state, next_due) indexes; the others
# are plain ORM queries over the same tab filter (received_at and number are indexed too).
SORTS: dict[str, tuple[str, ...]] = {
    "due": (),
    "received": ("-received_at", "-id"),
    "number": ("number",),
}


def _tab_filter(user: User, tab: Tab, today: date) -> Q:
    """The tab as a Q: the same (state, acting body) pairs and due filter as ``_build_parts``."""
    oversight = user.is_superuser or user.role in OVERSIGHT_ROLES or user.body_id is None
    body = None if oversight else user.body
    q = Q()
    for state in tab.states:
        if body is None:
            q |= Q(state=state.value)
            continue
        field_name = ACTING_FIELD[state]
        acting = Q(**{field_name: body.pk})
        for extra in tab.also:
            acting |= Q(**{extra: body.pk})
        if body.kind in (Body.Kind.XINFANG, Body.Kind.PARTY_GOV) and field_name != "holder_id":
            acting |= Q(holder_id=body.pk)
        q |= Q(state=state.value) & acting
    if tab.due == "near":
        q &= Q(next_due__gte=today, next_due__lte=today + timedelta(days=NEAR_DAYS))
    elif tab.due == "overdue":
        q &= Q(next_due__lt=today)
    return q


def _sorted_page(user: User, tab: Tab, page: int, per_page: int, order: tuple[str, ...]
                 ) -> QueuePage:
    qs = _queue_rows(visible_matters(user).filter(_tab_filter(user, tab, clocks.today()))
                     ).order_by(*order)
    rows = list(qs[(page - 1) * per_page: page * per_page + 1])
    return QueuePage(tab, page, per_page, rows[:per_page], len(rows) > per_page)


@dataclass
class MatterPage:
    matter: Matter
    petitioners: list[Petitioner]
    dispatches: list[Dispatch]
    clocks: list[Clock]
    events: list[Event]
    documents: list[Document]
    evaluations: list[Evaluation] = field(default_factory=list)
    supervisions: list[Supervision] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def lead_dispatch(self) -> Dispatch | None:
        """Same rule as services.current_lead_dispatch, without a query."""
        leads = [d for d in self.dispatches if d.role == Dispatch.Role.LEAD
                 and d.state not in (Dispatch.DState.RETURNED, Dispatch.DState.REFERRED)]
        return max(leads, key=lambda d: (d.dispatched_at, d.pk), default=None)


def matter_page_data(user: User, matter_id: int | str) -> MatterPage:
    """Everything the matter page shows, in a fixed number of queries (Http404 if hidden)."""
    m = get_matter_for_user(user, matter_id)
    page = MatterPage(
        matter=m,
        petitioners=list(m.petitioners.order_by("-is_lead", "id")),
        dispatches=list(m.dispatches.select_related("from_body", "to_body")
                        .order_by("dispatched_at", "id")),
        clocks=list(m.clocks.select_related("body").order_by("started_on", "id")),
        events=list(m.events.select_related("actor", "actor_body").order_by("at", "id")),
        documents=list(m.documents.select_related("issued_by").order_by("issued_at", "id")),
        evaluations=list(m.evaluations.order_by("round")),
        supervisions=list(m.supervisions.select_related("body").order_by("created_at", "id")),
        attachments=list(m.attachments.order_by("uploaded_at", "id")),
    )
    m._lead_dispatch = page.lead_dispatch  # type: ignore[attr-defined]  # services' cache
    return page


def search_page(user: User, q: str, page: int = 1, *,
                per_page: int = PER_PAGE) -> list[ResultRow]:
    """One page of the keyword search (petitions.filters.search, as 综合查询), newest first."""
    return search_hits(user, q, page, per_page=per_page).rows


def search_hits(user: User, q: str, page: int = 1, *, per_page: int = PER_PAGE) -> Hits:
    """One page of the keyword search with its capped count (petitions.filters.search)."""
    from .filters import MatterFilter, search

    if not q.strip():
        return Hits(rows=[], has_next=False, total=0, capped=False)
    return search(user, MatterFilter(q=q), page, per_page)
