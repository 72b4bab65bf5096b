"""Build the indicator counters for the matters already registered (issue 17 "Speed").

Runs the current rebuild (``xinfang.practice.aggregates``; it reads named columns only): on a
large database this takes a while — ``xinfang rebuild-aggregates`` does the same at any time.
"""

from django.db import migrations


def build(apps, schema_editor):  # type: ignore[no-untyped-def]
    from xinfang.petitions.models import Matter
    from xinfang.practice import aggregates

    if Matter.objects.exists():
        aggregates.rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0003_sealed_free_text"),
        ("petitions", "0019_indicator_tally"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
