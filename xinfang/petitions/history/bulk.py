"""Bulk writes for the history import: ids drawn up front, rows built as plain tuples.

No model instances: a Django instance costs ~40 µs to build and each field's preparation
another few µs, and the import writes about eleven rows per matter (docs/benchmarks.md,
"History import"). A :class:`Table` knows a model's columns in order and a row of their
defaults, prepared once by each field itself; the loader gives the values it sets in a fixed
order and :meth:`Table.filler` places them (one C-level ``itemgetter`` per row). The values
are already database values: :class:`Out` turns dates, datetimes and JSON into what the
driver takes (unchanged on PostgreSQL; SQLite's text forms, as Django writes them), and the
loader encrypts and seals (``core.crypto``). Rows go out as PostgreSQL ``COPY`` or one SQLite
``executemany`` per table and batch.

The ids are drawn first (the table's sequence on PostgreSQL; on SQLite the batch holds the
write lock from its ``BEGIN IMMEDIATE``, so max(id) + 1 … is ours), so children point at
their parents without reading anything back. Generated columns are left to the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from operator import itemgetter
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models

_UNSET = object()


def columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


class Out:
    """The connection and the database values of Python ones (dates, datetimes, JSON)."""

    def __init__(self) -> None:
        self.conn = connections[DEFAULT_DB_ALIAS]
        self.pg = self.conn.vendor == "postgresql"
        self._dt: dict[datetime, str] = {}

    def dt(self, v: datetime | None) -> Any:
        """An aware datetime: as it is for PostgreSQL (timestamptz); for SQLite Django's text,
        the UTC time without zone (``adapt_datetimefield_value``)."""
        if v is None or self.pg:
            return v
        text = self._dt.get(v)
        if text is None:
            if len(self._dt) > 200_000:
                self._dt.clear()
            text = self._dt[v] = str(v.astimezone(UTC).replace(tzinfo=None))
        return text

    def d(self, v: date | None) -> Any:
        return v if v is None or self.pg else v.isoformat()

    def json(self, v: Any) -> str:
        # Text on both: SQLite stores it, PostgreSQL's COPY parses it into jsonb.
        return json.dumps(v)

    def write(self, table: Table) -> None:
        """Send the table's rows (one COPY or executemany) and forget them."""
        rows = table.rows
        if not rows:
            return
        cols = ", ".join(f'"{c}"' for c in table.columns)
        # Through Django's error wrapper: psycopg's own UniqueViolation from the raw COPY
        # becomes django.db.IntegrityError, which the batch's retry (``write_batch``) catches.
        with self.conn.cursor() as cur, self.conn.wrap_database_errors:
            if self.pg:
                raw = cur.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                    write_row = copy.write_row
                    for r in rows:
                        write_row(r)
            else:
                marks = ", ".join(["%s"] * len(table.columns))
                cur.executemany(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', rows)
        table.rows = []


class Table:
    """One model's table: its columns in order, a row of defaults as database values, and
    the rows of the batch being built."""

    def __init__(self, model: type[models.Model], out: Out) -> None:
        fields = columns(model)
        self.model = model
        self.name = model._meta.db_table
        self.columns = [f.column for f in fields]
        self.attnames = [f.attname for f in fields]
        self.rows: list[tuple[Any, ...]] = []
        self.default: list[Any] = []
        for f in fields:
            if f.primary_key or not (f.has_default() or f.null or f.blank):
                self.default.append(_UNSET)  # the writer must give it
                continue
            v = f.get_default()
            self.default.append(f.get_db_prep_save(v.value if isinstance(v, Enum) else v,
                                                   out.conn))

    def filler(self, attnames: Sequence[str]) -> Callable[[Iterable[Any]], None]:
        """A function that adds one row from the values of ``attnames``, in that order; the
        other columns get their defaults. A column with neither (a field added to the model
        without a default, which the loader does not know) is refused here, before any row."""
        pos = {a: i for i, a in enumerate(self.attnames)}
        unknown = [a for a in attnames if a not in pos]
        if unknown:
            raise ImproperlyConfigured(f"{self.name}: no column {', '.join(unknown)}")
        given = {pos[a]: j for j, a in enumerate(attnames)}
        consts = [v for i, v in enumerate(self.default) if i not in given]
        lacking = [self.attnames[i] for i, v in enumerate(self.default)
                   if i not in given and v is _UNSET]
        if lacking:
            raise ImproperlyConfigured(
                f"{self.name}: the history import gives no value for {', '.join(lacking)}")
        n, k, perm = len(attnames), 0, []
        for i in range(len(self.default)):
            if i in given:
                perm.append(given[i])
            else:
                perm.append(n + k)
                k += 1
        pick = itemgetter(*perm)
        tail = tuple(consts)
        rows = self

        def add(values: Iterable[Any]) -> None:
            rows.rows.append(pick((*values, *tail)))

        return add


def allocate_ids(model: type[models.Model], n: int) -> list[int]:
    if n == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            # The sequence looked up once: pg_get_serial_sequence per row cost 5 µs an id.
            cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            seq = cur.fetchone()[0]
            # One array value: psycopg parses it in C (a row per id cost 2 µs in Python).
            cur.execute("SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)",
                        [seq, n])
            return list(cur.fetchone()[0])
        cur.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')
        start = int(cur.fetchone()[0]) + 1
        if conn.vendor == "sqlite":
            # AUTOINCREMENT tables remember the highest id ever used, deleted rows included.
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cur.fetchone()
            if row is not None:
                start = max(start, int(row[0]) + 1)
        return list(range(start, start + n))


def analyze_grown(models_: Iterable[type[models.Model]]) -> list[str]:
    """PostgreSQL: ``ANALYZE`` each table that has more than doubled since it was last
    analysed (pages on disk against ``pg_class.relpages``); the tables analysed.

    A bulk load into a new county's tables must not depend on autovacuum (off on some
    servers, a minute behind on others): the triggers' statements are planned once per
    connection (PL/pgSQL caches a generic plan) while the tables look empty, and
    ``petitions_dispatch``'s scope trigger then updated its matter by a sequential scan of
    the growing matter table — 10,000 dispatches a batch read 100 M rows at 20,000 matters
    (``pg_stat_user_tables``, 7 December). An ANALYZE invalidates those plans; doubling
    keeps it to about log₂ N of them. Called between batches, outside any transaction."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql" or conn.in_atomic_block:
        return []
    names = [m._meta.db_table for m in models_]
    with conn.cursor() as cur:
        cur.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r' "
                    "AND pg_relation_size(oid) / current_setting('block_size')::int "
                    "> 2 * relpages", [names])
        grown = sorted(r[0] for r in cur.fetchall())
        for name in grown:
            cur.execute(f'ANALYZE "{name}"')
    return grown
