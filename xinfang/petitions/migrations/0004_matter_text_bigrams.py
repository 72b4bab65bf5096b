"""PostgreSQL only: a GIN index of the character bigrams of a matter's text, so a keyword
search that matches few or no matters does not read the whole table (queries.text_match).

Chinese words are mostly two characters and pg_trgm cannot use a trigram index for them; an
index of bigrams can. SQLite keeps the plain LIKE scan (its tables are the demo's).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION xinfang_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}'::text[])
  FROM generate_series(1, length(t) - 1) AS i
$$
"""
INDEX = """
CREATE INDEX CONCURRENTLY IF NOT EXISTS matter_text_bigrams ON petitions_matter
USING gin (xinfang_bigrams(title || ' ' || request || ' ' || content))
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(INDEX)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS matter_text_bigrams")
        schema_editor.execute("DROP FUNCTION IF EXISTS xinfang_bigrams(text)")


class Migration(migrations.Migration):
    # CONCURRENTLY: building the index on a live database (minutes at 100k matters) must not
    # block new registrations; it cannot run inside a transaction.
    atomic = False
    dependencies = [("petitions", "0003_matter_queue_keys")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
