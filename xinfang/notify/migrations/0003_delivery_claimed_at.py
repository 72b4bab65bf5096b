# The claim's time of a delivery in 发送中, and the partial index the lease's look-up uses
# (issue 19 item 5: a delivery left 发送中 by a crashed worker is claimed again).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notify', '0002_delivery_channel_none'),
    ]

    operations = [
        migrations.AddField(
            model_name='delivery',
            name='claimed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='delivery',
            index=models.Index(condition=models.Q(('status', 'sending')), fields=['claimed_at'], name='delivery_sending'),
        ),
    ]
