"""An INSERT of one model instance without compiling it on every save.

Django compiles ``Model.save()``'s INSERT afresh on every call: quoting each column, building
a placeholder per field, checking each value for expressions (~0.3 ms a row on this machine;
a registration writes nine such rows, issue 19 item 1, docs/benchmarks.md "Intake"). For a
model and a set of fields the statement's text is always the same; only the values change.
``CompiledInsert`` keeps that text per (model, database, fields) and, on every save after the
first, runs it with the values prepared exactly as the ORM prepares them — each field's
``pre_save`` (``auto_now``, blind indexes, sealing) and ``get_db_prep_save`` (encryption,
JSON) — so signals, defaults, ``save()`` overrides and the returned primary key are those of
a normal save. Whatever the cache cannot express goes the ORM's way: a value that is an
expression (``Now()``, ``F()``), a field with its own placeholder, a raw save, no fields, or
a database that cannot return the new key.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

_SQL: dict[tuple[Any, ...], tuple[str, list[tuple[Any, list[Any]]]]] = {}


def _statement(model: Any, using: str, fields: list[Any], returning: list[Any]) -> str:
    conn: Any = connections[using]
    qn = conn.ops.quote_name
    ret = conn.ops.return_insert_columns(returning)[0] if returning else ""
    columns = ", ".join(qn(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({marks}) {ret}".rstrip()


def _converters(model: Any, conn: Any, returning: list[Any]) -> list[tuple[Any, list[Any]]]:
    """Per returned column: its expression and the converters ``SQLCompiler`` would apply
    (the backend's, then the field's: e.g. a generated date column read back on SQLite)."""
    out = []
    for f in returning:
        col = f.get_col(model._meta.db_table)
        out.append((col, conn.ops.get_db_converters(col) + f.get_db_converters(conn)))
    return out


class CompiledInsert:
    """Mixin for a model saved often one row at a time (put it before ``models.Model``)."""

    def _do_insert(self, manager: Any, using: str, fields: list[Any],
                   returning_fields: list[Any], raw: bool) -> Any:
        conn: Any = connections[using]
        obj: Any = self
        if (raw or not fields
                or (returning_fields and not conn.features.can_return_columns_from_insert)
                or any(hasattr(f, "get_placeholder") for f in fields)):
            return super()._do_insert(  # type: ignore[misc]
                manager, using, fields, returning_fields, raw)
        values = []
        for f in fields:
            value = f.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                return super()._do_insert(  # type: ignore[misc]
                    manager, using, fields, returning_fields, raw)
            value = f.get_db_prep_save(value, connection=conn)
            if hasattr(value, "as_sql"):
                return super()._do_insert(  # type: ignore[misc]
                    manager, using, fields, returning_fields, raw)
            values.append(value)
        key = (type(self), using, conn.vendor, tuple(f.column for f in fields),
               tuple(f.column for f in returning_fields))
        kept = _SQL.get(key)
        if kept is None:
            kept = _SQL[key] = (_statement(type(self), using, fields, returning_fields),
                                _converters(type(self), conn, returning_fields))
        sql, converters = kept
        with conn.cursor() as cursor:
            cursor.execute(sql, values)
            if not returning_fields:
                return []
            row = list(conn.ops.fetch_returned_insert_columns(cursor, ()))
        for i, (col, funcs) in enumerate(converters):  # as the ORM converts returned values
            for func in funcs:
                row[i] = func(row[i], col, conn)
        return [tuple(row)]
