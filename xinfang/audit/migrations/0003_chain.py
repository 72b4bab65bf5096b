# Issue 14 item 10: a chain name on each row and each head (one chain, "main", today).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='audithead',
            name='chain',
            field=models.CharField(default='main', max_length=16, unique=True),
        ),
        migrations.AddField(
            model_name='auditlog',
            name='chain',
            field=models.CharField(db_index=True, default='main', max_length=16),
        ),
    ]
