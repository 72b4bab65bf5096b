"""`xinfang rebuild-aggregates [--verify]`: recompute the indicator counters from the matters.

Without ``--verify``: replace every counter and every matter's snapshot with the ones computed
from the matters (writers wait meanwhile). With ``--verify``: write nothing, report the
counters (day and month rows) that differ from what the matters say (exit status 1 when any does).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinfang.practice import aggregates


class Command(BaseCommand):
    help = "由事项重算指标计数（--verify 只核对、报告差异）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--verify", action="store_true", help="只核对，不写入")
        parser.add_argument("--show", type=int, default=20, help="列出的差异条数")

    def handle(self, *args: Any, **o: Any) -> None:
        t = time.perf_counter()
        last = [0.0]

        def progress(n: int) -> None:
            if time.perf_counter() - last[0] > 5:
                last[0] = time.perf_counter()
                self.stderr.write(f"  {n} 件…")

        if o["verify"]:
            r = aggregates.verify(progress, limit=o["show"])
            for grain, diffs in (("", r.differences), ("月计数 ", r.month_differences)):
                for key, want, have in diffs:
                    day = f"{key.day:%Y-%m}" if grain else key.day
                    self.stdout.write(
                        f"差异 {grain}{key.metric} {day} 区划{key.division_id} 单位{key.body_id} "
                        f"{key.bucket or '-'} {key.dim or '-'}"
                        f"{' 不纳入考核' if key.exempt else ''}：应为 {want[0]}（{want[1]}人），"
                        f"实为 {have[0]}（{have[1]}人）")
        else:
            r = aggregates.rebuild(progress)
        out = {**r.as_dict(), "seconds": round(time.perf_counter() - t, 1)}
        self.stdout.write(json.dumps(out, ensure_ascii=False))
        if o["verify"] and (r.different or r.month_different or r.snapshots_off):
            sys.exit(1)
