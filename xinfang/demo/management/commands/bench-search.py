"""`xinfang bench-search [--rows 100000] [--repeat 40]`: the keyword search at N matters.

Loads a fresh database (var/bench-search.sqlite3, or DATABASE_URL with --reset) with the demo
county and N matters (demo.search_bench.fill), then times the search of five terms for the
信访局 officer and the 住建 handler. ``--load-only`` stops after the fill; ``--time-only``
times a database filled before (DATABASE_URL required; any database with the demo county's
users, such as bench-aggregates', whose ``--terms`` then name its words). One JSON line on
stdout, with the load average before and after; progress on stderr.
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
    help = "性能基准：装载 N 件事项，测量关键词检索（常见词、两字词、罕见词、不存在的词）的响应时间"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=40, help="每个检索词重复次数")
        parser.add_argument("--reset", action="store_true",
                            help="DATABASE_URL 指向的库已有数据时先清空")
        parser.add_argument("--load-only", action="store_true", help="只装载数据")
        parser.add_argument("--time-only", action="store_true", help="只测量已装载的库")
        parser.add_argument("--terms", default="",
                            help="逗号分隔的检索词（默认五个基准词；可测其他库，如指标基准库）")

    def handle(self, *args: Any, **opts: Any) -> None:
        if os.environ.get(CHILD) != "1":
            env = dict(os.environ, **{CHILD: "1"})
            if not env.get("DATABASE_URL"):
                if opts["time_only"]:
                    raise CommandError("--time-only 需要 DATABASE_URL 指向已装载的基准库")
                path = Path(settings.VAR_DIR) / "bench-search.sqlite3"
                path.parent.mkdir(parents=True, exist_ok=True)
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                env["DATABASE_URL"] = f"sqlite:///{path}"
            argv = ["bench-search", "--rows", str(opts["rows"]), "--repeat", str(opts["repeat"])]
            argv += [f"--{k.replace('_', '-')}" for k in ("reset", "load_only", "time_only")
                     if opts[k]]
            argv += ["--terms", opts["terms"]] if opts["terms"] else []
            sys.exit(subprocess.call([sys.executable, "-m", "xinfang.cli", *argv], env=env))
        self._run(opts)

    def _run(self, opts: dict[str, Any]) -> None:
        from django.db import connection

        from xinfang.demo.bench import now_iso
        from xinfang.demo.content import DATA_DIR
        from xinfang.demo.county import DEMO_PASSWORD, build_county
        from xinfang.demo.guard import NOT_DEMO, claim, database_kind, flush_demo
        from xinfang.demo.search_bench import (
            cpu_probe,
            fill,
            index_size,
            load_average,
            time_search,
        )
        from xinfang.demo.seed import county_exists
        from xinfang.org.models import User
        from xinfang.petitions.models import Matter

        def log(msg: str) -> None:
            print(msg, file=sys.stderr, flush=True)

        out: dict[str, Any] = {
            "bench": "search", "db": connection.vendor,
            "what": "in-process: queries.search_hits (page rows + capped count), p50/p95 ms",
            "text": "board messages" if DATA_DIR.exists() else "built-in samples",
            "cpus": os.cpu_count(), "load_before": load_average()}
        if not opts["time_only"]:
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
            with mock.patch("django.contrib.auth.base_user.make_password",
                            lambda *a, **k: hashed):
                county = build_county(full=True)
            seconds = fill(county, opts["rows"], log=log)
            out.update({"fill_s": round(seconds, 1),
                        "fill_per_s": round(opts["rows"] / seconds, 1)})
            if opts["load_only"]:
                out.update(index_size())
                out["load_after"] = load_average()
                print(json.dumps(out, ensure_ascii=False), flush=True)
                return
        users = {u.username: u for u in User.objects.select_related("body__division")
                 .filter(username__in=["chengban", "xinfang"])}
        if len(users) != 2:
            raise CommandError("基准库中没有装载好的县：先运行 --load-only")
        out["matters"] = Matter.objects.count()
        out["cpu_probe_before"] = cpu_probe()
        terms = tuple(t.strip() for t in opts["terms"].split(",") if t.strip())
        out["search_ms"] = time_search(users["xinfang"], users["chengban"],
                                       repeat=opts["repeat"], **({"terms": terms} if terms else {}))
        out["cpu_probe_after"] = cpu_probe()
        out.update(index_size())
        out["load_after"] = load_average()
        out["at"] = now_iso()
        print(json.dumps(out, ensure_ascii=False), flush=True)
