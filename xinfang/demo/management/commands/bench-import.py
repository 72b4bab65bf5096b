"""`xinfang bench-import [--rows 100000] [--batch 5000]`: the history import's rate.

A fresh database (var/bench-import.sqlite3, or DATABASE_URL with --reset), the demo county, a
generated history file of N rows (xinfang.demo.history_sample), then `xinfang import` on it,
in-process (on PostgreSQL with its parallel writers unless --workers 1); prints one JSON line
with rows per second of the check and of the load, the load average before and after, and the
peak RSS of the bench process (county, generated file and import) and of the writers.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

CHILD = "XINFANG_BENCH_CHILD"


class Command(BaseCommand):
    help = "性能基准：生成 N 行历史数据并用 xinfang import 导入，测量每秒导入件数"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument("--workers", type=int, default=0,
                            help="xinfang import --workers（默认：由导入命令决定）")
        parser.add_argument("--profile", action="store_true",
                            help="一个写入进程，按表统计客户端与数据库进程的 CPU 时间（每件微秒）")
        parser.add_argument("--reset", action="store_true",
                            help="DATABASE_URL 指向的库已有数据时先清空")

    def handle(self, *args: Any, **opts: Any) -> None:
        if os.environ.get(CHILD) != "1":
            env = dict(os.environ, **{CHILD: "1"})
            if not env.get("DATABASE_URL"):
                path = Path(settings.VAR_DIR) / "bench-import.sqlite3"
                path.parent.mkdir(parents=True, exist_ok=True)
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                env["DATABASE_URL"] = f"sqlite:///{path}"
            argv = ["bench-import", "--rows", str(opts["rows"]), "--batch", str(opts["batch"]),
                    "--workers", str(opts["workers"])]
            argv += ["--reset"] if opts["reset"] else []
            argv += ["--profile"] if opts["profile"] else []
            sys.exit(subprocess.call([sys.executable, "-m", "xinfang.cli", *argv], env=env))
        from django.db import connection

        from xinfang.demo.bench import now_iso
        from xinfang.demo.county import DEMO_PASSWORD, build_county
        from xinfang.demo.guard import NOT_DEMO, claim, database_kind, flush_demo
        from xinfang.demo.history_sample import write_sample
        from xinfang.demo.seed import county_exists

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
            build_county(full=True)
        with tempfile.TemporaryDirectory() as tmp:
            path = write_sample(Path(tmp) / "history.csv", opts["rows"])
            load_before = os.getloadavg()
            cpu_before = _cpu()
            started = time.monotonic()
            if opts["profile"]:
                out, split = _profiled(path, opts["batch"])
            else:
                out, split = _capture(path, opts["batch"], opts["workers"]), {}
            total = time.monotonic() - started
            cpu = _cpu() - cpu_before
            load_after = os.getloadavg()
        from xinfang.petitions.models import Matter

        result = {
            "what": "xinfang import, in-process, one transaction per batch", "rows": opts["rows"],
            "batch": opts["batch"], "written": out["written"], "matters": Matter.objects.count(),
            "load_seconds": out["seconds"], "load_per_second": out["per_second"],
            "total_seconds_with_check": round(total, 2),
            "overall_per_second": round(out["written"] / total) if total else 0,
            "workers": out.get("workers", 1), "database": connection.vendor,
            "cpus": os.cpu_count(), "load_avg_before": [round(x, 2) for x in load_before],
            "load_avg_after": [round(x, 2) for x in load_after],
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "peak_rss_writers_mib": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            # CPU of the importing process and its writers (not of the database server),
            # whatever the neighbours run: the figure behind the rate.
            "client_cpu_us_per_matter": round(cpu / out["written"] * 1e6) if out["written"] else 0,
            "at": now_iso(),
        }
        if split:
            result["cpu_us_per_matter"] = {k: round(v / out["written"] * 1e6)
                                           for k, v in sorted(split.items())}
        print(json.dumps(result, ensure_ascii=False), flush=True)


def _capture(path: Path, batch: int, workers: int) -> dict[str, Any]:
    import io

    buf = io.StringIO()
    call_command("import", str(path), batch=batch, workers=workers, stdout=buf,
                 stderr=sys.stderr)
    return dict(json.loads(buf.getvalue().strip().splitlines()[-1]))


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _profiled(path: Path, batch: int) -> tuple[dict[str, Any], dict[str, float]]:
    """The import with one writer (this process and its connection), the CPU time of this
    process and — PostgreSQL on this machine — of its database backend (``/proc``), per table
    written and for the COMMIT (where PostgreSQL runs the deferred foreign-key checks)."""
    from collections import defaultdict

    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    from xinfang.petitions import tally
    from xinfang.petitions.history import bulk

    split: defaultdict[str, float] = defaultdict(float)
    backend: list[Path] = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            stat = Path(f"/proc/{cur.fetchone()[0]}/stat")
        backend = [stat] if stat.exists() else []
    tick = os.sysconf("SC_CLK_TCK")

    def server() -> float:
        if not backend:
            return 0.0
        fields = backend[0].read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    write = bulk.Out.write
    commit = BaseDatabaseWrapper._commit  # type: ignore[attr-defined]

    def timed_write(self: bulk.Out, table: bulk.Table) -> None:
        c, s = time.process_time(), server()
        write(self, table)
        split[f"client: COPY/executemany {table.name}"] += time.process_time() - c
        if backend:
            split[f"server: {table.name}"] += server() - s

    def timed_commit(self: Any) -> None:
        s = server()
        commit(self)
        if backend:
            split["server: COMMIT (deferred FK checks)"] += server() - s

    add_written = tally.add_written

    def timed_tally(*args: Any) -> None:
        c, s = time.process_time(), server()
        add_written(*args)
        split["client: indicator counters (tally.add_written)"] += time.process_time() - c
        if backend:
            split["server: indicator counters (tally.add_written)"] += server() - s

    s0, c0 = server(), time.process_time()
    with mock.patch.object(bulk.Out, "write", timed_write), \
            mock.patch.object(BaseDatabaseWrapper, "_commit", timed_commit), \
            mock.patch.object(tally, "add_written", timed_tally):
        out = _capture(path, batch, 1)
    written = sum(v for k, v in split.items() if k.startswith("client: "))
    split["client: everything else (CSV, checks, building rows)"] = \
        time.process_time() - c0 - written
    if backend:
        split["server: total"] = server() - s0
    return out, dict(split)
