"""PostgreSQL: who may see a matter, in the keyword index beside its bigrams (issue 19 item 2).

The SQLite index has had a ``scope`` column since 0020; this is the same on PostgreSQL. A
column ``search_scope`` (text[], not in the Django model: the database keeps it) holds
``b<body>`` for every body that holds, leads, reviews or rechecks the matter or received a
dispatch of it, and ``d<code>`` for each division of its place (domain.grams.scope). Triggers
write it — before a matter row is inserted or its bodies or place change, and after a
dispatch is written or removed — in the same statement, whatever the path (registration,
transitions, corrections, the history import's COPY). ``matter_text_grams`` becomes a
two-column GIN index (bigrams, scope), so a unit's search reads only the hits it may see:
the index intersects the two. The rows found are still checked against
``access.visible_matters``.
"""

from django.db import migrations

OPEN = "klass <> 'report' AND NOT confidential"

FORWARD = [
    "ALTER TABLE petitions_matter ADD COLUMN IF NOT EXISTS search_scope text[] "
    "NOT NULL DEFAULT '{}'",
    """
CREATE OR REPLACE FUNCTION xinfang_scope(holder bigint, lead bigint, review bigint,
    recheck bigint, path text, mid bigint) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce((SELECT array_agg(DISTINCT 'b' || b ORDER BY 'b' || b) FROM (
      SELECT unnest(ARRAY[holder, lead, review, recheck]) AS b
      UNION SELECT to_body_id FROM petitions_dispatch WHERE matter_id = mid) AS s
    WHERE b IS NOT NULL), '{}'::text[])
  || coalesce((SELECT array_agg('d' || seg) FROM unnest(string_to_array(path, '/')) AS seg
    WHERE seg <> ''), '{}'::text[])
$$""",
    """
CREATE OR REPLACE FUNCTION xinfang_matter_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_scope := xinfang_scope(NEW.holder_id, NEW.lead_body_id, NEW.review_body_id,
                                    NEW.recheck_body_id, NEW.division_path, NEW.id);
  RETURN NEW;
END $$""",
    """
CREATE OR REPLACE FUNCTION xinfang_dispatch_scope() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE mid bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.matter_id ELSE NEW.matter_id END;
BEGIN
  UPDATE petitions_matter m
     SET search_scope = xinfang_scope(m.holder_id, m.lead_body_id, m.review_body_id,
                                      m.recheck_body_id, m.division_path, m.id)
   WHERE m.id = mid;
  RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS petitions_matter_scope ON petitions_matter",
    """CREATE TRIGGER petitions_matter_scope BEFORE INSERT OR UPDATE OF holder_id, lead_body_id,
    review_body_id, recheck_body_id, division_path ON petitions_matter
    FOR EACH ROW EXECUTE FUNCTION xinfang_matter_scope()""",
    "DROP TRIGGER IF EXISTS petitions_dispatch_scope ON petitions_dispatch",
    """CREATE TRIGGER petitions_dispatch_scope AFTER INSERT OR DELETE OR UPDATE OF to_body_id
    ON petitions_dispatch FOR EACH ROW EXECUTE FUNCTION xinfang_dispatch_scope()""",
    # Existing rows: the trigger's own rule.
    "UPDATE petitions_matter SET search_scope = xinfang_scope(holder_id, lead_body_id, "
    "review_body_id, recheck_body_id, division_path, id)",
]
PG_INDEX = f"""
CREATE INDEX CONCURRENTLY IF NOT EXISTS matter_text_scope ON petitions_matter
USING gin (xinfang_grams(lower(title || ' ' || request || ' ' || content)), search_scope)
WHERE {OPEN}
"""
BACKWARD = [
    "DROP TRIGGER IF EXISTS petitions_dispatch_scope ON petitions_dispatch",
    "DROP TRIGGER IF EXISTS petitions_matter_scope ON petitions_matter",
    "DROP FUNCTION IF EXISTS xinfang_dispatch_scope()",
    "DROP FUNCTION IF EXISTS xinfang_matter_scope()",
    "DROP FUNCTION IF EXISTS xinfang_scope(bigint, bigint, bigint, bigint, text, bigint)",
    "ALTER TABLE petitions_matter DROP COLUMN IF EXISTS search_scope",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        cur.execute("BEGIN")
        for sql in FORWARD:
            cur.execute(sql)
        cur.execute("COMMIT")
        cur.execute(PG_INDEX)
        cur.execute("DROP INDEX CONCURRENTLY IF EXISTS matter_text_grams")
        cur.execute("ANALYZE petitions_matter")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    migration_0020 = __import__(
        "xinfang.petitions.migrations.0020_matter_text_index", fromlist=["PG_INDEX"])
    with schema_editor.connection.cursor() as cur:
        cur.execute(migration_0020.PG_INDEX)
        cur.execute("DROP INDEX CONCURRENTLY IF EXISTS matter_text_scope")
        for sql in BACKWARD:
            cur.execute(sql)


class Migration(migrations.Migration):
    atomic = False  # the index is built CONCURRENTLY
    dependencies = [("petitions", "0021_evaluation_xinfang_rating")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
