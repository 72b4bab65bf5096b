"""The keyword index of matters' text on both databases (issue 19 item 2).

SQLite: an FTS5 table of character bigrams (``petitions_matter_text``, contentless: it keeps
the postings, not the text) with a fourth column, ``scope``, of the bodies and places that
see the matter (domain.grams.scope), filled by triggers in the same statement as the write —
registration, correction, a dispatch, the history import's ``executemany``, any path —
through the connection's ``xf_grams`` and ``xf_scope`` functions (xinfang.core.sqlite). Its rowid is the
search order: ``day received × 2³² + id`` (newest first is a walk down the rowids; the id is
the low 32 bits). A confidential matter (a 检举控告, or one whose petitioner asked for
confidentiality: its text is sealed) is never in it (issue 14 item 13).

PostgreSQL: the GIN index of migration 0004 rebuilt (``matter_text_grams``) over the
lower-cased text, without the confidential matters (a partial index: their sealed text was
indexed as ciphertext), through a function in linear time, marked expensive so that the
planner never evaluates it row by row.
"""

from django.db import migrations

OPEN = "klass <> 'report' AND NOT confidential"  # Matter.seals_text is false
SKEY = "(coalesce(unixepoch({r}.received_at) / 86400, 0) * 4294967296 + {r}.id)"
T = "petitions_matter_text"
DISPATCHED = ("(SELECT group_concat(to_body_id) FROM petitions_dispatch "
              "WHERE matter_id = {r}.id{extra})")


def _open(r: str) -> str:
    return f"{r}.klass <> 'report' AND NOT {r}.confidential"


def _values(r: str, dispatched: str | None = None) -> str:
    """rowid, the three texts and the scope of matter row ``r`` (``dispatched``: the bodies
    its dispatches went to, as the index last saw them)."""
    d = dispatched or DISPATCHED.format(r=r, extra="")
    return (f"{SKEY.format(r=r)}, xf_grams({r}.title), xf_grams({r}.request), "
            f"xf_grams({r}.content), xf_scope({r}.holder_id, {r}.lead_body_id, "
            f"{r}.review_body_id, {r}.recheck_body_id, {r}.division_path, {d})")


def _delete(r: str, dispatched: str | None = None, where: str = "") -> str:
    return (f"INSERT INTO {T}({T}, rowid, title, request, content, scope) "
            f"SELECT 'delete', {_values(r, dispatched)} {where}")


def _insert(r: str, where: str = "") -> str:
    return f"INSERT INTO {T}(rowid, title, request, content, scope) SELECT {_values(r)} {where}"


# A dispatch changes who sees its matter: the matter's row is written again (old scope out,
# new in). ``others``: the matter's other dispatches.
OTHERS = DISPATCHED.format(r="m", extra=" AND id <> {d}.id")
OF_MATTER = "FROM petitions_matter m WHERE m.id = {d}.matter_id AND " + _open("m")

