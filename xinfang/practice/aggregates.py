"""Rebuilding and checking the indicator counters (``petitions.models_tally``) from the matters.

``rebuild`` recomputes every counter and every matter's snapshot exactly as the services keep
them (``domain.tally.contributions`` over every matter, the exemptions in force applied) and
replaces them in one transaction; ``verify`` recomputes without writing and reports each
counter that differs, day rows and month rows (``TallyMonth``: the day rows summed by month)
alike. ``xinfang rebuild-aggregates [--verify]`` runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min, Q

from xinfang.domain import tally as dt
from xinfang.petitions import tally
from xinfang.petitions.models import Matter, Tally, TallyMonth, TallySnapshot

from .models_assessment import Exemption

BATCH = 5000


@dataclass
class Result:
    matters: int = 0
    counters: int = 0
    differences: list[tuple[dt.Key, tuple[int, int], tuple[int, int]]] = field(
        default_factory=list)
    snapshots_off: int = 0  # matters whose stored snapshot is not their contribution now
    different: int = 0  # counters that differ (``differences`` lists the first ones)
    month_counters: int = 0
    month_differences: list[tuple[dt.Key, tuple[int, int], tuple[int, int]]] = field(
        default_factory=list)
    month_different: int = 0  # month rows that differ from the matters' contributions

    def as_dict(self) -> dict[str, Any]:
        return {"matters": self.matters, "counters": self.counters,
                "month_counters": self.month_counters, "different": self.different,
                "month_different": self.month_different, "snapshots_off": self.snapshots_off}


def _compute(progress: Callable[[int], None] | None = None,
             on_batch: Callable[[dict[int, dt.Contribution]], None] | None = None
             ) -> tuple[dt.Contribution, int]:
    exempt = set(Exemption.objects.active().values_list("matter_id", flat=True))
    bounds = Matter.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    totals: dt.Contribution = {}
    seen = 0
    if bounds["lo"] is None:
        return totals, 0
    lo = bounds["lo"]
    while lo <= bounds["hi"]:
        facts = tally.load(Q(pk__gte=lo, pk__lt=lo + BATCH),
                           {i: True for i in exempt if lo <= i < lo + BATCH})
        batch = {i: dt.contributions(f) for i, f in facts.items()}
        for c in batch.values():
            for k, (n, p) in c.items():
                on, op = totals.get(k, (0, 0))
                totals[k] = (on + n, op + p)
        if on_batch is not None:
            on_batch(batch)
        seen += len(batch)
        lo += BATCH
        if progress is not None:
            progress(seen)
    return totals, seen


def _stored(model: type[Tally] | type[TallyMonth] = Tally) -> dict[dt.Key, tuple[int, int]]:
    return {dt.Key(*r[:8]): (r[8], r[9]) for r in model.objects.values_list(
        "metric", "day", "division_id", "body_id", "accused_id", "exempt", "bucket", "dim",
        "n", "persons").iterator(chunk_size=10000) if (r[8], r[9]) != (0, 0)}


def rebuild(progress: Callable[[int], None] | None = None) -> Result:
    """Replace every counter and snapshot with the ones computed from the matters. Writers
    wait for it (the counter tables are locked on PostgreSQL; SQLite has one writer)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(f"LOCK TABLE {Tally._meta.db_table}, {TallyMonth._meta.db_table}, "
                            f"{TallySnapshot._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        Tally.objects.all().delete()
        TallyMonth.objects.all().delete()
        TallySnapshot.objects.all().delete()

        totals, seen = _compute(progress, tally.insert_snapshots)
        tally.insert_fresh(totals)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Fresh statistics and visibility map: the readers' index scans are planned on the
        # real row counts and can skip the heap (measured: 984 ms → 54 ms for a year of one
        # figure at 100k matters before/after, docs/benchmarks.md).
        with connection.cursor() as cur:
            cur.execute(f"VACUUM ANALYZE {Tally._meta.db_table}, {TallyMonth._meta.db_table}, "
                        f"{TallySnapshot._meta.db_table}")
    return Result(matters=seen, counters=len(totals), month_counters=len(dt.by_month(totals)))


def verify(progress: Callable[[int], None] | None = None, limit: int = 50) -> Result:
    """Recompute and compare with what is stored (nothing written). On PostgreSQL one
    repeatable-read snapshot: writers running meanwhile are not seen half-way."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        stored, stored_months = _stored(), _stored(TallyMonth)
        off = 0

        def check(batch: dict[int, dt.Contribution]) -> None:
            nonlocal off
            snaps = dict(TallySnapshot.objects.filter(matter_id__in=list(batch))
                         .values_list("matter_id", "data"))
            off += sum(1 for k, v in batch.items() if dt.decode(snaps.get(k)) != v)

        totals, seen = _compute(progress, check)
    diffs = _differences(totals, stored)
    months = dt.by_month(totals)
    month_diffs = _differences(months, stored_months)
    return Result(matters=seen, counters=len(totals), differences=diffs[:limit],
                  snapshots_off=off, different=len(diffs), month_counters=len(months),
                  month_differences=month_diffs[:limit], month_different=len(month_diffs))


def _differences(want: dt.Contribution, have: dt.Contribution
                 ) -> list[tuple[dt.Key, tuple[int, int], tuple[int, int]]]:
    want = {k: v for k, v in want.items() if v != (0, 0)}
    return [(k, want.get(k, (0, 0)), have.get(k, (0, 0)))
            for k in sorted(set(want) | set(have)) if want.get(k) != have.get(k)]
