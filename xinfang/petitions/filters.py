"""The one matter filter: 综合查询, its Excel export, the API's list and search, the bench.

Every door turns its input (a form, query parameters) into a :class:`MatterFilter` and calls
:func:`find`, which starts from the read gate (``access.visible_matters``), so two doors can no
longer answer the same question differently. Definitions that appear nowhere else:

- a keyword is split on spaces (at most ``MAX_TERMS`` terms, all must match); each term is
  found in the title, the request or the content, or is the matter's number or query code;
- "overdue" is an open matter whose nearest deadline is before today (``overdue_q``);
- a division or category includes everything below it; an unknown one matches nothing;
- "unit" is the unit that holds or leads the matter; "acting" the body that has to act now
  (``Matter.queue_body``): the overdue figures of the dashboard and the supervision page are
  attributed to it (``practice.indicators.overdue_by_unit``), and their links land here;
- an identity search (the petitioner's name, phone or ID number: exact, through the blind
  index, so nothing is decrypted to search) needs a reason, finds only matters whose
  petitioner's identity the searcher may see (§30 ¶3: a hidden reporter is not found by
  name), and leaves an audit row with the reason, the kinds of data used and the hits —
  never the values (issue 16 item 3; issue 14 item 13).

Rows come newest first (``received_at`` is indexed), so a page is a LIMIT, never a COUNT(*).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from xinfang.core.crypto import blind_indexes
from xinfang.domain import grams
from xinfang.domain import states as st
from xinfang.domain.errors import DomainError
from xinfang.domain.limits import normalize_phone
from xinfang.org.models import Category, Division, User

from . import access, clocks, textindex
from .models import Channel, Matter

MAX_TERMS = 5
TEXT_FIELDS = ("title", "request", "content")
OPEN_VALUES = [s.value for s in st.OPEN_STATES]


@dataclass
class MatterFilter:
    q: str = ""
    states: list[str] = field(default_factory=list)  # state values; "open" = every open state
    klass: str = ""
    channel: str = ""
    division: str = ""  # division code, with everything below it
    category: str = ""  # category code, with everything below it
    unit: int | None = None  # holds or leads the matter
    holder: int | None = None
    lead_body: int | None = None
    acting_body: int | None = None  # the body that has to act now (Matter.queue_body)
    received_from: date | None = None
    received_to: date | None = None
    overdue: bool | None = None
    supervised: bool | None = None
    level_skip: bool | None = None  # 越级走访 (§20 ¶1, N3)
    phone: str = ""  # exact, through the blind index
    id_number: str = ""  # exact, through the blind index
    name: str = ""  # the petitioner's name (名称), exact, through the blind index
    reason: str = ""  # why an identity search is made: required, audited

    def terms(self) -> list[str]:
        return self.q.split()[:MAX_TERMS]

    @property
    def has_identity(self) -> bool:
        return bool(self.phone or self.id_number or self.name)

    @property
    def identity_kinds(self) -> list[str]:
        """Which identity data the search used (for the audit row: kinds, not values)."""
        return [k for k in IDENTITY_FIELDS if getattr(self, k)]


IDENTITY_FIELDS = ("name", "phone", "id_number")
REASON_MAX = 200


def audit_filters(values: Mapping[str, Any]) -> dict[str, Any]:
    """The filters of a search or export as an audit row keeps them: the identity values are
    personal data and stay out of the chain (issue 14 item 13) — only which kinds were used,
    and the searcher's reason."""
    plain = {k: str(v) for k, v in values.items()
             if v and k not in IDENTITY_FIELDS and k != "reason"}
    kinds = [k for k in IDENTITY_FIELDS if values.get(k)]
    out: dict[str, Any] = {"filters": plain}
    if kinds:
        out["identity_kinds"] = kinds
        out["reason"] = str(values.get("reason") or "")
    return out
# The matters an identity search may return before the identity rule is applied row by row;
# an exact name, phone or ID matches a handful in practice.
IDENTITY_CAP = 1000


class ReasonRequired(DomainError):
    status = 400

    def __init__(self) -> None:
        super().__init__("按姓名、电话或身份证号码查询须填写查询事由（留痕备查）")
        self.errors = {"reason": "请填写查询事由"}


def overdue_q(today: date | None = None) -> Q:
    """An open matter whose nearest deadline is past (the one definition of "overdue")."""
    return Q(next_due__lt=today or clocks.today(), state__in=OPEN_VALUES)


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def _subtree(field_name: str, path: str) -> Q:
    return Q(**{field_name: path}) | Q(**{f"{field_name}__startswith": path + "/"})


