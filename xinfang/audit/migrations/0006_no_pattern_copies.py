"""The audit log without PostgreSQL's ``varchar_pattern_ops`` copies (issue 19).

``action``, ``chain`` and ``hash`` are only looked up exactly, yet ``db_index=True`` and
``unique=True`` on a CharField gave each a second, LIKE-only index on PostgreSQL: three of
the nine index entries every audit row wrote. The same indexes stay, named in the model's
Meta. The database operations rename what Django created (names derived from table and column
alone) rather than let an ``AlterField`` rebuild the table (SQLite) — SQLite cannot rename an
index and builds the two renamed ones again.
"""

from django.db import migrations, models

LIKE = ["audit_auditlog_action_dc562e21_like", "audit_auditlog_chain_b035ade0_like",
        "audit_auditlog_hash_16e09ab8_like"]
RENAMED = [("audit_auditlog_action_dc562e21", "auditlog_action", "action"),
           ("audit_auditlog_chain_b035ade0", "auditlog_chain", "chain")]
UNIQUE_PG = ("audit_auditlog_hash_key", "auditlog_hash_unique")


def forward(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    log = apps.get_model("audit", "AuditLog")
    if pg:
        for name in LIKE:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute("ALTER TABLE audit_auditlog RENAME CONSTRAINT %s TO %s" % UNIQUE_PG)
    for old, new, _column in RENAMED:
        if pg:
            schema_editor.execute(f"ALTER INDEX {old} RENAME TO {new}")
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {old}")
            schema_editor.add_index(log, next(i for i in log._meta.indexes if i.name == new))


def backward(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    for old, new, column in RENAMED:
        if pg:
            schema_editor.execute(f"ALTER INDEX {new} RENAME TO {old}")
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {new}")
            schema_editor.execute(f'CREATE INDEX {old} ON audit_auditlog ("{column}")')
    if pg:
        schema_editor.execute("ALTER TABLE audit_auditlog RENAME CONSTRAINT %s TO %s"
                              % UNIQUE_PG[::-1])
        for name in LIKE:
            column = name.split("_")[2]
            schema_editor.execute(
                f'CREATE INDEX {name} ON audit_auditlog ("{column}" varchar_pattern_ops)')


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0005_append_only_pg"),
    ]

    # The state first, so that ``forward`` sees the Meta indexes; then the database.
    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(model_name="auditlog", name="action",
                                  field=models.CharField(max_length=40)),
            migrations.AlterField(model_name="auditlog", name="chain",
                                  field=models.CharField(default="main", max_length=16)),
            migrations.AlterField(model_name="auditlog", name="hash",
                                  field=models.CharField(max_length=64)),
            migrations.AddIndex(model_name="auditlog",
                                index=models.Index(fields=["action"], name="auditlog_action")),
            migrations.AddIndex(model_name="auditlog",
                                index=models.Index(fields=["chain"], name="auditlog_chain")),
            migrations.AddConstraint(
                model_name="auditlog",
                constraint=models.UniqueConstraint(fields=["hash"], name="auditlog_hash_unique")),
        ]),
        migrations.RunPython(forward, backward, elidable=False),
    ]
