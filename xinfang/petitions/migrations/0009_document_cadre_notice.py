"""§30 ¶2: the 通报 of a petition about a cadre to the 组织（人事）部门 is a document of its own."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('petitions', '0008_urgent_reports'),
    ]

    operations = [
        migrations.AlterField(
            model_name='document',
            name='kind',
            field=models.CharField(choices=[('receipt', '信访事项受理回执单'), ('acceptance', '信访事项受理告知书'), ('not_accepted', '信访事项不予受理告知书'), ('informed', '信访事项告知书'), ('forward', '信访事项转送单'), ('assign', '信访事项交办单'), ('objection', '信访事项退回（异议）函'), ('objection_ruling', '信访事项退回（异议）审核意见'), ('forward_notice', '信访事项转送（交办）告知书'), ('extension', '信访事项延期办理告知书'), ('opinion', '信访事项处理意见书'), ('review', '信访事项复查意见书'), ('recheck', '信访事项复核意见书'), ('supervision', '信访事项督办单'), ('channel', '导入法定程序告知书'), ('urgent', '重大紧急信访信息报告'), ('cadre_notice', '反映干部问题信访情况通报')], max_length=16, verbose_name='文书'),
        ),
    ]