def _term_q(term: str) -> Q:
    """A term is found in a matter's text (never a confidential one's, issue 14 item 13), or
    is its number or query code."""
    return textindex.text_q(term, TEXT_FIELDS) | Q(number=term) | Q(query_code=term.upper())


def apply(qs: QuerySet[Matter], f: MatterFilter, *, text: bool = True) -> QuerySet[Matter]:
    """``qs`` narrowed by ``f`` (cheap equality and range filters first, text last; without
    the keyword when ``text`` is false)."""
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.klass:
        qs = qs.filter(klass=f.klass)
    if f.states:
        values = {v for s in f.states for v in (OPEN_VALUES if s == "open" else [s])}
        qs = qs.filter(state__in=sorted(values))
    if f.division:
        div = Division.objects.filter(code=f.division).first()
        if div is None:
            return qs.none()
        qs = qs.filter(_subtree("division_path", div.path))  # indexed prefix (matter_div_recv)
    if f.category:
        cat = Category.objects.filter(code=f.category).first()
        if cat is None:
            return qs.none()
        ids = Category.objects.filter(_subtree("path", cat.path)).values_list("pk", flat=True)
        qs = qs.filter(category_id__in=list(ids))
    if f.unit:
        qs = qs.filter(Q(lead_body_id=f.unit) | Q(holder_id=f.unit))
    if f.holder:
        qs = qs.filter(holder_id=f.holder)
    if f.lead_body:
        qs = qs.filter(lead_body_id=f.lead_body)
    if f.acting_body:
        qs = qs.filter(queue_body=f.acting_body)
    if f.received_from:
        qs = qs.filter(received_at__gte=_day_start(f.received_from))
    if f.received_to:
        qs = qs.filter(received_at__lt=_day_start(f.received_to + timedelta(days=1)))
    if f.overdue is not None:
        qs = qs.filter(overdue_q()) if f.overdue else qs.exclude(overdue_q())
    if f.supervised is not None:
        qs = qs.filter(supervised=f.supervised)
    if f.level_skip is not None:
        qs = qs.filter(level_skip=f.level_skip)
    if f.phone:
        qs = qs.filter(
            petitioners__phone_index__in=blind_indexes(normalize_phone(f.phone), "phone"))
    if f.id_number:
        qs = qs.filter(petitioners__id_index__in=blind_indexes(f.id_number, "id"))
    if f.name:
        qs = qs.filter(petitioners__name_index__in=blind_indexes(f.name, "name"))
    for term in f.terms() if text else []:
        qs = qs.filter(_term_q(term))
    if f.has_identity:
        qs = qs.distinct()  # one matter may have several matching petitioners
    return qs


def find(user: User, f: MatterFilter) -> QuerySet[Matter]:
    """The matters ``user`` may see that match ``f``, newest first. An identity search is
    refused without a reason, narrowed to the matters whose identity ``user`` may see, and
    audited (every door and every page of it)."""
    qs = apply(access.visible_matters(user), f)
    if f.has_identity:
        reason = f.reason.strip()
        if not reason:
            raise ReasonRequired()
        qs = _identity_visible(user, qs)
        _audit_identity_search(user, f, reason, qs)
    return qs.order_by("-received_at", "-id")


def search(user: User, f: MatterFilter, page: int = 1,
           per_page: int = 50) -> textindex.Hits:
    """One page of ``find(user, f)`` as the 综合查询 page shows it (``ResultRow``) with its
    count, capped at ``textindex.COUNT_CAP``."""
    ids, total, capped = search_ids(user, f, page, per_page)
    return textindex.Hits(rows=result_rows(ids[:per_page]), has_next=len(ids) > per_page,
                          total=total, capped=capped)


def search_ids(user: User, f: MatterFilter, page: int = 1, per_page: int = 50
               ) -> textindex.Page:
    """The ids of one page of ``find(user, f)`` (one more than ``per_page`` when there is a
    next page) and the count, capped at ``textindex.COUNT_CAP``.

    A keyword whose terms all have two characters or more is answered from the text index
    (textindex): on SQLite the index is walked newest first with the user's scope and the
    other filters checked on each hit; on PostgreSQL the hits are read through the GIN index
    up to a limit, and past it (a common term) the newest matters are walked with ``LIKE``.
    Anything else — an identity search, a one-character term, a term that is some matter's
    number or query code — is ``find`` itself, paged with a LIMIT and counted up to the cap."""
    page = max(1, int(page))
    offset = (page - 1) * per_page
    terms = f.terms()
    got: textindex.Page | None = None
    if terms and not f.has_identity and all(grams.indexable(t) for t in terms):
        got = _indexed(user, f, terms, offset, per_page)
    if got is None:
        got = textindex.page(find(user, f), offset, per_page)
    return got


