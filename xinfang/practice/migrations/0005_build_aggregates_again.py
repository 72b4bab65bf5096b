"""Build the indicator counters, day and month rows, for the matters already registered
(issue 17 "Speed") where they are not built yet: a database upgraded past 0004 before 0004
built them. A database whose counters 0004 built got its month rows from petitions 0023.

Runs the current rebuild (``xinfang.practice.aggregates``; it reads named columns only): on a
large database this takes a while — ``xinfang rebuild-aggregates`` does the same at any time.
A later migration that changes what the rebuild reads or writes must come before this one or
build the counters itself.
"""

from django.db import migrations


def build(apps, schema_editor):  # type: ignore[no-untyped-def]
    from xinfang.petitions.models import Matter, Tally
    from xinfang.practice import aggregates

    if Matter.objects.exists() and not Tally.objects.exists():
        aggregates.rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0004_build_aggregates"),
        ("petitions", "0023_tally_month"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
