# django-rest-knox's own migrations create knox_authtoken even though its token model is
# swapped for org.ApiToken (KNOX_TOKEN_MODEL). The table is never used, and its foreign key to
# org_user makes PostgreSQL refuse to TRUNCATE org_user (test isolation, `flush`). Drop it.
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("org", "0004_holidayyear"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS knox_authtoken", migrations.RunSQL.noop),
    ]
