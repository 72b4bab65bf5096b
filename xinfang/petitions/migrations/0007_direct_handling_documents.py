# Issue 13: 本机关直接办理 (§23 ¶1–2), the forwarder's objection ruling (§23 ¶3) and the
# forwarding notice to the petitioner (§23 ¶1) — choices only, no schema change.
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("petitions", "0006_matter_level_skip"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dispatch",
            name="kind",
            field=models.CharField(choices=[("forward", "转送"), ("assign", "交办"), ("refer_political_legal", "转政法部门"), ("refer_discipline", "转纪检监察"), ("direct", "本机关直接办理")], max_length=24, verbose_name="方式"),
        ),
        migrations.AlterField(
            model_name="document",
            name="kind",
            field=models.CharField(choices=[("receipt", "信访事项受理回执单"), ("acceptance", "信访事项受理告知书"), ("not_accepted", "信访事项不予受理告知书"), ("informed", "信访事项告知书"), ("forward", "信访事项转送单"), ("assign", "信访事项交办单"), ("objection", "信访事项退回（异议）函"), ("objection_ruling", "信访事项退回（异议）审核意见"), ("forward_notice", "信访事项转送（交办）告知书"), ("extension", "信访事项延期办理告知书"), ("opinion", "信访事项处理意见书"), ("review", "信访事项复查意见书"), ("recheck", "信访事项复核意见书"), ("supervision", "信访事项督办单"), ("channel", "导入法定程序告知书"), ("urgent", "重大紧急信访信息报告")], max_length=16, verbose_name="文书"),
        ),
    ]
