"""`xinfang bench [--matters 100000] [--json-only]`: load N matters, time the hot paths.

Runs in its own database: var/bench.sqlite3 (recreated each run) unless DATABASE_URL is
set. Prints exactly one JSON line on stdout; progress and EXPLAIN plans go to stderr.

`xinfang bench --scaling 10000,100000 [--rounds 5]` measures how the read paths grow with
the table: it loads one SQLite database per size (var/bench-N.sqlite3), then times them in
alternating fresh processes (A B, B A, …) and reports the median p95 per size and the ratio.
Interleaving matters on shared vCPUs, whose speed drifts by half over minutes.
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
        parser.add_argument("--scaling", default="",
                            help="逗号分隔的规模，如 10000,100000：交替测量各规模并给出增长倍数")
        parser.add_argument("--rounds", type=int, default=5, help="--scaling 的交替轮数")
        parser.add_argument("--peer", action="store_true",
                            help="同一次运行中测量对照系统 django-helpdesk（同类数据库）并给出倍数")
        parser.add_argument("--peer-n", type=int, default=0,
                            help="对照系统创建的工单数（默认同 --matters，至多 20000）")
        # Internal steps of --scaling, run in child processes.
        parser.add_argument("--load-only", action="store_true", help="只装载数据")
        parser.add_argument("--time-only", action="store_true", help="只测量已装载的库")

    def handle(self, *args: Any, **opts: Any) -> None:
        if os.environ.get(CHILD) != "1":
            if opts["scaling"]:
                sys.exit(self._scaling(opts))
            sys.exit(self._spawn(opts))
        self._run(opts)

    def _scaling(self, opts: dict[str, Any]) -> int:
        from xinfang.demo.bench import now_iso, scaling_summary

        try:
            sizes = sorted({int(x) for x in opts["scaling"].split(",") if x.strip()})
        except ValueError as e:
            raise CommandError("--scaling 应为逗号分隔的整数，如 10000,100000") from e
        if len(sizes) < 2 or opts["rounds"] < 1:
            raise CommandError("--scaling 至少需要两个规模，--rounds 至少为 1")
        paths = {n: Path(settings.VAR_DIR) / f"bench-{n}.sqlite3" for n in sizes}

        def child(n: int, *flags: str) -> dict[str, Any]:
            env = dict(os.environ, **{CHILD: "1", "DATABASE_URL": f"sqlite:///{paths[n]}"})
            argv = ["bench", "--matters", str(n), "--repeat", str(opts["repeat"]),
                    "--json-only", *flags]
            done = subprocess.run([sys.executable, "-m", "xinfang.cli", *argv], env=env,
                                  stdout=subprocess.PIPE, text=True, check=True)
            return dict(json.loads(done.stdout.strip().splitlines()[-1]))

        for n, path in paths.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.stderr.write(f"装载 {n} 件 → {path}")
            child(n, "--load-only")
        rounds: list[dict[int, dict[str, Any]]] = []
        for r in range(opts["rounds"]):
            order = sizes if r % 2 == 0 else sizes[::-1]
            rounds.append({n: child(n, "--time-only") for n in order})
            self.stderr.write(f"第 {r + 1}/{opts['rounds']} 轮完成")
        out = scaling_summary(sizes, rounds)
        out["cpus"] = os.cpu_count()
        out["at"] = now_iso()
        self.stdout.write(json.dumps(out, ensure_ascii=False))
        return 0

    def _spawn(self, opts: dict[str, Any]) -> int:
        """Re-run in a child process whose settings point at the bench database."""
        env = dict(os.environ, **{CHILD: "1"})
        if not env.get("DATABASE_URL"):
            if opts["time_only"]:
                raise CommandError("--time-only 需要 DATABASE_URL 指向已装载的基准库")
            path = Path(settings.VAR_DIR) / "bench.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            env["DATABASE_URL"] = f"sqlite:///{path}"
        argv = ["bench", "--matters", str(opts["matters"]), "--repeat", str(opts["repeat"]),
                "--registrations", str(opts["registrations"])]
        argv += ["--json-only"] if opts["json_only"] else []
        argv += ["--reset"] if opts["reset"] else []
        argv += ["--load-only"] if opts["load_only"] else []
        argv += ["--time-only"] if opts["time_only"] else []
        argv += ["--peer", "--peer-n", str(opts["peer_n"])] if opts["peer"] else []
        return subprocess.call([sys.executable, "-m", "xinfang.cli", *argv], env=env)

    def _run(self, opts: dict[str, Any]) -> None:
        from xinfang.demo.bench import bulk_load, now_iso, run_bench, time_reads
        from xinfang.demo.county import DEMO_PASSWORD, build_county
        from xinfang.demo.guard import NOT_DEMO, claim, database_kind, flush_demo
        from xinfang.demo.seed import county_exists
        from xinfang.org.models import User
        from xinfang.petitions.models import Matter

        demo_db = Path(settings.VAR_DIR) / "xinfang.sqlite3"
        if str(settings.DATABASES["default"].get("NAME")) == str(demo_db):
            raise CommandError("基准测试不能使用演示数据库 var/xinfang.sqlite3")

        def log(msg: str) -> None:
            if not opts["json_only"]:
                print(msg, file=sys.stderr, flush=True)

        if opts["time_only"]:
            users = {u.username: u for u in User.objects.select_related("body__division")
                     .filter(username__in=["chengban", "xinfang"])}
            if len(users) != 2:
                raise CommandError("基准库中没有装载好的县：先运行 --load-only")
            out = time_reads(users["chengban"], users["xinfang"], repeat=opts["repeat"],
                             log=log)
            out.update({"matters": Matter.objects.count(), "at": now_iso()})
            print(json.dumps(out, ensure_ascii=False), flush=True)
            return
        call_command("migrate", interactive=False, verbosity=0)
        kind = database_kind()
        if kind == "other":  # --reset flushes only a database the demo or the bench wrote
            raise CommandError(NOT_DEMO)
        if kind == "demo" or county_exists():
            if not opts["reset"]:
                raise CommandError("基准库中已有数据；确认可清空请加 --reset")
            flush_demo()
        claim("bench")
        hashed = make_password(DEMO_PASSWORD)
        with mock.patch("django.contrib.auth.base_user.make_password", lambda *a, **k: hashed):
            county = build_county(full=True)
        if opts["load_only"]:
            bulk_load(county, opts["matters"], log=log)
            print(json.dumps({"loaded": opts["matters"]}), flush=True)
            return
        from xinfang.demo import intake_bench, peer

        intake_bench.quiet_logs()
        out = {"machine_start": intake_bench.machine_state()}
        out.update(run_bench(county, opts["matters"], repeat=opts["repeat"],
                             registrations=opts["registrations"], log=log))
        out["search_http_p95_ms"] = out["search_http_ms"]["p95"]
        out["queue_page_http_p95_ms"] = out["queue_page_http_ms"]["p95"]
        out["dashboard_http_p50_ms"] = out["dashboard_http_ms"]["p50"]
        out["stats_p50_ms"] = out["stats_ms"]["p50"]
        out["cpus"] = os.cpu_count()
        out["at"] = now_iso()
        if opts["peer"]:
            result = peer.run_peer(opts["peer_n"] or min(opts["matters"], 20_000), log=log)
            if result is not None:
                out["peer"] = result
                out["ratio"] = peer.ratios(out, result)
        print(json.dumps(out, ensure_ascii=False), flush=True)
