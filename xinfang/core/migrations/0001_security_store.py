# The security store (issue 14 item 9): lock-outs, throttles and pending codes, expiry only.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name='StoreEntry',
            fields=[
                ('key', models.CharField(max_length=250, primary_key=True, serialize=False)),
                ('value', models.TextField()),
                ('expires_at', models.DateTimeField(db_index=True)),
            ],
            options={
                'verbose_name': '安全计数与验证码存储',
                'verbose_name_plural': '安全计数与验证码存储',
            },
        ),
    ]
