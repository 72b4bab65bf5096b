"""`xinfang bench-import [--rows 100000] [--batch 5000]`: the history import's rate.

A fresh database (var/bench-import.sqlite3, or DATABASE_URL with --reset), the demo county, a
generated history file of N rows (xinfang.demo.history_sample), then `xinfang import` on it,
in-process; prints one JSON line with rows per second of the check and of the load.
"""

from __future__ import annotations

import json
import os
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
            argv = ["bench-import", "--rows", str(opts["rows"]), "--batch", str(opts["batch"])]
            argv += ["--reset"] if opts["reset"] else []
            sys.exit(subprocess.call([sys.executable, "-m", "xinfang.cli", *argv], env=env))
        from django.db import connection

        from xinfang.demo.bench import now_iso
        from xinfang.demo.county import DEMO_PASSWORD, build_county
        from xinfang.demo.guard import NOT_DEMO, claim, database_kind
        from xinfang.demo.history_sample import write_sample
        from xinfang.demo.seed import county_exists

        call_command("migrate", interactive=False, verbosity=0)
        kind = database_kind()
        if kind == "other":
            raise CommandError(NOT_DEMO)
        if kind == "demo" or county_exists():
            if not opts["reset"]:
                raise CommandError("基准库中已有数据；确认可清空请加 --reset")
            call_command("flush", interactive=False, verbosity=0)
        claim("bench")
        hashed = make_password(DEMO_PASSWORD)
        with mock.patch("django.contrib.auth.base_user.make_password", lambda *a, **k: hashed):
            build_county(full=True)
        with tempfile.TemporaryDirectory() as tmp:
            path = write_sample(Path(tmp) / "history.csv", opts["rows"])
            started = time.monotonic()
            out = _capture(path, opts["batch"])
            total = time.monotonic() - started
        from xinfang.petitions.models import Matter

        result = {
            "what": "xinfang import, in-process, one transaction per batch", "rows": opts["rows"],
            "batch": opts["batch"], "written": out["written"], "matters": Matter.objects.count(),
            "load_seconds": out["seconds"], "load_per_second": out["per_second"],
            "total_seconds_with_check": round(total, 2),
            "overall_per_second": round(out["written"] / total) if total else 0,
            "database": connection.vendor, "cpus": os.cpu_count(), "at": now_iso(),
        }
        print(json.dumps(result, ensure_ascii=False), flush=True)


def _capture(path: Path, batch: int) -> dict[str, Any]:
    import io

    buf = io.StringIO()
    call_command("import", str(path), batch=batch, stdout=buf, stderr=sys.stderr)
    return dict(json.loads(buf.getvalue().strip().splitlines()[-1]))
