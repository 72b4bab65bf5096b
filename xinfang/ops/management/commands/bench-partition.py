"""`xinfang bench-partition --url postgres://…/scratch`: what yearly partitions would buy at N
rows (ops.partbench; figures in docs/benchmarks.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinfang.ops import partbench


class Command(BaseCommand):
    help = "测量按年分区对大表（时间线、审计日志）的得失（在临时 schema 中，测完删除）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", required=True, help="一个 PostgreSQL 数据库（建议临时库）")
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=200)

    def handle(self, *args: Any, **options: Any) -> None:
        out = partbench.run(options["url"], options["rows"], options["repeat"],
                            log=self.stderr.write)
        self.stdout.write(json.dumps(out, ensure_ascii=False))
