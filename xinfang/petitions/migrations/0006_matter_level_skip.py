"""越级走访 as a flag of its own (§20 ¶1, N3), no longer a kind of repeat.

The old repeat kind "level_skip" marked a repeat raised above a lower body that still handled
it — the N1 situation of §19 ¶3, not a level-skipping visit: those matters become plain
repeats. Existing visits get the flag from the levels of the registering body and the
problem's place (``domain.repeats.is_level_skip``)."""

from django.db import migrations, models

from xinfang.domain import repeats


def forwards(apps, schema_editor):
    Matter = apps.get_model("petitions", "Matter")
    Matter.objects.filter(repeat_kind="level_skip").update(repeat_kind="repeat")
    skip = []
    rows = (Matter.objects.filter(channel="visit")
            .values_list("pk", "division__path", "division__level", "holder__division__path",
                         "holder__division__level"))
    for pk, path, level, body_path, body_level in rows.iterator():
        covers = path == body_path or path.startswith(body_path + "/")
        if repeats.is_level_skip(is_visit=True, body_level=body_level, problem_level=level,
                                 body_covers_problem=covers):
            skip.append(pk)
    for i in range(0, len(skip), 500):
        Matter.objects.filter(pk__in=skip[i:i + 500]).update(level_skip=True)


class Migration(migrations.Migration):

    dependencies = [
        ("petitions", "0005_hearing"),
    ]

    operations = [
        migrations.AddField(
            model_name="matter",
            name="level_skip",
            field=models.BooleanField(default=False, verbose_name="越级走访"),
        ),
        migrations.AlterField(
            model_name="matter",
            name="repeat_kind",
            field=models.CharField(choices=[("first", "初信初访"), ("repeat", "重复信访")],
                                   default="first", max_length=12, verbose_name="初重件"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
