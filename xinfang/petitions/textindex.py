"""Keyword search through the text index (issue 19 item 2): any term of two characters or
more, common or absent, answered from an index of character bigrams (domain.grams).

The index (migration 0020), kept by the database in the same statement as every write of a
matter's text, so no code path can forget it:

- SQLite: the FTS5 table ``petitions_matter_text`` (rowid = day received × 2³² + id). A term
  is the phrase of its bigrams, which is exact: no ``LIKE`` afterwards. The walk goes down the
  rowids (newest day first) joined to the matter by id, with the user's scope and the other
  filters checked on each hit, and stops at the page's end — a common term stops early, an
  absent one is an empty posting list.
- PostgreSQL: the partial two-column GIN index ``matter_text_scope`` over the lower-cased
  text's bigrams and the matter's scope tokens (migration 0022, the same tokens as SQLite's
  ``scope`` column; a token that most matters carry, such as the county 信访局's division,
  is left out of the read and the read gate alone filters: ``pg_scope``). GIN returns no
  order, so one statement reads the hits through the index
  (a bitmap of the unit's hits only: an absent or rare term reads only those) as far as the
  cap and returns their number and the page sorted from them; past the cap (a common word)
  the newest matters are walked with ``LIKE`` where that is cheaper than the window, else
  the page is read from a window of the last days, the GIN bitmap intersected with
  ``received_at``'s: either way about a page of rows is read, not every hit. A word whose
  posting list is long is first looked for by a walk bounded by what the list would cost
  (``_walk_budget``), and the bitmaps are kept exact (``_exact_bitmaps``).

Both are written as SQL here around the read gate's WHERE clause, which filters compiles
once per access.scope_key: building the ORM query for every search cost more than the search.

Confidential matters are not in either index and are excluded again here, by the same rule
(``access.confidential_q``): their words find nothing; their number and query code do
(issue 14 item 13). A term of one character is a scan (``LIKE``), as before.

The count is capped (``COUNT_CAP``): past it the page says "1,000 件以上" instead of a
number that would cost a scan of every hit.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext

from xinfang.domain import grams

from . import access
from .models import Matter

if TYPE_CHECKING:
    from .filters import ResultRow

COUNT_CAP = 1000
Where = tuple[str, list[Any]]  # `` AND (…)`` over "petitions_matter", and its parameters
NOTHING: Where = (" AND 0 = 1", [])  # a read gate or filter that matches no matter
Page = tuple[list[int], int, bool]  # ids in order (one more than the page: has_next), count, capped
TABLE = "petitions_matter_text"
TEXT_FIELDS = ("title", "request", "content")
_ID_BITS = 32
_ID_MASK = (1 << _ID_BITS) - 1
# The first expression of the PostgreSQL index ``matter_text_scope`` (migrations 0020, 0022).
_PG_GRAMS = ("xinfang_grams(lower(\"petitions_matter\".\"title\" || ' ' || "
             "\"petitions_matter\".\"request\" || ' ' || \"petitions_matter\".\"content\"))"
             " @> %s::text[]")
_MATTER_SELECT = re.compile(r'SELECT "petitions_matter"\."id"(?: AS "\w+")? FROM "petitions_matter"')


def scope_q(tokens: list[str]) -> Q:
    """PostgreSQL: the matters carrying any of ``tokens`` in their ``search_scope`` (migration
    0022), which the GIN index ``matter_text_scope`` intersects with the bigrams."""
    return Q(RawSQL('"petitions_matter"."search_scope" && %s::text[]', (tokens,),
                    output_field=BooleanField()))


def term_bigrams(term: str) -> list[str]:
    return grams.term_bigrams(term)


def like_q(term: str, fields: tuple[str, ...] = TEXT_FIELDS) -> Q:
    """``term`` in any of ``fields`` by ``LIKE``; case-insensitive only where case exists
    (``icontains`` costs PostgreSQL an UPPER() of every text it reads)."""
    lookup = "contains" if term.lower() == term.upper() else "icontains"
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__{lookup}": term})
    return q


def text_q(term: str, fields: tuple[str, ...] = TEXT_FIELDS) -> Q:
    """The matters whose ``fields`` hold ``term``, never a confidential one.

    Through the index when ``term`` has two characters or more and all three text fields
    are asked; otherwise ``LIKE`` (a scan)."""
    q = like_q(term, fields)
    if grams.indexable(term) and set(fields) == set(TEXT_FIELDS):
        if connection.vendor == "sqlite":
            q = Q(pk__in=RawSQL(
                f"SELECT rowid & {_ID_MASK} FROM {TABLE} WHERE {TABLE} MATCH %s",
                (grams.phrase(term),)))
        elif connection.vendor == "postgresql":
            bigrams = grams.term_bigrams(term)
            index = Q(RawSQL(_PG_GRAMS, (bigrams,), output_field=BooleanField()))
            # A two-character caseless term is one bigram: the index alone decides.
            exact = len(term) == 2 and term.lower() == term.upper()
            q = index if exact else index & q
    return q & ~access.confidential_q()


@dataclass
class Hits:
    rows: list[ResultRow]
    has_next: bool
    total: int  # at most COUNT_CAP
    capped: bool  # more than COUNT_CAP matters match

    @property
    def total_label(self) -> str:
        if self.capped:
            return gettext("%(n)s 件以上") % {"n": f"{COUNT_CAP:,}"}
        return gettext("共 %(n)s 件") % {"n": f"{self.total:,}"}


def capped_count(qs: QuerySet[Matter], already: int = 0) -> tuple[int, bool]:
    """How many rows ``qs`` has, counting no further than ``COUNT_CAP`` + 1."""
    n = qs.order_by().values("pk")[:COUNT_CAP + 1].count()
    n = max(n, already)
    return min(n, COUNT_CAP), n > COUNT_CAP


def page(qs: QuerySet[Matter], offset: int, size: int) -> Page:
    """Ids of one page of ``qs`` (ordered) and its capped count, generic path."""
    ids = list(qs.values_list("pk", flat=True)[offset:offset + size + 1])
    if len(ids) <= size and (ids or offset == 0):
        return ids, offset + len(ids), False
    total, capped = capped_count(qs)
    return ids, total, capped


def where_of(qs: QuerySet[Matter]) -> Where | None:
    """The WHERE clause of ``qs`` over the bare matter table as `` AND (…)`` and its
    parameters; None if it needs a join; ``NOTHING`` if it can match no row."""
    try:
        sql, params = qs.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:
        return NOTHING
    head = _MATTER_SELECT.match(sql)
    if head is None:
        return None
    rest = sql[head.end():]
    if not rest:
        return "", list(params)
    if not rest.startswith(" WHERE "):
        return None
    return " AND (" + rest[len(" WHERE "):] + ")", list(params)


def sqlite_page(where: Where, terms: list[str], offset: int, size: int,
                scope: list[str] | None = None, *, count_in_index: bool = False) -> Page:
    """One page of the matters matching ``where`` (``where_of``: the read gate and the other
    filters) and ``terms``, walking the FTS5 index newest first; ``scope``
    (access.index_scope) narrows the walk inside the index to what the user's unit may see,
    so a unit's rare term is not a walk through everybody's hits.

    The rows of the page are always checked against ``where`` (the real visibility rule and
    the other filters). With ``count_in_index`` (a keyword and nothing else) the count is the
    index's alone: its scope column is the visibility rule written by the same triggers that
    write the text, and confidential matters are not in it, so it counts what the walk would
    find without reading a matter row.

    Returns (ids in order, capped count, capped)."""
    if where is NOTHING:
        return [], 0, False
    cond, params = where
    match = " AND ".join([*(grams.phrase(t) for t in terms),
                          *([grams.scope_query(scope)] if scope else [])])
    base = (f'SELECT "petitions_matter"."id", "petitions_matter"."received_at", '
            f'{TABLE}.rowid FROM {TABLE} CROSS JOIN "petitions_matter" '
            f'ON "petitions_matter"."id" = ({TABLE}.rowid & {_ID_MASK}) '
            f"WHERE {TABLE} MATCH %s{{extra}}{cond} ORDER BY {TABLE}.rowid DESC")
    want = offset + size + 1
    with connection.cursor() as cur:
        cur.execute(base.format(extra="") + " LIMIT %s", [match, *params, want])
        rows = cur.fetchall()
        complete = len(rows) < want
        if not complete:
            # The rowid orders by day, then id: the rest of the last row's day may hold
            # matters received later that day. Read them all, then order exactly.
            last = rows[-1][2]
            day_start = (last >> _ID_BITS) << _ID_BITS
            cur.execute(base.format(extra=f" AND {TABLE}.rowid >= %s AND {TABLE}.rowid < %s"),
                        [match, day_start, last, *params])
            rows += cur.fetchall()
        if complete:
            total, capped = len(rows), False
        else:
            if count_in_index:
                cur.execute(f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} "
                            f"WHERE {TABLE} MATCH %s LIMIT %s)", [match, COUNT_CAP + 1])
            else:
                cur.execute(f"SELECT count(*) FROM ({base.format(extra='')} LIMIT %s)",
                            [match, *params, COUNT_CAP + 1])
            n = max(cur.fetchone()[0], want)
            total, capped = min(n, COUNT_CAP), n > COUNT_CAP
    rows.sort(key=lambda r: (str(r[1]), r[0]), reverse=True)
    return [r[0] for r in rows[offset:want]], total, capped


def _pg_like(term: str) -> Where:
    """``like_q(term)`` as PostgreSQL SQL, as Django writes ``contains``/``icontains``."""
    pattern = "%" + connection.ops.prep_for_like_query(term) + "%"
    caseless = term.lower() == term.upper()
    cols = [f'"petitions_matter"."{name}"::text' for name in TEXT_FIELDS]
    parts = [f"{c} LIKE %s" if caseless else f"UPPER({c}) LIKE UPPER(%s)" for c in cols]
    return "(" + " OR ".join(parts) + ")", [pattern] * len(cols)


# A term's bigrams the GIN condition asks at most (``_pg_index``): the rarest. GIN reads the
# whole posting list of every bigram it is asked for, so 东门社区 read 东门's, 门社's and
# 社区's — 240,000 entries at 1M of the aggregates bench — to find what 东门 alone narrows to
# 40,000; ``LIKE`` on each row found decides the term anyway.
INDEX_BIGRAMS = 2


def _pg_index(term: str) -> Where:
    """``text_q(term)`` on PostgreSQL (an indexable term) as SQL: the GIN condition on its
    ``INDEX_BIGRAMS`` rarest bigrams (ANALYZE's shares; an unlisted one is rarer than any
    listed), and ``LIKE`` unless the term is one caseless bigram (then the index alone is
    exact)."""
    bigrams = grams.term_bigrams(term)
    if len(bigrams) > INDEX_BIGRAMS:
        shares = stats().grams
        bigrams = sorted(bigrams, key=lambda g: shares.get(g, 0.0))[:INDEX_BIGRAMS]
    index: Where = (_PG_GRAMS, [bigrams])
    if len(term) == 2 and term.lower() == term.upper():
        return index
    like, params = _pg_like(term)
    return f"{index[0]} AND {like}", [*index[1], *params]


def _join(parts: list[Where]) -> Where:
    return " AND ".join(p[0] for p in parts), [x for p in parts for x in p[1]]


_PG_OPEN = ("\"petitions_matter\".\"klass\" <> 'report' "
            "AND NOT \"petitions_matter\".\"confidential\"")  # the partial index's predicate


def pg_page(where: Where, terms: list[str], offset: int, size: int,
            scope: list[str] | None = None) -> Page:
    """PostgreSQL: one page of the matters matching ``where`` (``where_of``) and ``terms``,
    newest first, with the capped count.

    One statement reads the hits through the GIN index (``matter_text_scope``: bigrams and,
    for a unit, its ``scope`` tokens — unless they cover most matters, ``pg_scope``) as far
    as the cap, and returns their number, the page
    sorted from them and how many days they span, so each hit's row is read once. Past the
    cap (a common word) the page comes from a walk of the newest matters with ``LIKE`` if
    the word is dense enough, else from the hits received in the last days, which the index
    intersects with ``received_at``'s (``_newest``): about a page of rows is read either way,
    however many matters hold the word.

    A word common enough that the index's read would be long (``_walk_budget``) is first
    looked for by a walk of the newest matters with ``LIKE``, which stops at the cap's hits
    and is given no more rows than the index's read would cost (``_walk_count``: a short
    probe says whether the rest is worth walking): a word dense among the matters the user
    sees is counted and paged by that walk alone."""
    if where is NOTHING:
        return [], 0, False
    tokens, scope = scope, pg_scope(scope)
    want = offset + size + 1
    gate = [(_PG_OPEN, []), *([("\"petitions_matter\".\"search_scope\" && %s::text[]",
                                [scope])] if scope else []),
            (where[0].removeprefix(" AND ") or "TRUE", where[1])]
    cond = _join([*(_pg_index(t) for t in terms), *gate])
    with transaction.atomic(using=connection.alias), connection.cursor() as cur:
        _exact_bitmaps(cur)
        budget = _walk_budget(terms, tokens) if want <= COUNT_CAP + 1 else None
        walked = _walk_count(cur, terms, gate, budget, want) if budget else None
        if walked is not None:  # more than the cap, all among the newest rows walked
            if not walked:  # the page's last moment is the walk's last: walk it in order
                walked = _walk_page(cur, terms, gate, want)
            return walked[offset:want], COUNT_CAP, True
        cur.execute(
            "WITH h AS MATERIALIZED (SELECT \"petitions_matter\".\"id\", "
            "\"petitions_matter\".\"received_at\", "
            "(\"petitions_matter\".\"ctid\"::text::point)[0] AS block "
            f"FROM \"petitions_matter\" WHERE {cond[0]} LIMIT %s) "
            "SELECT (SELECT count(*) FROM h), (SELECT max(block) - min(block) + 1 FROM h), "
            "ARRAY(SELECT h.id FROM h ORDER BY h.received_at DESC, h.id DESC LIMIT %s OFFSET %s)",
            [*cond[1], COUNT_CAP + 1, size + 1, offset])
        n, blocks, ids = cur.fetchone()
        if n > COUNT_CAP:
            ids = _newest(cur, terms, cond, gate, want, n, blocks)[offset:]
    ids = list(ids)
    if len(ids) <= size and (ids or offset == 0):
        return ids, offset + len(ids), False  # the last page: the exact count
    return ids, min(n, COUNT_CAP), n > COUNT_CAP


# A scope token that at least this share of the matters carry is left out of the GIN
# condition (``pg_scope``): the index would union its posting list — for the county's own
# division, every matter — before intersecting it with the word's, to narrow almost nothing.
# Without it the row filter (the read gate, which decides anyway) discards the few rows the
# user may not see: at a share s, (1 − s) / s rows read per hit, at most one at one half,
# against a posting list of N·s entries skipped.
SCOPE_SHARE = 0.5
STATS_TTL = 300.0  # seconds a process keeps the statistics below before reading them again


@dataclass(frozen=True)
class Stats:
    """What ANALYZE (and autovacuum after it) last sampled, for choosing how to read the
    index: the share of matters carrying each common scope token (``search_scope``), the
    share of the indexed matters holding each common bigram (the index's first column), and
    the number of matters. A token or bigram not listed is rarer than ANALYZE's cutoff; a
    table never analysed lists none. It decides only how the hits are read, never which."""

    scope: dict[str, float]
    grams: dict[str, float]
    rows: float
    pages: float = 0.0  # the matter table's heap pages (relpages)
    width: float = 0.0  # the average bytes of title, request and content together


_stats: tuple[float, Stats] | None = None


def stats() -> Stats:
    """PostgreSQL's ``pg_stats.most_common_elems`` with their frequencies (the fraction of
    rows holding each) for ``search_scope`` and for ``matter_text_scope``'s bigrams, the
    matter table's ``reltuples`` and ``relpages`` and its texts' average width: one catalogue
    read per ``STATS_TTL``, whatever N is."""
    global _stats
    now = time.monotonic()
    if _stats is None or now - _stats[0] > STATS_TTL:
        shares: dict[str, dict[str, float]] = {"search_scope": {}, "xinfang_grams": {}}
        with connection.cursor() as cur:
            cur.execute("SELECT attname, most_common_elems::text::text[], "
                        "most_common_elem_freqs FROM pg_stats "
                        "WHERE schemaname = current_schema() AND ((tablename = "
                        "'petitions_matter' AND attname = 'search_scope') OR (tablename = "
                        "'matter_text_scope' AND attname = 'xinfang_grams'))")
            for name, elems, freqs in cur.fetchall():
                elems, freqs = elems or [], freqs or []
                # (the frequencies go on with the minimum, the maximum, the empty arrays')
                shares[name] = dict(zip(elems, freqs[:len(elems)], strict=True))
            cur.execute("SELECT reltuples, relpages, (SELECT sum(avg_width) FROM pg_stats "
                        "WHERE schemaname = current_schema() AND tablename = "
                        "'petitions_matter' AND attname IN ('title', 'request', 'content')) "
                        "FROM pg_class WHERE relname = 'petitions_matter'")
            row = cur.fetchone() or (0, 0, 0)
        _stats = (now, Stats(scope=shares["search_scope"], grams=shares["xinfang_grams"],
                             rows=max(float(row[0] or 0), 0.0), pages=float(row[1] or 0),
                             width=float(row[2] or 0)))
    return _stats[1]


def scope_shares() -> dict[str, float]:
    return stats().scope


def forget_stats() -> None:
    global _stats
    _stats = None


def pg_scope(tokens: list[str] | None) -> list[str] | None:
    """``tokens`` (access.index_scope) for the GIN condition, or None where one of them is
    carried by ``SCOPE_SHARE`` of the matters or more (the county 信访局's division): the
    matters with any of the tokens are then at least that share, and reading the word's hits
    alone, each checked against the read gate, costs less than the token's posting list.
    Either way the rows found are exactly the visible ones: the tokens only narrow the index
    read to a superset of them."""
    if not tokens:
        return tokens
    shares = scope_shares()
    if any(shares.get(t, 0.0) >= SCOPE_SHARE for t in tokens):
        return None
    return tokens


# Counting by a walk (``_walk_budget``): a row walked with ``LIKE`` and the read gate costs
# about as much as this many entries of a posting list read into the GIN bitmap (at 100k,
# load 9: 52 rows in 0.27 ms, 5.2 µs each, against 54,345 entries of 问题 in 12.2 ms, 0.22 µs
# each). That was board texts (ANALYZE's width of title, request and content: 643 bytes); a
# row costs with its text (``LIKE``) and its heap page, so where ANALYZE gives the width a
# row costs WALK_COST_BASE + width / WALK_COST_BYTES entries (``walk_cost``): 24 for board
# texts, 7 for the aggregates bench's 174-byte texts (at 1M: ~1.3–2 µs a row against ~0.25
# µs an entry), and WALK_COST where no width is known.
WALK_COST = 25
WALK_COST_BASE = 1.0
WALK_COST_BYTES = 28.0
# The walk first takes the rows the cap's hits need if the word and the user's matters were
# independent, or 1/WALK_PROBE of the budget where that is more than all of it; short of
# the cap, it goes on only if the hits it met say the cap lies within the budget with
# WALK_MARGIN to spare, and then walks at most WALK_SPAN times the rows that estimate needs.
# A walk that falls short costs about its budget at most: the index's read.
WALK_PROBE = 4
WALK_MARGIN = 1.25
WALK_SPAN = 2


def _walk_budget(terms: list[str], tokens: list[str] | None) -> tuple[int, int] | None:
    """How many of the newest matters a walk may read for ``terms`` — as many as cost the
    index's read — and how many its first probe reads; None where the index's read is short
    (a rare word, a unit of few matters).

    The index reads the word's posting list (its rarest bigram's, ANALYZE's share of the
    indexed matters), and with a unit's scope (``pg_scope``) intersects it with the scope's:
    at least the shorter of the two is read whole. Whether the walk meets the cap's hits
    within its budget depends on how the word and the user's matters go together, which no
    statistic says: the walk finds out (``_walk_count``)."""
    st = stats()
    bigrams = [grams.term_bigrams(t) for t in terms]
    if not st.rows or not all(bigrams):
        return None
    word = min(st.grams.get(g, 0.0) for bs in bigrams for g in bs)
    seen = max((st.scope.get(t, 0.0) for t in tokens), default=0.0) if tokens else 1.0
    budget = int(min(word, seen) * st.rows / walk_cost())
    if budget < 2 * (COUNT_CAP + 1):
        return None
    # The probe: the rows the cap's hits need if the word and the user's matters were
    # independent (WALK_MARGIN to spare), where that is within the budget.
    prior = WALK_MARGIN * (COUNT_CAP + 1) / max(word * seen, 1e-9)
    return budget, int(prior) if prior <= budget else budget // WALK_PROBE


def walk_cost() -> float:
    """How many posting-list entries a row walked with ``LIKE`` costs as much as."""
    width = stats().width
    return WALK_COST_BASE + width / WALK_COST_BYTES if width > 0 else float(WALK_COST)


# The bitmap of a posting list (``pg_page``'s statements) must stay exact: past ``work_mem``
# PostgreSQL makes it lossy, a page at a time, and then rechecks every row of each lossy page
# by computing its bigrams again. A word in 10 % of a million short matters lies on ~80,000
# heap pages, more than the default 4 MB holds (~64 bytes a page): its count went from ~30 to
# 190 ms, its export's capped read took 11.9 s. ``_exact_bitmaps`` raises ``work_mem`` for the
# search's transaction to hold a bitmap of every heap page (BITMAP_BYTES a page; a bitmap
# takes only what its hits need), never lowering a larger setting.
BITMAP_BYTES = 96
BITMAP_MAX_KB = 1 << 20  # 1 GB


def _exact_bitmaps(cur: Any) -> None:
    kb = min(int(stats().pages * BITMAP_BYTES / 1024) + 1, BITMAP_MAX_KB)
    cur.execute("SELECT set_config('work_mem', greatest(pg_size_bytes(current_setting("
                "'work_mem')) / 1024, %s)::text || 'kB', true)", [kb])


def _walk_count(cur: Any, terms: list[str], gate: list[Where], limit: tuple[int, int],
                want: int) -> list[int] | None:
    """The cap's first hits (``COUNT_CAP`` + 1) walking the newest matters with ``LIKE`` and
    ``gate``, as ids newest first; None if they do not lie within the budget's rows (as far
    as its probe tells; ``limit``: ``_walk_budget``). The walk is the ``received_at`` index read backwards: no posting
    list."""
    sql, params = _join([*(_pg_like(t) for t in terms), *gate[1:]])

    def walk(rows: int) -> list[tuple[int, Any]]:
        cur.execute(
            f"SELECT w.id, w.received_at FROM (SELECT \"petitions_matter\".\"id\", "
            f"{_RECEIVED}, ({sql}) AS hit FROM \"petitions_matter\" WHERE {_PG_OPEN} "
            f"ORDER BY {_RECEIVED} DESC LIMIT %s) AS w WHERE w.hit LIMIT %s",
            [*params, rows, COUNT_CAP + 1])
        return list(cur.fetchall())

    budget, probe = limit[0], min(limit[0], max(limit[1], COUNT_CAP + 1))
    hits = walk(probe)
    if len(hits) <= COUNT_CAP and probe < budget:
        needed = (COUNT_CAP + 1) * probe / max(len(hits), 1)
        if not hits or needed * WALK_MARGIN > budget:
            return None
        hits = walk(min(budget, int(WALK_SPAN * needed) + 1))
    if len(hits) <= COUNT_CAP:
        return None
    # By received_at alone, so the index is read as it lies (an ORDER BY with the id sorted
    # every row walked, its texts included); ties are put in order here. The page is exact
    # unless its last matter shares the moment of the walk's last, which may have more hits
    # past the walk: then the count stands and the page is walked again in order (empty
    # list; ``_walk_page``). Many matters share a moment where the old system recorded only
    # a day (an imported history: ~3,500 a day at 1M), so this is not rare.
    hits.sort(key=lambda r: (r[1], r[0]), reverse=True)
    if hits[want - 1][1] == hits[-1][1]:
        return []
    return [r[0] for r in hits]


def _walk_page(cur: Any, terms: list[str], gate: list[Where], want: int) -> list[int]:
    """The ``want`` newest matters holding ``terms`` that ``gate`` lets through, exactly in
    order, by walking ``received_at`` backwards with ``LIKE`` (an incremental sort puts each
    moment's ties in id order; it reads the whole of the last moment)."""
    sql, params = _join([*(_pg_like(t) for t in terms), *gate])
    cur.execute(f"SELECT \"petitions_matter\".\"id\" FROM \"petitions_matter\" WHERE {sql}"
                f" ORDER BY {_RECEIVED} DESC, \"petitions_matter\".\"id\" DESC LIMIT %s",
                [*params, want])
    return [r[0] for r in cur.fetchall()]


_RECEIVED = '"petitions_matter"."received_at"'
# A common word so dense that walking the newest matters with LIKE meets a page of hits
# within this many rows is always walked; a sparser one (a unit's share of a word, a mid
# word) is walked where the walk costs less than the window (``walk_cost`` a row against
# the window's posting list and heap rows), else read through the window. The window costs
# a scan of the word's whole posting list (9 ms for a word in half of 100,000 matters,
# growing with N); the walk about 5 µs a row of board text, 1.3–2 µs of a short one.
WALK_ROWS = 300
# The window costs its posting list, and where the planner misjudges the GIN's selectivity
# (a unit's scope and several bigrams: it expects one row and skips the BitmapAnd) every
# hit's heap row too, ~18 entries each (at 1M of the aggregates bench: 11,417 rows in 50 ms,
# ~4.4 µs each, against ~0.25 µs an entry). Neither is known before: a hit counts as this
# many entries (board texts at 100k: 电梯's 3,100 hits by the window, 3–7 ms, not a walk of
# 1,600 rows, 15–19 ms at load 10).
WINDOW_HEAP = 5


def _newest(cur: Any, terms: list[str], cond: Where, gate: list[Where], want: int,
            hits: int, blocks: int) -> list[int]:
    """The ``want`` newest matters matching ``cond`` (a common word's: more than the cap).

    ``hits`` (the cap + 1) were found in ``blocks`` heap pages read in order: their share of
    the rows there is the word's density among the matters the user sees, whatever order the
    rows lie in. Where it is dense enough that a walk of the newest matters meets ``want``
    hits within ``WALK_ROWS`` rows, they are walked by ``received_at`` with ``LIKE``
    (``gate`` holds the scope and the read gate). Otherwise the hits of a window of the last
    days are read: ``received_at >= newest - width``, which PostgreSQL answers with a
    BitmapAnd of the GIN index and ``received_at``'s B-tree, so only the hits inside the
    window are read. Once the window holds ``want`` hits their newest ``want`` are the answer
    (every hit outside is older); otherwise it grows fourfold."""
    cur.execute(f"SELECT max({_RECEIVED}), min({_RECEIVED}), (SELECT reltuples / "
                "greatest(relpages, 1) FROM pg_class WHERE relname = 'petitions_matter'), "
                "(SELECT reltuples FROM pg_class WHERE relname = 'petitions_matter') "
                "FROM \"petitions_matter\"")
    newest, oldest, per_block, rows = cur.fetchone()
    # (a table never analysed has reltuples -1: then every row counts, the window is wide)
    per_block, rows = max(float(per_block or 0), 1.0), max(float(rows or 0), float(hits))
    density = min(hits / max(float(blocks or 1) * per_block, 1.0), 1.0)
    order = f" ORDER BY {_RECEIVED} DESC, \"petitions_matter\".\"id\" DESC LIMIT %s"
    # The window reads the word's posting list again (about density × rows entries) and, where
    # the planner misjudges the GIN's selectivity (a term of several bigrams and a unit's
    # scope: it expects one row and skips the BitmapAnd), every hit's heap row: walk where
    # that costs more than the rows a walk meets before the page is full.
    window = density * rows * (1 + WINDOW_HEAP)
    if want / density <= WALK_ROWS or want / density * walk_cost() <= window:
        return _walk_page(cur, terms, gate, want)
    per_second = density * rows / max((newest - oldest).total_seconds(), 1.0)
    width = timedelta(seconds=min(max(2 * want / max(per_second, 1e-9), 3600.0), 1e9))
    while True:
        bound = newest - width
        extra = f" AND {_RECEIVED} >= %s" if bound > oldest else ""
        cur.execute(f"SELECT \"petitions_matter\".\"id\" FROM \"petitions_matter\" "
                    f"WHERE {cond[0]}{extra}{order}",
                    [*cond[1], *([bound] if extra else []), want])
        ids = [r[0] for r in cur.fetchall()]
        if len(ids) >= want or not extra:
            return ids
        width *= 4