SQLITE = [
    f"CREATE VIRTUAL TABLE {T} USING fts5("
    "title, request, content, scope, content='', columnsize=0, tokenize='ascii')",
    f"""CREATE TRIGGER petitions_matter_text_ai AFTER INSERT ON petitions_matter
    WHEN {_open('new')}
    BEGIN {_insert('new')}; END""",
    f"""CREATE TRIGGER petitions_matter_text_ad AFTER DELETE ON petitions_matter
    WHEN {_open('old')}
    BEGIN {_delete('old')}; END""",
    f"""CREATE TRIGGER petitions_matter_text_au AFTER UPDATE OF title, request, content,
      received_at, klass, confidential, holder_id, lead_body_id, review_body_id,
      recheck_body_id, division_path ON petitions_matter
    WHEN old.title IS NOT new.title OR old.request IS NOT new.request
      OR old.content IS NOT new.content OR old.received_at IS NOT new.received_at
      OR old.klass IS NOT new.klass OR old.confidential IS NOT new.confidential
      OR old.holder_id IS NOT new.holder_id OR old.lead_body_id IS NOT new.lead_body_id
      OR old.review_body_id IS NOT new.review_body_id
      OR old.recheck_body_id IS NOT new.recheck_body_id
      OR old.division_path IS NOT new.division_path
    BEGIN
      {_delete('old', where=f"WHERE {_open('old')}")};
      {_insert('new', where=f"WHERE {_open('new')}")};
    END""",
    f"""CREATE TRIGGER petitions_dispatch_text_ai AFTER INSERT ON petitions_dispatch
    BEGIN
      {_delete('m', OTHERS.format(d='new'), OF_MATTER.format(d='new'))};
      {_insert('m', OF_MATTER.format(d='new'))};
    END""",
    f"""CREATE TRIGGER petitions_dispatch_text_au AFTER UPDATE OF to_body_id ON petitions_dispatch
    WHEN old.to_body_id IS NOT new.to_body_id
    BEGIN
      {_delete('m', f"(coalesce({OTHERS.format(d='new')}, '') || ',' || old.to_body_id)",
               OF_MATTER.format(d='new'))};
      {_insert('m', OF_MATTER.format(d='new'))};
    END""",
    f"""CREATE TRIGGER petitions_dispatch_text_ad AFTER DELETE ON petitions_dispatch
    BEGIN
      {_delete('m', f"(coalesce({DISPATCHED.format(r='m', extra='')}, '') || ',' || old.to_body_id)",
               OF_MATTER.format(d='old'))};
      {_insert('m', OF_MATTER.format(d='old'))};
    END""",
    f"{_insert('m', 'FROM petitions_matter m WHERE ' + _open('m'))}",
]
SQLITE_BACK = [
    "DROP TRIGGER IF EXISTS petitions_dispatch_text_ai",
    "DROP TRIGGER IF EXISTS petitions_dispatch_text_au",
    "DROP TRIGGER IF EXISTS petitions_dispatch_text_ad",
    "DROP TRIGGER IF EXISTS petitions_matter_text_ai",
    "DROP TRIGGER IF EXISTS petitions_matter_text_ad",
    "DROP TRIGGER IF EXISTS petitions_matter_text_au",
    "DROP TABLE IF EXISTS petitions_matter_text",
]

# Linear in the text's length: migration 0004's xinfang_bigrams took substr(t, i, 2) for each
# i, and substr walks a UTF-8 text from its start (quadratic: 3.6 ms for a 420-character
# matter, 0.5 ms here). Duplicates stay: GIN keeps each key once per row anyway.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION xinfang_grams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 10000 AS $$
  SELECT coalesce(array_agg(a || b), '{}'::text[])
  FROM (SELECT string_to_array(t, NULL) AS c) AS x,
       unnest(x.c[:cardinality(x.c) - 1], x.c[2:]) AS u(a, b)
$$
"""
PG_INDEX = f"""
CREATE INDEX CONCURRENTLY IF NOT EXISTS matter_text_grams ON petitions_matter
USING gin (xinfang_grams(lower(title || ' ' || request || ' ' || content))) WHERE {OPEN}
"""
PG_OLD_INDEX = """
CREATE INDEX CONCURRENTLY IF NOT EXISTS matter_text_bigrams ON petitions_matter
USING gin (xinfang_bigrams(title || ' ' || request || ' ' || content))
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        schema_editor.execute(PG_INDEX)
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS matter_text_bigrams")
        schema_editor.execute("ANALYZE petitions_matter")
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_OLD_INDEX)
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS matter_text_grams")
        schema_editor.execute("DROP FUNCTION IF EXISTS xinfang_grams(text)")
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_BACK:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    # CONCURRENTLY (PostgreSQL) cannot run inside a transaction; registrations go on while
    # the index is built.
    atomic = False
    dependencies = [("petitions", "0019_indicator_tally")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
