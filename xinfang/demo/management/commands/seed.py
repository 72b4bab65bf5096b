"""`xinfang seed [--matters 3000] [--fresh]`: the demo county and a year of matters.

Only into an empty database; `--fresh` flushes only a database the demo seed wrote (it carries
the demo marker, xinfang/demo/guard.py). A database with anyone else's data is refused.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.demo.guard import NOT_DEMO, database_kind, flush_demo, refuse_production
from xinfang.demo.seed import seed


class Command(BaseCommand):
    help = "建立演示县（机构、人员）并通过业务服务生成一年的信访事项（仅限空库或演示库）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--matters", type=int, default=3000, help="事项数（默认 3000）")
        parser.add_argument("--fresh", action="store_true",
                            help="清空演示数据库后重建（只清空带演示标记的库）")
        parser.add_argument("--seed", type=int, default=2026, help="随机数种子")

    def handle(self, *args: Any, **opts: Any) -> None:
        refuse_production()
        call_command("migrate", interactive=False, verbosity=0)
        kind = database_kind()
        if kind == "other":
            raise CommandError(NOT_DEMO)
        if kind == "demo":
            if not opts["fresh"]:
                raise CommandError("数据库中已有演示数据；如需重建请加 --fresh（将清空全部数据）\n"
                                   "The database already holds the demo; add --fresh to rebuild "
                                   "it (this empties the database).")
            flush_demo()
        from xinfang.notify import paused

        with paused():  # generated history texts nobody
            res = seed(opts["matters"], rng_seed=opts["seed"], log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"已生成演示数据：{res.summary()}"))
        if res.errors:
            self.stdout.write("未执行的步骤（业务规则拒绝）：")
            for msg, n in res.errors.most_common(10):
                self.stdout.write(f"  {n:5d}  {msg}")
