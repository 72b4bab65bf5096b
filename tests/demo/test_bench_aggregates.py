"""`xinfang bench-aggregates` loads its matters through the history import (issue 19 item 4:
"the 1M benchmarks load their data through it") and tops a database up run by run."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from xinfang.audit.models import AuditLog
from xinfang.petitions.models import Clock, Event, Matter, Tally


@pytest.mark.django_db(transaction=True)  # the import's batches and VACUUM: no test transaction
def test_bench_aggregates_fills_through_the_import_and_tops_up(settings, tmp_path):
    settings.VAR_DIR = tmp_path

    def run(rows: int) -> dict:
        out = StringIO()
        call_command("bench-aggregates", "--rows", str(rows), "--repeat", "1", stdout=out)
        return json.loads(out.getvalue().strip().splitlines()[-1])

    first = run(12)
    assert first["filled"]["added"] == 12 and first["matters"] == 12
    # The import's own writes: its register events, clocks as of the historic dates, one
    # audit row per batch, and the counters kept in the same transaction.
    assert Event.objects.filter(action="register", actor_label="历史数据导入").count() == 12
    assert Clock.objects.exists()
    assert AuditLog.objects.filter(action="import_history").exists()
    assert first["counters"] == Tally.objects.count() > 0
    assert {"dashboard", "dashboard_http", "indicators_http", "statistics"} <= set(first["ms"])
    numbers = set(Matter.objects.values_list("number", flat=True))

    second = run(20)  # the same file's first 12 rows are in: the import skips them
    assert second["filled"]["added"] == 8 and Matter.objects.count() == 20
    assert numbers < set(Matter.objects.values_list("number", flat=True))
    assert list(tmp_path.iterdir()) == []  # the history file is removed
