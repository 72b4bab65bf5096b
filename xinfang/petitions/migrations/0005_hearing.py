import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("org", "0002_user_totp"),
        ("petitions", "0004_matter_text_bigrams"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Hearing",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("requested_by", models.CharField(choices=[("petitioner", "信访人申请"), ("body", "复核机关依职权决定")], max_length=12, verbose_name="提出")),
                ("requested_on", models.DateField(verbose_name="申请（提议）日期")),
                ("started_on", models.DateField(verbose_name="听证开始日期")),
                ("ended_on", models.DateField(blank=True, null=True, verbose_name="听证结束日期")),
                ("conclusion", models.TextField(blank=True, verbose_name="听证结论")),
                ("paused_days", models.PositiveSmallIntegerField(default=0, verbose_name="不计入复核期限的天数")),
                ("body", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="org.body", verbose_name="复核机关")),
                ("decided_by", models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="登记人")),
                ("matter", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="hearings", to="petitions.matter")),
            ],
            options={
                "verbose_name": "复核听证",
                "verbose_name_plural": "复核听证",
                "ordering": ["matter_id", "started_on", "id"],
            },
        ),
    ]
