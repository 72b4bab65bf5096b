"""`xinfang sweep [--loop] [--interval N]`: the deadline sweep for cron or a worker."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from xinfang.petitions import jobs


class Command(BaseCommand):
    help = "标记临期/超期期限，生成提醒和督办，关闭复查期限届满的事项（幂等）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument("--interval", type=int, default=300, help="seconds between runs")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["loop"]:
            jobs.run_forever(opts["interval"])
        result = jobs.sweep()
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