def _indexed(user: User, f: MatterFilter, terms: list[str], offset: int, per_page: int
             ) -> textindex.Page | None:
    # A term that is some matter's number or query code (ASCII only): find() decides.
    plain = [t for t in terms if t.isascii()]
    codes = Q(number__in=plain) | Q(query_code__in=[t.upper() for t in plain])
    if plain and Matter.objects.filter(codes).exists():
        return None
    where = _scoped_where(user, f)
    if where is None:
        return None
    tokens = access.index_scope(user)
    if connection.vendor == "sqlite":
        return textindex.sqlite_page(where, terms, offset, per_page, tokens,
                                     count_in_index=f == MatterFilter(q=f.q))
    if connection.vendor == "postgresql":
        return textindex.pg_page(where, terms, offset, per_page, tokens)
    return None


# The read gate with the keyword's other filters, compiled to SQL, for a bare keyword search
# (the 综合查询 box, the API's q): per access.scope_key, which holds everything the gate
# depends on, so a user moved to another unit, role or jurisdiction gets another entry.
# Compiling it took ~4 ms of every search (docs/benchmarks.md).
_WHERE_CACHE: dict[tuple[object, ...], textindex.Where | None] = {}


def _scoped_where(user: User, f: MatterFilter) -> textindex.Where | None:
    def compile_where() -> textindex.Where | None:
        return textindex.where_of(apply(access.visible_matters(user), f, text=False)
                                  .exclude(access.confidential_q()))

    if f != MatterFilter(q=f.q):
        return compile_where()
    key = access.scope_key(user)
    if key not in _WHERE_CACHE:
        _WHERE_CACHE[key] = compile_where()
        if len(_WHERE_CACHE) > 512:
            _WHERE_CACHE.pop(next(iter(_WHERE_CACHE)))
    return _WHERE_CACHE[key]


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One row of the 综合查询 results (web/search.html), read as plain values: building 50
    model instances with four related rows each took ~7 ms of every search."""

    pk: int
    number: str
    title: str
    received_at: datetime
    channel: str
    state: str
    supervised: bool
    level_skip: bool
    next_due: date | None
    lead_body_name: str | None
    holder_name: str
    division_name: str
    category_name: str | None

    @property
    def channel_label(self) -> str:
        return str(CHANNEL_LABELS.get(self.channel, self.channel))

    @property
    def state_label(self) -> str:
        return gettext(st.STATE_LABELS[st.State(self.state)])

    @property
    def unit_name(self) -> str:
        """The unit handling the matter (主办单位), else the body that registered it."""
        return self.lead_body_name or self.holder_name


ROW_VALUES = ("pk", "number", "title", "received_at", "channel", "state", "supervised",
              "level_skip", "next_due", "lead_body__name", "holder__name", "division__name",
              "category__name")
CHANNEL_LABELS = dict(Channel.choices)


def result_rows(ids: list[int]) -> list[ResultRow]:
    """The result rows of ``ids``, in that order (the title unsealed as a model's would be:
    a confidential matter is found by its number)."""
    if not ids:
        return []
    by_id = {v[0]: ResultRow(*v) for v in
             Matter.objects.filter(pk__in=ids).values_list(*ROW_VALUES)}
    return [by_id[i] for i in ids if i in by_id]


def _identity_visible(user: User, qs: QuerySet[Matter]) -> QuerySet[Matter]:
    """Only the matters whose petitioner's identity ``user`` may see (access.can_see_identity,
    the one rule): finding a 检举控告 by its reporter's name would tell who reported it."""
    rows = list(qs.prefetch_related("dispatches").order_by("-received_at", "-id")[:IDENTITY_CAP])
    ok = [m.pk for m in rows if access.can_see_identity(user, m, m.dispatches.all())]
    return Matter.objects.filter(pk__in=ok)


def _audit_identity_search(user: User, f: MatterFilter, reason: str,
                           qs: QuerySet[Matter]) -> None:
    from xinfang.audit import services as audit

    hits = list(qs.order_by("-received_at", "-id").values_list("pk", flat=True)[:21])
    audit.record("identity_search", actor=user, object_type="search", object_id=0,
                 data={"kinds": f.identity_kinds, "reason": reason[:REASON_MAX],
                       "hits": len(hits[:20]), "more": len(hits) > 20, "matters": hits[:20]})
