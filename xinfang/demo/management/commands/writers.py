"""`xinfang writers [--writers 16] [--readers 4] [--seconds 30]`: concurrent writers on SQLite.

Issue 14 item 12: at 16 writers + 4 readers the SQLite default answered "database is
locked" to some writes. This loads the small demo county into its own database
(var/writers.sqlite3, recreated each run, unless DATABASE_URL is set) and runs, for
``--seconds``: writer threads registering matters and forwarding them (two service calls,
each one transaction with its event and audit row), and reader threads walking the
registrar's queue. It prints one JSON line: writes tried/done/lost to "database is locked"
or another error, the write transactions' lock time (BEGIN IMMEDIATE to COMMIT: p50, p95,
max) by service, and the reads done.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import threading
import time
import traceback
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, connection, connections

_held: dict[str, list[float]] = defaultdict(list)
_held_lock = threading.Lock()


def _instrument() -> None:
    """Time each write transaction from the moment it has the lock (BEGIN IMMEDIATE returned)
    to COMMIT or ROLLBACK, named by the service function that opened it."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    # Private methods of Django's backend (absent from the stubs): reached by name.
    begin = getattr(DatabaseWrapper, "_start_transaction_under_autocommit")  # noqa: B009
    commit, rollback = getattr(DatabaseWrapper, "_commit"), getattr(DatabaseWrapper, "_rollback")  # noqa: B009
    local = threading.local()

    def timed_begin(self: Any) -> None:
        begin(self)
        names = [f.name for f in traceback.extract_stack(limit=12)
                 if "/services/" in f.filename or "/audit/" in f.filename]
        local.started, local.name = time.perf_counter(), (names[0] if names else "other")

    def timed_end(original: Any) -> Any:
        def end(self: Any) -> None:
            original(self)
            started = getattr(local, "started", None)
            if started is not None:
                with _held_lock:
                    _held[local.name].append(time.perf_counter() - started)
                local.started = None
        return end

    setattr(DatabaseWrapper, "_start_transaction_under_autocommit", timed_begin)  # noqa: B010
    setattr(DatabaseWrapper, "_commit", timed_end(commit))  # noqa: B010
    setattr(DatabaseWrapper, "_rollback", timed_end(rollback))  # noqa: B010


class Command(BaseCommand):
    help = "SQLite 并发写入测试：多线程登记、转送与读取，统计“database is locked”与写锁持有时间"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--writers", type=int, default=16)
        parser.add_argument("--readers", type=int, default=4)
        parser.add_argument("--seconds", type=float, default=30.0)

    def handle(self, *args: Any, **opts: Any) -> None:
        if not os.environ.get("DATABASE_URL"):
            path = settings.VAR_DIR / "writers.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(f"{path}{suffix}"):
                    os.remove(f"{path}{suffix}")
            settings.DATABASES["default"]["NAME"] = str(path)
            connections.close_all()
        from xinfang.demo.guard import database_kind

        call_command("migrate", verbosity=0)
        if database_kind() != "empty":
            raise CommandError("writers 只在空数据库中运行 (needs an empty database)")
        from xinfang.demo.county import build_county

        county = build_county(full=False, password="pw-writers-1")
        unit = county.dept("住建")
        _instrument()
        result = self._run(county, unit, opts)
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    def _run(self, county: Any, unit: Any, opts: dict[str, Any]) -> dict[str, Any]:
        from django.utils import timezone

        from xinfang.domain import idcard
        from xinfang.petitions import queries, services
        from xinfang.petitions.services import PetitionerIn, Registration

        counts: dict[str, int] = defaultdict(int)
        errors: list[str] = []
        stop = time.monotonic() + opts["seconds"]
        registrar, officer = county.users["registrar"], county.users["officer"]

        def write(i: int) -> None:
            rnd = random.Random(i)
            try:
                while time.monotonic() < stop:
                    n = rnd.randrange(10**9)
                    reg = Registration(
                        channel="visit", title=f"并发登记测试{n}", request="请求处理",
                        content="小区路灯不亮，多次反映无果。", division=county.villages[0],
                        received_at=timezone.now() - timedelta(minutes=1),
                        category=county.categories["CX01"],
                        petitioners=[PetitionerIn(name="测试", phone=f"139{n % 10**8:08d}",
                                                  id_number=idcard.make(f"{330102197001010000 + n % 9999:017d}"[:17]))])
                    for step in ("register", "forward"):
                        counts[f"{step}_tried"] += 1
                        try:
                            if step == "register":
                                m = services.register(reg, holder=county.xinfang, user=registrar)
                            else:
                                services.transition(m, "forward", user=officer,
                                                    data={"to_body": unit.pk})
                            counts[f"{step}_done"] += 1
                        except OperationalError as e:
                            kind = "locked" if "locked" in str(e) else "other"
                            counts[f"{step}_{kind}"] += 1
                            if len(errors) < 5:
                                errors.append("".join(traceback.format_exception(e))[-1500:])
                            break
            finally:
                connection.close()

        def read() -> None:
            try:
                while time.monotonic() < stop:
                    queries.queue_page(registrar, "all", 1)
                    counts["reads"] += 1
            except OperationalError as e:
                counts["read_errors"] += 1
                errors.append(str(e))
            finally:
                connection.close()

        threads = [threading.Thread(target=write, args=(i,)) for i in range(opts["writers"])]
        threads += [threading.Thread(target=read) for _ in range(opts["readers"])]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        writes = sum(v for k, v in counts.items() if k.endswith("_tried"))
        lost = sum(v for k, v in counts.items() if k.endswith(("_locked", "_other")))
        held = {name: {"n": len(v), "p50_ms": round(statistics.median(v) * 1000, 1),
                       "p95_ms": round(sorted(v)[int(len(v) * 0.95)] * 1000, 1),
                       "max_ms": round(max(v) * 1000, 1)}
                for name, v in sorted(_held.items()) if len(v) >= 5}
        for e in errors[:2]:
            sys.stderr.write(e + "\n")
        return {"writers": opts["writers"], "readers": opts["readers"],
                "seconds": opts["seconds"], "writes": writes, "lost": lost,
                "lost_pct": round(100 * lost / writes, 2) if writes else 0.0,
                "counts": dict(counts), "held": held}
