"""Build the indicator counters for the matters already registered (issue 17 "Speed").

Moved to 0005: the current rebuild (``xinfang.practice.aggregates``) reads and writes columns
and tables of later petitions migrations (the 信访部门 rating, the month rows), which need not
exist yet when this one runs on a database being upgraded.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0003_sealed_free_text"),
        ("petitions", "0019_indicator_tally"),
    ]

    operations: list[migrations.operations.base.Operation] = []
