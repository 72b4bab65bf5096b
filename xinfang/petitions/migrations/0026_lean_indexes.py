"""Fewer indexes written by every registration and every imported matter (issue 19).

Dropped: PostgreSQL's ``varchar_pattern_ops`` copies (``_like``) of the number, the query code,
the division code and the petitioners' blind indexes — each is only looked up exactly; the
single-column indexes that a composite index already leads (division_path by
matter_div_recv, lead_body by matter_lead_queue, event.matter by event_matter_at). The
foreign keys a new matter leaves empty (accused, review and recheck bodies, the original of
a repeat, the 承办人) are indexed only where set: a registration writes no entry for them,
and their lookups and a referenced row's delete still read an index. matter_div_recv takes
the pattern opclass on PostgreSQL so it serves the jurisdiction prefix (``LIKE 'p/%'``) the
dropped ``division_path`` copy served.

The state operations are Django's; the database operations name the indexes Django created
(their names are derived from the table and column only) so that nothing is rebuilt that
stays the same: on SQLite an ``AlterField`` would copy the whole matters table and lose its
keyword-index triggers (0020). Measured in docs/benchmarks.md ("Intake: where a
registration's time goes").
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PARTIAL = ("accused_body", "review_body", "recheck_body", "repeat_of", "handler_user")

# The indexes db_index=True / unique=True created: Django derives their names from the table
# and column alone (schema_editor._create_index_name), so they are the same in every database.
# (table, column, plain index or None, PostgreSQL's LIKE copy or None)
OLD = [
    ("petitions_matter", "number", None, "petitions_matter_number_b81f6dd2_like"),
    ("petitions_matter", "query_code", None, "petitions_matter_query_code_69ae1293_like"),
    ("petitions_matter", "division_id", "petitions_matter_division_id_0c8ba7fd",
     "petitions_matter_division_id_0c8ba7fd_like"),
    ("petitions_matter", "division_path", "petitions_matter_division_path_f06a87d2",
     "petitions_matter_division_path_f06a87d2_like"),
    ("petitions_matter", "lead_body_id", "petitions_matter_lead_body_id_acdbd1da", None),
    ("petitions_matter", "accused_body_id", "petitions_matter_accused_body_id_2ca957ac", None),
    ("petitions_matter", "review_body_id", "petitions_matter_review_body_id_452269ec", None),
    ("petitions_matter", "recheck_body_id", "petitions_matter_recheck_body_id_3ba31357", None),
    ("petitions_matter", "repeat_of_id", "petitions_matter_repeat_of_id_3eb5c67b", None),
    ("petitions_matter", "handler_user_id", "petitions_matter_handler_user_id_bab1f973", None),
    ("petitions_event", "matter_id", "petitions_event_matter_id_7b178038", None),
    ("petitions_petitioner", "id_index", "petitions_petitioner_id_index_a74cdfcb",
     "petitions_petitioner_id_index_a74cdfcb_like"),
    ("petitions_petitioner", "phone_index", "petitions_petitioner_phone_index_8cf20f8c",
     "petitions_petitioner_phone_index_8cf20f8c_like"),
    ("petitions_petitioner", "name_index", "petitions_petitioner_name_index_32b49916",
     "petitions_petitioner_name_index_32b49916_like"),
]
# Kept under a name of the model's Meta: (old name, model, new name). PostgreSQL renames in
# place; SQLite cannot rename an index and builds it again.
RENAMED = {
    "petitions_matter_division_id_0c8ba7fd": ("matter", "matter_division"),
    "petitions_petitioner_id_index_a74cdfcb": ("petitioner", "petitioner_id_index"),
    "petitions_petitioner_phone_index_8cf20f8c": ("petitioner", "petitioner_phone_index"),
    "petitions_petitioner_name_index_32b49916": ("petitioner", "petitioner_name_index"),
}
UNIQUE_PG = [  # PostgreSQL's names for the column UNIQUE constraints of unique=True
    ("petitions_matter_number_key", "matter_number_unique"),
    ("petitions_matter_query_code_key", "matter_query_code_unique"),
]


def _index(model, name):
    return next(i for i in model._meta.indexes if i.name == name)


def forward(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    matter = apps.get_model("petitions", "Matter")
    for _table, _column, plain, like in OLD:
        if like and pg:
            schema_editor.execute(f"DROP INDEX IF EXISTS {like}")
        if plain in RENAMED:
            model_name, new = RENAMED[plain]
            if pg:
                schema_editor.execute(f"ALTER INDEX {plain} RENAME TO {new}")
                continue
            model = apps.get_model("petitions", model_name)
            schema_editor.execute(f"DROP INDEX IF EXISTS {plain}")
            schema_editor.add_index(model, _index(model, new))
        elif plain:
            schema_editor.execute(f"DROP INDEX IF EXISTS {plain}")
    for field in PARTIAL:
        schema_editor.add_index(matter, _index(matter, f"matter_{field}"))
    if pg:
        for old, new in UNIQUE_PG:
            schema_editor.execute(f"ALTER TABLE petitions_matter RENAME CONSTRAINT {old} TO {new}")
        # The same columns with the pattern opclass for division_path (SQLite has none).
        schema_editor.execute("DROP INDEX IF EXISTS matter_div_recv")
        schema_editor.add_index(matter, _index(matter, "matter_div_recv"))


def backward(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    for field in PARTIAL:
        schema_editor.execute(f"DROP INDEX IF EXISTS matter_{field}")
    for _model, new in RENAMED.values():
        schema_editor.execute(f"DROP INDEX IF EXISTS {new}")
    for table, column, plain, like in OLD:
        if plain:
            schema_editor.execute(f'CREATE INDEX {plain} ON {table} ("{column}")')
        if like and pg:
            schema_editor.execute(
                f'CREATE INDEX {like} ON {table} ("{column}" varchar_pattern_ops)')
    if pg:
        for old, new in UNIQUE_PG:
            schema_editor.execute(f"ALTER TABLE petitions_matter RENAME CONSTRAINT {new} TO {old}")
        schema_editor.execute("DROP INDEX IF EXISTS matter_div_recv")
        schema_editor.execute(
            "CREATE INDEX matter_div_recv ON petitions_matter (division_path, received_at)")


STATE = [
    migrations.RemoveIndex(model_name="matter", name="matter_div_recv"),
    migrations.AlterField(
        model_name="event", name="matter",
        field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                related_name="events", to="petitions.matter"),
    ),
    migrations.AlterField(
        model_name="matter", name="accused_body",
        field=models.ForeignKey(blank=True, db_index=False, null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="accused_in", to="org.body",
                                verbose_name="被反映单位"),
    ),
    migrations.AlterField(
        model_name="matter", name="division",
        field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                to="org.division", verbose_name="问题属地"),
    ),
    migrations.AlterField(
        model_name="matter", name="division_path", field=models.CharField(max_length=160),
    ),
    migrations.AlterField(
        model_name="matter", name="handler_user",
        field=models.ForeignKey(blank=True, db_index=False, null=True,
                                on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                to=settings.AUTH_USER_MODEL, verbose_name="承办人"),
    ),
    migrations.AlterField(
        model_name="matter", name="lead_body",
        field=models.ForeignKey(blank=True, db_index=False, null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="led_matters", to="org.body",
                                verbose_name="主办单位"),
    ),
    migrations.AlterField(
        model_name="matter", name="number",
        field=models.CharField(max_length=32, verbose_name="信访件编号"),
    ),
    migrations.AlterField(
        model_name="matter", name="query_code",
        field=models.CharField(max_length=12, verbose_name="查询码"),
    ),
    migrations.AlterField(
        model_name="matter", name="recheck_body",
        field=models.ForeignKey(blank=True, db_index=False, null=True,
                                on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                to="org.body", verbose_name="复核机关"),
    ),
    migrations.AlterField(
        model_name="matter", name="repeat_of",
        field=models.ForeignKey(blank=True, db_index=False, null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="repeats", to="petitions.matter",
                                verbose_name="原信访件"),
    ),
    migrations.AlterField(
        model_name="matter", name="review_body",
        field=models.ForeignKey(blank=True, db_index=False, null=True,
                                on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                to="org.body", verbose_name="复查机关"),
    ),
    *[migrations.AlterField(
        model_name="petitioner", name=name,
        field=models.CharField(blank=True, db_index=False, max_length=32),
    ) for name in ("id_index", "phone_index", "name_index")],
    migrations.AddIndex(
        model_name="matter",
        index=models.Index(fields=["division_path", "received_at"], name="matter_div_recv",
                           opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
    ),
    migrations.AddIndex(
        model_name="matter", index=models.Index(fields=["division"], name="matter_division"),
    ),
    *[migrations.AddIndex(
        model_name="matter",
        index=models.Index(condition=models.Q((f"{f}__isnull", False)), fields=[f],
                           name=f"matter_{f}"),
    ) for f in PARTIAL],
    *[migrations.AddIndex(
        model_name="petitioner", index=models.Index(fields=[f], name=f"petitioner_{f}"),
    ) for f in ("id_index", "phone_index", "name_index")],
    migrations.AddConstraint(
        model_name="matter",
        constraint=models.UniqueConstraint(fields=("number",), name="matter_number_unique"),
    ),
    migrations.AddConstraint(
        model_name="matter",
        constraint=models.UniqueConstraint(fields=("query_code",),
                                           name="matter_query_code_unique"),
    ),
]


class Migration(migrations.Migration):

    dependencies = [
        ("org", "0005_drop_unused_knox_table"),
        ("petitions", "0025_matter_updated_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The state first, so that ``forward`` sees the new Meta indexes; then the database.
    operations = [
        migrations.SeparateDatabaseAndState(state_operations=STATE),
        migrations.RunPython(forward, backward, elidable=False),
    ]
