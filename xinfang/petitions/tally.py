"""Keeping the indicator counters (``models_tally.Tally``) in the write's own transaction.

``refresh(matter_id, …)`` is the one call a service makes after it changed a matter (its state,
clocks, ratings, bodies, classification …): it loads what the counters read of the matter
(``domain.tally.MatterFacts``), computes its contribution, subtracts the one stored in its
snapshot and adds the difference with one multi-row upsert (``n = n + δ``: concurrent writers
add up, on SQLite and PostgreSQL alike). It is idempotent: calling it twice changes nothing.
The history import adds whole batches with ``add_new``.

Whether a matter is excluded from assessment (不纳入考核) is decided in ``xinfang.practice``;
the snapshot keeps the flag, and the practice services pass it when they change it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from xinfang.domain import tally as dt
from xinfang.domain.states import OPEN_STATES
from xinfang.org.models import Category

from .models import (
    ACTING_BODY_FIELD,
    Clock,
    Dispatch,
    Evaluation,
    Event,
    Matter,
    Tally,
    TallyMonth,
    TallySnapshot,
)

CLOCK_CODES = sorted({*dt.CLOCK_METRICS, "D1"})
OPEN_VALUES = frozenset(s.value for s in OPEN_STATES)
_ACTING = {s.value: f for s, f in ACTING_BODY_FIELD.items()}
_MATTER_FIELDS = (
    "pk", "division_path", "holder_id", "lead_body_id", "review_body_id", "recheck_body_id",
    "accused_body_id", "channel", "klass", "category_id", "category__parent_id", "headcount",
    "received_at", "state", "next_due", "closed_at", "closure_kind", "repeat_kind",
    "level_skip", "legal_litigation", "route31", "confidential", "replied_on", "repeat_of_id")
CHUNK = 400  # rows per upsert statement (SQLite)
ARRAY_CHUNK = 5000  # rows per upsert statement of arrays (PostgreSQL)
COPY_FROM = 2000  # rows from which the upsert goes through COPY (PostgreSQL)


def _local(d: Any) -> date | None:
    return timezone.localdate(d) if d is not None else None


def facts_from(m: Mapping[str, Any], *, exempt: bool, clocks: Sequence[dt.ClockFacts] = (),
               latest_rating: str | None = None, xinfang_rating: str | None = None,
               repeated: bool = False, settled_on: Sequence[date] = (),
               dispatched_to: Iterable[int | None] = ()) -> dt.MatterFacts:
    """``m``: the values of ``_MATTER_FIELDS`` (a ``.values()`` row, or built from objects);
    ``latest_rating``: the latest round's rating of the handling (None: not rated);
    ``dispatched_to``: the bodies of its dispatches (every one, whatever its state)."""
    state = m["state"]
    acting_field = _ACTING.get(state)
    # The bodies that see it as their own (access.visible_matters: change both together).
    own = {m["holder_id"], m["lead_body_id"], m["review_body_id"], m["recheck_body_id"],
           *dispatched_to}
    return dt.MatterFacts(
        division_id=dt.division_key(m["division_path"]), holder_id=m["holder_id"], lead_body_id=m["lead_body_id"],
        acting_body_id=m[f"{acting_field}_id"] if acting_field else None,
        accused_id=m["accused_body_id"] if m["klass"] == "report" else None, exempt=exempt,
        channel=m["channel"], klass=m["klass"],
        category_dim=dt.category_dim(m["category_id"], m["category__parent_id"]),
        headcount=m["headcount"], received_on=timezone.localdate(m["received_at"]),
        is_open=state in OPEN_VALUES, next_due=m["next_due"],
        closed_on=_local(m["closed_at"]), closure_kind=m["closure_kind"] or "",
        repeat_kind=m["repeat_kind"], level_skip=m["level_skip"],
        legal_litigation=m["legal_litigation"], route31=m["route31"],
        confidential=m["confidential"], replied_on=m["replied_on"],
        review_body_id=m["review_body_id"], rated=latest_rating is not None,
        latest_rating=latest_rating, xinfang_rating=xinfang_rating, repeated=repeated, clocks=tuple(clocks),
        settled_on=tuple(settled_on), division_code=m["division_path"].rsplit("/", 1)[-1],
        state=state, own_bodies=tuple(sorted(b for b in own if b)))


def load(ids_q: Q, exempt: Mapping[int, bool] | None = None,
         default_exempt: bool = False) -> dict[int, dt.MatterFacts]:
    """The facts of the matters ``ids_q`` selects (a filter on ``pk``), six queries in all."""
    rows = list(Matter.objects.filter(ids_q).order_by().values(*_MATTER_FIELDS))
    if not rows:
        return {}
    ids = [r["pk"] for r in rows]
    lo, hi = min(ids), max(ids)
    # Children of a dense batch (the rebuild) by a range on the matter id, one index range
    # scan filtered to the ids; of a few matters by the ids.
    wanted = set(ids)
    dense = hi - lo < 4 * len(ids)
    by_matter: dict[str, Any] = ({"matter_id__gte": lo, "matter_id__lte": hi} if dense
                                 else {"matter_id__in": ids})
    clocks: dict[int, list[dt.ClockFacts]] = defaultdict(list)
    for c in (Clock.objects.filter(**by_matter, code__in=CLOCK_CODES).order_by()
              .values_list("matter_id", "code", "due_on", "met_on", "body_id",
                           "owed_by_petitioner")):
        if c[0] in wanted:
            clocks[c[0]].append(dt.ClockFacts(*c[1:]))
    ratings: dict[int, tuple[str, str]] = {}
    latest: dict[int, int] = {}
    settled: dict[int, list[date]] = defaultdict(list)
    repeated: set[int] = set()
    ex = exempt or {}
    for mid, rnd, rating, xf in (Evaluation.objects.filter(**by_matter).order_by()
                                 .values_list("matter_id", "round", "rating", "xinfang_rating")):
        if mid in wanted and rnd >= latest.get(mid, -1):
            latest[mid] = rnd
            ratings[mid] = (rating, xf)
    for mid, at in (Event.objects.filter(**by_matter, action="record_settlement").order_by()
                    .values_list("matter_id", "at")):
        if mid in wanted:
            settled[mid].append(timezone.localdate(at))
    by_original: dict[str, Any] = ({"repeat_of_id__gte": lo, "repeat_of_id__lte": hi} if dense
                                   else {"repeat_of_id__in": ids})
    repeated = set(Matter.objects.filter(**by_original).order_by().values_list("repeat_of_id", flat=True).distinct())
    dispatched: dict[int, set[int]] = defaultdict(set)
    for mid, body in (Dispatch.objects.filter(**by_matter).order_by()
                      .values_list("matter_id", "to_body_id")):
        if mid in wanted:
            dispatched[mid].add(body)
    return {r["pk"]: facts_from(r, exempt=ex.get(r["pk"], default_exempt),
                                clocks=clocks.get(r["pk"], ()),
                                latest_rating=ratings[r["pk"]][0] if r["pk"] in ratings else None,
                                xinfang_rating=(ratings[r["pk"]][1] or None) if r["pk"] in ratings
                                else None,
                                repeated=r["pk"] in repeated, settled_on=settled.get(r["pk"], ()),
                                dispatched_to=dispatched.get(r["pk"], ()))
            for r in rows}


# --------------------------------------------------------------------------- writing


def _table(model: type[Any]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


_KEY_COLS = ("metric", "day", "division_id", "body_id", "accused_id", "exempt", "bucket", "dim")


def apply(delta: Mapping[dt.Key, tuple[int, int]]) -> None:
    """Add ``delta`` to the counters, day rows and month rows (``domain.tally.by_month``):
    ``INSERT … ON CONFLICT DO UPDATE SET n = n + δ``, the day table first and each table's keys
    in one order (writers touching the same rows take their locks in the same order)."""
    day = {k: v for k, v in delta.items() if v != (0, 0)}
    _upsert(Tally, day)
    _upsert(TallyMonth, dt.by_month(day))


def _upsert(model: type[Any], delta: Mapping[dt.Key, tuple[int, int]]) -> None:
    # In key order (the keys are unique: comparing them alone is half the work of the items).
    items = sorted(delta.items(), key=itemgetter(0))
    if not items:
        return
    t = _table(model)
    cols = ", ".join([*_KEY_COLS, "n", "persons"])
    upsert = (f"ON CONFLICT ({', '.join(_KEY_COLS)}) DO UPDATE SET "
              f"n = {t}.n + excluded.n, persons = {t}.persons + excluded.persons")
    if connection.vendor == "postgresql" and len(items) >= COPY_FROM:
        _upsert_copied(t, cols, upsert, items)
        return
    if connection.vendor == "postgresql":
        # One array per column: the statement's text stays short whatever the row count.
        # (A VALUES list of 400 rows is 4,000 placeholders, ~20 KB: psycopg's client-side
        # binding parses a text that long again on every execute, 27 ms a statement — most
        # of the history import's time once the counters came in.)
        with connection.cursor() as cur:
            for i in range(0, len(items), ARRAY_CHUNK):
                part = items[i:i + ARRAY_CHUNK]
                columns = [list(c) for c in zip(*(k for k, _v in part), strict=True)]
                cur.execute(
                    f"INSERT INTO {t} ({cols}) SELECT * FROM unnest(%s::varchar[], %s::date[], "
                    "%s::varchar[], %s::bigint[], %s::bigint[], %s::boolean[], %s::varchar[], "
                    f"%s::varchar[], %s::bigint[], %s::bigint[]) {upsert}",
                    [*columns, [v[0] for _k, v in part], [v[1] for _k, v in part]])
        return
    with connection.cursor() as cur:
        for i in range(0, len(items), CHUNK):
            part = items[i:i + CHUNK]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(part))
            params: list[Any] = []
            for k, (n, p) in part:
                params.extend([*k, n, p])
            cur.execute(
                f"INSERT INTO {t} ({cols}) VALUES {values} "
                f"ON CONFLICT ({', '.join(_KEY_COLS)}) DO UPDATE SET "
                f"n = {t}.n + excluded.n, persons = {t}.persons + excluded.persons", params)


def _upsert_copied(t: str, cols: str, upsert: str,
                   items: Sequence[tuple[dt.Key, tuple[int, int]]]) -> None:
    """A large delta (a history import's batch: ~10 counter rows a matter) on PostgreSQL: COPY
    into a temporary table, then one upsert from it. Arrays of 50,000 values cost psycopg
    ~1.6 µs a value to adapt (200 µs of the importing process's CPU a matter, measured) and
    the server as much to parse; COPY writes a row in a fraction of that. The rows go in by
    ``ord`` — the keys' order, as every other writer takes them (no deadlock)."""
    temp = "xinfang_counter_delta"
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TEMPORARY TABLE {temp} (ord integer, metric varchar, day date, "
            "division_id varchar, body_id bigint, accused_id bigint, exempt boolean, "
            "bucket varchar, dim varchar, n bigint, persons bigint) ON COMMIT DROP")
        with cur.cursor.copy(f"COPY {temp} FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(["int4", "varchar", "date", "varchar", "int8", "int8", "bool",
                          "varchar", "varchar", "int8", "int8"])
            write = cp.write_row
            for i, (k, (n, p)) in enumerate(items):
                write((i, *k, n, p))
        cur.execute(f"INSERT INTO {t} ({cols}) SELECT {cols} FROM {temp} ORDER BY ord "
                    f"{upsert}")
        cur.execute(f"DROP TABLE pg_temp.{temp}")


def _copy(table: str, cols: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Rows into an empty (or conflict-free) table fast: COPY on PostgreSQL, a multi-row
    executemany elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur, cur.cursor.copy(
                f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        return
    marks = ", ".join(["%s"] * len(cols))
    with connection.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",
                        list(rows))


def insert_fresh(counters: Mapping[dt.Key, tuple[int, int]]) -> None:
    """The counters, day rows and month rows, into emptied tables (the rebuild)."""
    # In key order: a figure's read (a metric over a range of days) then finds its rows
    # together on disk, not one page per row.
    for model, rows in ((Tally, counters), (TallyMonth, dt.by_month(counters))):
        _copy(_table(model), [*_KEY_COLS, "n", "persons"],
              ((*k, n, p) for k, (n, p) in sorted(rows.items(), key=itemgetter(0))
               if (n, p) != (0, 0)))


def insert_snapshots(snaps: Mapping[int, dt.Contribution]) -> None:
    """Snapshots of matters that have none (the rebuild, after emptying the table)."""
    _copy(_table(TallySnapshot), ["matter_id", "data"],
          ((k, json.dumps(dt.encode(v))) for k, v in snaps.items() if v))


def _save_snapshots(snaps: Mapping[int, dt.Contribution]) -> None:
    if snaps:
        TallySnapshot.objects.bulk_create(
            [TallySnapshot(matter_id=k, data=dt.encode(v)) for k, v in sorted(snaps.items())],
            update_conflicts=True, unique_fields=["matter_id"], update_fields=["data"],
            batch_size=1000)


def _locked_snapshots(ids: Sequence[int]) -> dict[int, dt.Contribution]:
    qs = TallySnapshot.objects.filter(matter_id__in=ids).order_by("matter_id")
    if connection.features.has_select_for_update:
        qs = qs.select_for_update()  # two writers refreshing one matter: one waits
    return {s.matter_id: dt.decode(s.data) for s in qs}


def refresh(*matter_ids: int | None, exempt: bool | None = None,
            extra: Mapping[dt.Key, tuple[int, int]] | None = None) -> None:
    """Bring the counters of these matters up to date (call it inside the write's
    transaction, after the write). ``exempt``: the new 不纳入考核 flag, when it changes;
    ``extra``: counts to add in the same upsert (a registration's, ``add_registered``)."""
    ids = sorted({i for i in matter_ids if i})
    if not ids:
        if extra:
            apply(extra)
        return
    # The matters these repeat: their 初信初访化解 depends on whether they were repeated.
    ids = sorted({*ids, *(i for i in Matter.objects.filter(pk__in=ids, repeat_of__isnull=False)
                          .values_list("repeat_of_id", flat=True))})
    before = _locked_snapshots(ids)
    flags = {i: (exempt if exempt is not None else dt.exempt_of(before.get(i))) for i in ids}
    facts = load(Q(pk__in=ids), flags)
    after = {i: dt.contributions(f) for i, f in facts.items()}
    delta = dt.total([*(dt.difference(before.get(i, {}), after.get(i, {})) for i in ids),
                      extra or {}])
    apply(delta)
    _save_snapshots({i: c for i, c in after.items() if before.get(i) != c})


def registered(matter: Matter, clocks: Sequence[Clock]) -> dt.Contribution:
    """A matter just registered with its first ``clocks``: its snapshot is written and its
    contribution returned, for ``add_registered`` in the transaction's tail. Its facts come
    from the instances just written — no read back. The counters' rows are shared by every
    registration of the county that day: their locks are taken last (issue 19 item 1)."""
    row = {f: getattr(matter, f) for f in _MATTER_FIELDS if f != "pk" and "__" not in f}
    row["pk"] = matter.pk
    row["category__parent_id"] = matter.category.parent_id if matter.category is not None else None
    facts = facts_from(row, exempt=False, clocks=[
        dt.ClockFacts(c.code, c.due_on, c.met_on, c.body_id, c.owed_by_petitioner)
        for c in clocks if c.code in CLOCK_CODES])
    contribution = dt.contributions(facts)
    _save_snapshots({matter.pk: contribution})
    return contribution


def add_registered(contribution: Mapping[dt.Key, tuple[int, int]],
                   repeat_of_id: int | None) -> None:
    """A registration's counts (``registered``) and, when it repeats one, the original's
    change, in one upsert: the original's snapshot is locked first, then the counters in
    key order, as every other writer does (``refresh``)."""
    if repeat_of_id:
        refresh(repeat_of_id, extra=contribution)
    else:
        apply(contribution)


def add_written(ids: Sequence[int], facts: Mapping[int, dt.MatterFacts] | None = None) -> None:
    """Matters just written in bulk (the history import) in this transaction: their
    contributions — from ``facts`` when the writer has them (the import builds them from the
    rows it wrote, ``facts_from``), else read back in five queries for the batch — in one
    upsert per few hundred counter rows, and their snapshots (new matters have none: one
    COPY)."""
    if not ids:
        return
    if facts is None:
        facts = load(Q(pk__in=list(ids)))
    contribs = {i: dt.contributions(f) for i, f in facts.items()}
    apply(dt.total(contribs.values()))
    insert_snapshots(contribs)


# --------------------------------------------------------------------------- a moved category

MOVE_BATCH = 2000  # matters per step of a category move (their snapshots locked together)


def category_moved(category_id: int, dim: str) -> int:
    """The matters of category ``category_id``, whose top category is now ``dim``
    (``domain.tally.category_dim``: its parent was changed): their category rows
    (``CATEGORY_DIM_METRICS``) move to ``dim`` — day and month rows — and their snapshots
    with them, in the caller's transaction. Only the matters of that one category move (its
    sub-categories keep it as their top category); each matter's rows are taken from its
    snapshot, which the counters are the sum of, so nothing else is read or recomputed.
    Returns the number of matters."""
    ids = list(Matter.objects.filter(category_id=category_id).order_by("pk")
               .values_list("pk", flat=True))
    for i in range(0, len(ids), MOVE_BATCH):
        before = _locked_snapshots(ids[i:i + MOVE_BATCH])
        after = {m: dt.recategorized(c, dim) for m, c in before.items()}
        apply(dt.total(dt.difference(before[m], after[m]) for m in before))
        _save_snapshots({m: c for m, c in after.items() if c != before[m]})
    return len(ids)


@receiver(pre_save, sender=Category)
def _category_before(sender: object, instance: Category, raw: bool = False,
                     **kwargs: object) -> None:
    if raw or instance.pk is None:
        return
    stored = Category.objects.filter(pk=instance.pk).values_list("pk", "parent_id").first()
    if stored is not None:
        instance._tally_dim = dt.category_dim(*stored)  # type: ignore[attr-defined]


@receiver(post_save, sender=Category)
def _category_after(sender: object, instance: Category, created: bool, raw: bool = False,
                    **kwargs: object) -> None:
    """Whatever moves a category — the admin (``audit.admin_base.AuditedModelAdmin``, one
    transaction with its audit row), ``xinfang import-org``, a shell ``save()`` — its matters'
    counters move with it in the same transaction, so the dashboard, the rising warnings and
    the indicator pages never wait for ``rebuild-aggregates``. (A queryset ``update()`` of
    ``parent`` bypasses this, as it bypasses the sub-categories' paths.)"""
    old = instance.__dict__.pop("_tally_dim", None)
    if raw or created or old is None:
        return
    new = dt.category_dim(instance.pk, instance.parent_id)
    if new != old:
        with transaction.atomic():
            category_moved(instance.pk, new)
