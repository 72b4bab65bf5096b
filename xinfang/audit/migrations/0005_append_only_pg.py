# Issue 14 item 10: on PostgreSQL the audit log is append-only for everyone but the table's
# owner acting deliberately (ALTER TABLE ... DISABLE TRIGGER): UPDATE, DELETE and TRUNCATE
# raise. SQLite has no such guard; the keyed chain and the anchors still detect an edit.

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION xinfang_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计日志只能追加，不能修改或删除 (audit log is append-only: % refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_auditlog_append_only ON audit_auditlog;
CREATE TRIGGER audit_auditlog_append_only BEFORE UPDATE OR DELETE ON audit_auditlog
    FOR EACH ROW EXECUTE FUNCTION xinfang_audit_append_only();
DROP TRIGGER IF EXISTS audit_auditlog_no_truncate ON audit_auditlog;
CREATE TRIGGER audit_auditlog_no_truncate BEFORE TRUNCATE ON audit_auditlog
    FOR EACH STATEMENT EXECUTE FUNCTION xinfang_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_auditlog_append_only ON audit_auditlog;
DROP TRIGGER IF EXISTS audit_auditlog_no_truncate ON audit_auditlog;
DROP FUNCTION IF EXISTS xinfang_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # the % is PL/pgSQL's, not a placeholder


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_reseal_keyed'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
