"""`xinfang bench-intake [--matters 20000] [--writers 1,4,16] [--seconds 15] [--counties 1] [--peer]`.

Issue 19 item 1: registrations per second through the real service, one per transaction,
at 1, 4 and 16 concurrent writer processes, with the queue they leave drained and counted;
errors counted by kind (the goal is none); a profile of where one registration's time goes
(its SQL statements, and the share of each layer). A fresh database: var/bench-intake.sqlite3,
or DATABASE_URL with --reset. ``--peer`` runs django-helpdesk's harness in the same run on
the same kind of database and prints the ratio. Prints one JSON line.
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
    help = "性能基准：1/4/16 个并发登记进程的每秒登记件数（含排队工作排空），以及单件登记的耗时剖析"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--matters", type=int, default=20_000, help="预先装载的事项数")
        parser.add_argument("--writers", default="1,4,16", help="逗号分隔的并发进程数")
        parser.add_argument("--seconds", type=float, default=15.0, help="每档登记时长（秒）")
        parser.add_argument("--profile", type=int, default=200,
                            help="剖析的登记件数（0 不剖析）")
        parser.add_argument("--peer", action="store_true",
                            help="同一次运行中测量对照系统 django-helpdesk 并给出倍数")
        parser.add_argument("--peer-n", type=int, default=0,
                            help="对照系统创建的工单数（默认同 --matters）")
        parser.add_argument("--counties", type=int, default=1,
                            help="登记进程分布的县数（默认 1：全部在同一县信访局登记；"
                                 "大于 1 时第 i 个进程在第 i mod N 个县登记，模拟全省负载）")
        parser.add_argument("--reset", action="store_true",
                            help="DATABASE_URL 指向的库已有数据时先清空")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            counts = [int(w) for w in opts["writers"].split(",") if w.strip()]
        except ValueError as e:
            raise CommandError("--writers 应为逗号分隔的正整数，如 1,4,16") from e
        if not counts or min(counts) < 1:
            raise CommandError("--writers 应为逗号分隔的正整数，如 1,4,16")
        if os.environ.get(CHILD) != "1":
            env = dict(os.environ, **{CHILD: "1"})
            if not env.get("DATABASE_URL"):
                path = Path(settings.VAR_DIR) / "bench-intake.sqlite3"
                path.parent.mkdir(parents=True, exist_ok=True)
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                env["DATABASE_URL"] = f"sqlite:///{path}"
            argv = [a for a in sys.argv[1:] if a != "bench-intake"]
            sys.exit(subprocess.call([sys.executable, "-m", "xinfang.cli", "bench-intake",
                                      *argv], env=env))
        self._run(opts, counts)

    def _run(self, opts: dict[str, Any], counts: list[int]) -> None:
        from django.db import connection

        from xinfang.demo import intake_bench, peer
        from xinfang.demo.bench import bulk_load, now_iso
        from xinfang.demo.county import DEMO_PASSWORD, build_county
        from xinfang.demo.guard import NOT_DEMO, claim, database_kind, flush_demo
        from xinfang.demo.seed import county_exists

        def log(msg: str) -> None:
            print(msg, file=sys.stderr, flush=True)

        intake_bench.quiet_logs()
        call_command("migrate", interactive=False, verbosity=0)
        kind = database_kind()
        if kind == "other":
            raise CommandError(NOT_DEMO)
        if kind == "demo" or county_exists():
            if not opts["reset"]:
                raise CommandError("基准库中已有数据；确认可清空请加 --reset")
            flush_demo()
        claim("bench")
        hashed = make_password(DEMO_PASSWORD)
        with mock.patch("django.contrib.auth.base_user.make_password", lambda *a, **k: hashed):
            county = build_county(full=True)
        if opts["matters"]:
            log(f"装载 {opts['matters']} 件事项 …")
            bulk_load(county, opts["matters"], log=log)
        out: dict[str, Any] = {"bench": "intake", "db": connection.vendor,
                               "matters": opts["matters"], "at": now_iso(),
                               "machine_start": intake_bench.machine_state()}
        if opts["profile"]:
            log(f"剖析 {opts['profile']} 件登记 …")
            out["profile"] = intake_bench.profile_registrations(county, opts["profile"])
            # Their deliveries, drained apart from the timed runs: the worker's cost of each.
            out["profile"]["worker"] = intake_bench.profile_drain()
        if opts["counties"] < 1:
            raise CommandError("--counties 应为正整数")
        at = intake_bench.desks(county, opts["counties"])
        out["counties"] = opts["counties"]
        out["concurrency"] = []
        for w in counts:
            log(f"{w} 个登记进程（{min(w, len(at))} 个县），{opts['seconds']:g} 秒 …")
            row = intake_bench.concurrent_intake(county, w, opts["seconds"], at=at)
            log(f"  {row['per_s']}/s（排空后 {row['per_s_drained']}/s），错误 {row['errors'] or 0}")
            out["concurrency"].append(row)
        out["register_per_s"] = out["concurrency"][0]["per_s_drained"]
        out["machine_end"] = intake_bench.machine_state()
        if opts["peer"]:
            result = peer.run_peer(opts["peer_n"] or opts["matters"] or 2000, log=log)
            if result is not None:
                out["peer"] = {k: result.get(k) for k in (
                    "create_per_s", "list_p95_ms", "search_p95_ms", "stats_ms",
                    "dashboard_view_ms", "rss_mb", "loadavg_1m_start_end", "calib_cpu_ms",
                    "calib_fsync_ms", "n")}
                out["ratio"] = peer.ratios(out, result)
        print(json.dumps(out, ensure_ascii=False), flush=True)
