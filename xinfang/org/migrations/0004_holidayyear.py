from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("org", "0003_api_token_otp_devices"),
    ]

    operations = [
        migrations.CreateModel(
            name="HolidayYear",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(unique=True, verbose_name="年度")),
                ("confirmed", models.BooleanField(default=False, help_text="按国务院办公厅公布的当年节假日安排，已录入全部放假日和调休上班日后勾选；勾选后本年期限不再按估算计算。", verbose_name="本年节假日安排已完整录入")),
                ("notice", models.CharField(blank=True, help_text="如“国办发明电〔2026〕×号”", max_length=100, verbose_name="依据（通知文号）")),
            ],
            options={
                "verbose_name": "年度节假日表确认",
                "verbose_name_plural": "年度节假日表确认",
                "ordering": ["-year"],
            },
        ),
    ]
