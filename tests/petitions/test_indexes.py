"""The indexes a registration writes (issue 19, migration 0026): none redundant, none missing.

Every index is paid on every registration and every imported row, so the tables a
registration writes carry no index another one already provides; and every foreign key still
leads an index, or a delete of the row it points to (the admin's PROTECT check, a SET_NULL
update, a CASCADE) and the lookups by it would read the whole table.
"""

from __future__ import annotations

import pytest
from django.db import connection

from xinfang.audit.models import AuditLog
from xinfang.petitions.models import Clock, Document, Event, Matter, Petitioner

WRITTEN_AT_REGISTRATION = (Matter, Petitioner, Clock, Event, Document, AuditLog)


def _indexes(table: str) -> dict[str, list[str]]:
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, table)
    return {name: c["columns"] for name, c in found.items() if c["index"] or c["unique"]}


@pytest.mark.django_db
@pytest.mark.parametrize("model", WRITTEN_AT_REGISTRATION, ids=lambda m: m.__name__)
def test_every_foreign_key_leads_an_index(model):
    leading = {cols[0] for cols in _indexes(model._meta.db_table).values() if cols}
    fks = [f.column for f in model._meta.concrete_fields if f.is_relation]
    assert fks
    assert [c for c in fks if c not in leading] == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", WRITTEN_AT_REGISTRATION, ids=lambda m: m.__name__)
def test_no_index_repeats_the_start_of_another(model):
    """An index whose columns begin another index's is a second copy to write (the
    count per holder, read index-only from the narrow holder_id index, is the one kept)."""
    idx = {n: tuple(c) for n, c in _indexes(model._meta.db_table).items() if c}
    # Partial and unique indexes answer other questions than a plain one on the same columns.
    partial_or_unique = {i.name for i in model._meta.indexes if i.condition is not None}
    with connection.cursor() as cur:
        partial_or_unique |= {n for n, c in connection.introspection.get_constraints(
            cur, model._meta.db_table).items() if c["unique"] or c["primary_key"]}
    kept = {("petitions_matter", ("holder_id",))}
    redundant = sorted(
        (a, b) for a, ca in idx.items() for b, cb in idx.items()
        if a != b and a not in partial_or_unique and b not in partial_or_unique
        and len(ca) < len(cb) and cb[: len(ca)] == ca
        and (model._meta.db_table, ca) not in kept)
    assert redundant == []


@pytest.mark.django_db
def test_postgresql_keeps_no_pattern_copy_but_the_jurisdiction_prefix():
    """varchar_pattern_ops serves LIKE 'x%' only: of these tables, only the division path is
    matched by prefix (access.visible_matters)."""
    if connection.vendor != "postgresql":
        pytest.skip("pattern operator classes exist on PostgreSQL only")
    tables = [m._meta.db_table for m in WRITTEN_AT_REGISTRATION]
    with connection.cursor() as cur:
        cur.execute("""
            SELECT DISTINCT c.relname FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_opclass o ON o.oid = ANY(i.indclass::oid[])
            WHERE t.relname = ANY(%s) AND o.opcname LIKE '%%pattern_ops'""", [tables])
        assert sorted(r[0] for r in cur.fetchall()) == ["matter_div_recv"]


@pytest.mark.django_db
def test_jurisdiction_prefix_is_an_index_range(county):
    """A jurisdiction's matters (division_path = p OR LIKE 'p/%') read a range of
    matter_div_recv, not every entry of it, once the table is too big to scan."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's LIKE is case-insensitive and never an index range")
    path = county.county.path
    qs = Matter.objects.filter(division_path__startswith=path + "/")
    sql, params = qs.values("pk").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "matter_div_recv" in plan and "Index Cond" in plan and "~>=~" in plan, plan
