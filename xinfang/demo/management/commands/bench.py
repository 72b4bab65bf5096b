"""`xinfang bench [--matters 100000] [--json-only]`: load N matters, time the hot paths.

Runs in its own database: var/bench.sqlite3 (recreated each run) unless DATABASE_URL is
set. Prints exactly one JSON line on stdout; progress and EXPLAIN plans go to stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

CHILD = "XINFANG_BENCH_CHILD"


class Command(BaseCommand):
    help = "性能基准：批量装载 N 件事项，测量登记吞吐与待办队列、事项页、检索的响应时间"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--matters", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=200, help="每项读取重复次数")
        parser.add_argument("--registrations", type=int, default=500)
        parser.add_argument("--json-only", action="store_true", help="只输出一行 JSON")
        parser.add_argument("--reset", action="store_true",
                            help="DATABASE_URL 指向的库已有数据时先清空")

    def handle(self, *args: Any, **opts: Any) -> None:
        if os.environ.get(CHILD) != "1":
            sys.exit(self._spawn(opts))
        self._run(opts)

    def _spawn(self, opts: dict[str, Any]) -> int:
        """Re-run in a child process whose settings point at the bench database."""
        env = dict(os.environ, **{CHILD: "1"})
        if not env.get("DATABASE_URL"):
            path = Path(settings.VAR_DIR) / "bench.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            env["DATABASE_URL"] = f"sqlite:///{path}"
        argv = ["bench", "--matters", str(opts["matters"]), "--repeat", str(opts["repeat"]),
                "--registrations", str(opts["registrations"])]
        argv += ["--json-only"] if opts["json_only"] else []
        argv += ["--reset"] if opts["reset"] else []
        return subprocess.call([sys.executable, "-m", "xinfang.cli", *argv], env=env)

    def _run(self, opts: dict[str, Any]) -> None:
        from xinfang.demo.bench import now_iso, run_bench
        from xinfang.demo.seed import county_exists
        from xinfang.org.county import DEMO_PASSWORD, build_county

        demo_db = Path(settings.VAR_DIR) / "xinfang.sqlite3"
        if str(settings.DATABASES["default"].get("NAME")) == str(demo_db):
            raise CommandError("基准测试不能使用演示数据库 var/xinfang.sqlite3")

        def log(msg: str) -> None:
            if not opts["json_only"]:
                print(msg, file=sys.stderr, flush=True)

        call_command("migrate", interactive=False, verbosity=0)
        if county_exists():
            if not opts["reset"]:
                raise CommandError("基准库中已有数据；确认可清空请加 --reset")
            call_command("flush", interactive=False, verbosity=0)
        hashed = make_password(DEMO_PASSWORD)
        with mock.patch("django.contrib.auth.base_user.make_password", lambda *a, **k: hashed):
            county = build_county(full=True)
        out = run_bench(county, opts["matters"], repeat=opts["repeat"],
                        registrations=opts["registrations"], log=log)
        out["cpus"] = os.cpu_count()
        out["at"] = now_iso()
        print(json.dumps(out, ensure_ascii=False), flush=True)
