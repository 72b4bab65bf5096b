"""`xinfang indicators_bench [--rounds 20] [--period 2026-11]`: time the indicator figures of the
first county (every figure, one grouped query each) and the unit ranking, p50/p95 in ms, on
whatever database is configured (issue 17 "Speed": the baseline before aggregates)."""

from __future__ import annotations

import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand

from xinfang.org.models import Division
from xinfang.petitions.models import Matter
from xinfang.practice import drilldown, rankings
from xinfang.practice import indicator_scope as S
from xinfang.practice import indicators as I


class Command(BaseCommand):
    help = "Time the indicator figures and the unit ranking (p50/p95 ms)"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rounds", type=int, default=20)
        parser.add_argument("--period", default="")

    def handle(self, *args: Any, **o: Any) -> None:
        division = Division.objects.filter(level=3).order_by("code").first()
        if division is None:
            self.stderr.write("没有县级区划")
            return
        scope, period = I.Scope.for_division(division), S.parse_period(o["period"])
        for name, fn in (("figures", lambda: I.figures(scope, period)),
                         ("ranking", lambda: rankings.unit_ranking(scope, period)),
                         ("overdue_by_unit", lambda: drilldown.overdue_by_unit(scope))):
            times = []
            for _ in range(o["rounds"]):
                t = time.perf_counter()
                fn()
                times.append(1000 * (time.perf_counter() - t))
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            self.stdout.write(f"{name}: p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms "
                              f"({o['rounds']} rounds, {Matter.objects.count()} matters, "
                              f"period {period.start}..{period.end})")
