# Issue 14 item 10: re-seal the existing chain once under the audit key (HMAC-SHA256).
#
# The rows written before this migration carry the unkeyed SHA-256 chain. It is verified
# first; an intact chain is re-sealed under settings.AUDIT_KEY in one transaction. A broken
# chain stops the migration (re-sealing must not launder an edit): find the row with
# `xinfang audit verify` on the previous release, then decide.

from django.db import migrations


def reseal(apps, schema_editor):
    from xinfang.audit.services import reseal as reseal_chain

    reseal_chain(from_legacy=True)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_chain'),
    ]

    operations = [
        migrations.RunPython(reseal, migrations.RunPython.noop),
    ]
