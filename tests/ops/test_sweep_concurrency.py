"""Two workers sweeping at the same moment (PostgreSQL; on SQLite, one after the other — it
runs one worker): every overdue clock gets one 超期督办, one timeline entry and one audit row."""

from __future__ import annotations

import threading

import time_machine
from django.db import connection

from tests.conftest import sh
from tests.scenario import register
from xinfang.audit.models import AuditLog
from xinfang.ops import jobs
from xinfang.petitions.models import Event, Supervision


def test_two_sweeps_at_once_supervise_each_overdue_clock_once(transactional_db, county):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        matters = [register(county, sh(2026, 3, 2), phone=f"1390000000{i}", id_number="",
                            title=f"村道坑洼{i}") for i in range(4)]
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            results.append(jobs.JOBS["sweep"].run())
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(sh(2026, 3, 27), tick=False):
        if connection.vendor == "postgresql":
            threads = [threading.Thread(target=sweep) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        else:
            sweep()
            sweep()
    assert not errors, errors
    assert sorted(r["supervisions"] for r in results) == [0, 4]
    for m in matters:
        assert Supervision.objects.filter(matter=m, kind="overdue").count() == 1
    overdue_events = Event.objects.filter(matter__in=matters, action="supervise")
    assert overdue_events.count() == 4, list(Event.objects.values_list("action", flat=True))
    assert AuditLog.objects.filter(action="supervise").count() == 4
