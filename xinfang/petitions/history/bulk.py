"""Bulk writes for the history import: ids drawn up front, rows sent as plain tuples.

Django's ``bulk_create`` builds an INSERT statement through the query compiler value by
value; on SQLite it may bind only 999 parameters per statement (22 matters). For a million
rows that compiler time is most of the load. Here each model's rows become tuples of
database values (each field's own ``get_db_prep_save``: encryption, JSON, datetimes) and go
out as PostgreSQL ``COPY`` or one SQLite ``executemany``. The ids are drawn first (the
table's sequence on PostgreSQL; on SQLite the batch holds the write lock from its
``BEGIN IMMEDIATE``, so max(id) + 1 … is ours), so children can point at their parents
without reading anything back. Generated columns are left to the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

from xinfang.core.crypto import BlindIndexField

# Field classes whose Python value is already what the driver takes (no prep to run).
_AS_IS = (models.BooleanField, models.IntegerField, models.BigIntegerField,
          models.SmallIntegerField, models.PositiveIntegerField,
          models.PositiveSmallIntegerField, models.ForeignKey)
_TEXT = (models.CharField, models.TextField)


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields
            if not getattr(f, "generated", False)]


def _text(v: Any) -> Any:
    # A StrEnum member is a str, but psycopg dumps an Enum by its *name*: send the value.
    return v.value if isinstance(v, Enum) else v


def _preparer(field: models.Field[Any, Any], conn: Any) -> Callable[[Any], Any] | None:
    """None when the value goes to the driver unchanged; else the field's own preparation
    (encryption, JSON, SQLite's datetime text)."""
    kind = type(field)
    if kind in _AS_IS:
        return None
    if kind in _TEXT:
        return _text
    if kind in (models.DateTimeField, models.DateField) and conn.vendor == "postgresql":
        return None  # dates and aware datetimes go to date/timestamptz as they are
    return lambda v: field.get_db_prep_save(v, conn)


def _sealing(field: models.Field[Any, Any]) -> bool:
    """A field whose value is decided at save time — sealable free text of a confidential
    matter (issue 14 item 13), a blind index derived from its source: its ``pre_save`` runs,
    as in ``Model.save``. (Other fields' ``pre_save`` is not run: auto_now values are set by
    the caller, so history keeps its own dates.)"""
    return hasattr(field, "seal_if") or isinstance(field, BlindIndexField)


def allocate_ids(model: type[models.Model], n: int) -> list[int]:
    table = model._meta.db_table
    pk = model._meta.pk.column
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                        "FROM generate_series(1, %s)", [table, pk, n])
            return [r[0] for r in cur.fetchall()]
        cur.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')
        start = int(cur.fetchone()[0]) + 1
        if conn.vendor == "sqlite":
            # AUTOINCREMENT tables remember the highest id ever used, deleted rows included.
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cur.fetchone()
            if row is not None:
                start = max(start, int(row[0]) + 1)
        return list(range(start, start + n))


def insert(objs: Sequence[models.Model]) -> None:
    """Write ``objs`` (one model, ids already set) in one COPY or executemany."""
    if not objs:
        return
    model = type(objs[0])
    fields = _columns(model)
    conn = connections[DEFAULT_DB_ALIAS]
    names_attr = [f.attname for f in fields]
    preps = [_preparer(f, conn) for f in fields]
    plain = [i for i, p in enumerate(preps) if p is None]
    sealing = [i for i, f in enumerate(fields) if _sealing(f)]
    prepped = [(i, p) for i, p in enumerate(preps) if p is not None and i not in sealing]
    width = len(fields)
    rows = []
    for o in objs:
        d = o.__dict__
        row: list[Any] = [None] * width
        for i in plain:
            row[i] = d[names_attr[i]]
        for i, p in prepped:
            row[i] = p(d[names_attr[i]])
        for i in sealing:
            row[i] = fields[i].get_db_prep_save(fields[i].pre_save(o, True), conn)
        rows.append(tuple(row))
    table = model._meta.db_table
    names = [f.column for f in fields]
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cols = ", ".join(f'"{c}"' for c in names)
            raw = cur.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            cols = ", ".join(f'"{c}"' for c in names)
            marks = ", ".join(["%s"] * len(names))
            cur.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)
