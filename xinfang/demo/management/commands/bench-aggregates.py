"""`xinfang bench-aggregates --rows N [--repeat 30] [--reset] [--rebuild]`: the dashboard and the
indicator pages at N matters, read from the indicator counters (issue 17 "Speed", issue 19
item 3).

Fills the database named by DATABASE_URL up to N matters through the history import
(``xinfang import`` on a generated file in the 国家信访信息系统 export format, as
``bench-import`` does: the 1M benchmarks load their data through it, issue 19 item 4), which
writes each matter in its historic state with its clocks, events, dispatch and rating and
keeps the counters in the same transaction; then ``VACUUM ANALYZE`` as autovacuum would.
``--rebuild`` also runs ``rebuild-aggregates`` (timed; it rewrites the counters in key order)
and ``--verify`` checks them. Then it times, p50 and p95 over ``--repeat`` rounds after one
warm-up:

- ``dashboard``: the dashboard's data in process (``practice.dashboard.data``, the county
  leader's scope: volume charts, rates, overdue bars, every figure of twelve months);
- ``indicators_month``: every figure of last month in process (the indicator page's query work);
- ``ranking``: the unit ranking of last month with its rank change;
- ``statistics``: matters per state and per holder the leader may see (``bench``'s statistics,
  the peer's), from the census counters (``petitions.census``), and ``/api/v1/statistics``;
- ``*_http``: the same through Django's test client (middleware, session, template or JSON):
  ``/dashboard/data/``, ``/indicators/?period=…``, ``/api/v1/indicators?period=…``.

Run it again with a larger N to top the same database up (20k, then 100k, then 1M). One JSON
line on stdout; progress on stderr. The machine's load average is printed beside the figures.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone


class Command(BaseCommand):
    help = "指标计数基准：经历史数据导入装载 N 件事项，测量仪表盘和考核指标页（p50/p95）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, required=True, help="事项总数（不足则补足）")
        parser.add_argument("--repeat", type=int, default=30)
        parser.add_argument("--reset", action="store_true", help="先清空基准库")
        parser.add_argument("--rebuild", action="store_true",
                            help="导入后再重建计数（按键顺序重写，计时）")
        parser.add_argument("--verify", action="store_true", help="重建后再核对一遍（慢）")

    def handle(self, *args: Any, **o: Any) -> None:
        from xinfang.demo.county import DEMO_PASSWORD, build_county
        from xinfang.demo.guard import NOT_DEMO, claim, database_kind, flush_demo
        from xinfang.demo.models import DemoMarker
        from xinfang.demo.seed import county_exists

        demo_db = Path(settings.VAR_DIR) / "xinfang.sqlite3"
        if str(settings.DATABASES["default"].get("NAME")) == str(demo_db):
            raise CommandError("基准测试不能使用演示数据库 var/xinfang.sqlite3")
        call_command("migrate", interactive=False, verbosity=0)
        kind = database_kind()
        if kind == "other":
            raise CommandError(NOT_DEMO)
        ours = DemoMarker.objects.filter(note="bench-aggregates").exists()
        if kind == "demo" and not ours and not o["reset"]:
            raise CommandError("这是演示库；基准请用单独的数据库（或加 --reset 清空）")
        if o["reset"] and kind == "demo":
            flush_demo()
        if not county_exists():
            claim("bench-aggregates")
            hashed = make_password(DEMO_PASSWORD)
            with mock.patch("django.contrib.auth.base_user.make_password",
                            lambda *a, **k: hashed):
                build_county(full=True)
        out: dict[str, Any] = {"bench": "aggregates", "db": connection.vendor}
        t = time.perf_counter()
        added = fill(o["rows"], self._log)
        out["filled"] = {"added": added, "seconds": round(time.perf_counter() - t, 1)}
        if o["rebuild"]:
            t = time.perf_counter()
            buf = io.StringIO()
            call_command("rebuild-aggregates", stdout=buf, stderr=sys.stderr)
            out["rebuild"] = {**json.loads(buf.getvalue().strip().splitlines()[-1]),
                              "seconds": round(time.perf_counter() - t, 1)}
            self._log(f"rebuild: {out['rebuild']}")
        if o["verify"]:
            buf = io.StringIO()
            with contextlib.suppress(SystemExit):  # exit status 1: differences, reported
                call_command("rebuild-aggregates", "--verify", stdout=buf)
            out["verify"] = json.loads(buf.getvalue().strip().splitlines()[-1])
        out.update(time_reads(o["repeat"], self._log))
        out["load_average"] = [round(x, 2) for x in os.getloadavg()]
        out["at"] = datetime.now().astimezone().isoformat(timespec="seconds")
        self.stdout.write(json.dumps(out, ensure_ascii=False))

    def _log(self, msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------- the fill


def fill(n: int, log: Any) -> int:
    """Top the database up to ``n`` matters through the history import (``xinfang import`` on
    the benchmark's history file, ``demo.history_sample``: five years of the demo county, 40 %
    still open); the number added.

    The file always holds rows 1 … n, drawn from one seed: the rows of an earlier, smaller
    run are the same rows, and the import skips the numbers already in (its re-run rule), so
    a top-up on the same day adds only the rest. The import keeps the indicator counters in
    each batch's transaction, as it does for a county moving over."""
    from xinfang.demo.history_sample import write_sample
    from xinfang.petitions.models import Matter

    have = Matter.objects.count()
    if have >= n:
        return 0
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR) as tmp:
        t = time.perf_counter()
        path = write_sample(Path(tmp) / "history.csv", n)
        log(f"  history file of {n:,} rows in {time.perf_counter() - t:.0f} s")
        buf = io.StringIO()
        call_command("import", str(path), batch=5000, stdout=buf, stderr=sys.stderr)
    report = json.loads(buf.getvalue().strip().splitlines()[-1])
    log(f"  import: {report}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:  # what autovacuum does after a load (visibility map)
            cur.execute("VACUUM ANALYZE")
    return int(report["written"])


# ------------------------------------------------------------------------------ the reads


def _pct(xs: list[float]) -> dict[str, float]:
    s = sorted(xs)
    return {"p50": round(s[len(s) // 2], 1), "p95": round(s[min(len(s) - 1, int(len(s) * 0.95))], 1)}


def _timed(fn: Any, repeat: int) -> dict[str, Any]:
    from django.test.utils import CaptureQueriesContext

    fn()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - t))
    return {**_pct(times), "queries": len(ctx.captured_queries)}


def time_reads(repeat: int, log: Any) -> dict[str, Any]:
    from xinfang.demo.bench import _statistics as bench_statistics
    from xinfang.demo.county import logged_in_client
    from xinfang.org.models import User
    from xinfang.petitions import census
    from xinfang.petitions.models import Matter, Tally
    from xinfang.practice import dashboard, rankings
    from xinfang.practice import indicator_scope as S
    from xinfang.practice import indicators as I

    leader = User.objects.select_related("body__division").get(username="lingdao")
    assert leader.body is not None
    county = leader.body.division
    last = (timezone.localdate().replace(day=1) - timedelta(days=1))
    period_key = f"{last:%Y-%m}"
    period = S.parse_period(period_key)
    scope = I.Scope.for_user(leader)
    client = logged_in_client(leader)

    def get(url: str) -> Any:
        def fn() -> None:
            resp = client.get(url)
            if resp.status_code != 200:
                raise CommandError(f"GET {url}: {resp.status_code}")
        return fn

    out: dict[str, Any] = {"matters": Matter.objects.count(), "counters": Tally.objects.count(),
                           "period": period_key, "repeat": repeat, "ms": {}}
    for name, fn in (
            ("dashboard", lambda: dashboard.data(leader)),
            ("indicators_month", lambda: I.figures(scope, period)),
            ("ranking", lambda: rankings.unit_ranking(I.Scope.for_division(county), period)),
            # The "statistics" (matters per state and per holder; the peer's too).
            ("statistics", lambda: bench_statistics(leader)),
            ("statistics_api_http", get("/api/v1/statistics")),
            ("dashboard_http", get("/dashboard/data/")),
            ("dashboard_page_http", get("/dashboard/")),
            ("indicators_http", get(f"/indicators/?period={period_key}")),
            ("indicators_api_http", get(f"/api/v1/indicators?period={period_key}"))):
        out["ms"][name] = _timed(fn, repeat)
        log(f"{name}: {out['ms'][name]}")
    # What a figure costs without the counters, for comparison (one round: it scans).
    t = time.perf_counter()
    for code in I.REGISTRY:
        I.figure_from_rows(code, scope, period)
    out["ms"]["indicators_month_from_rows_once"] = round(1000 * (time.perf_counter() - t), 1)
    t = time.perf_counter()
    census.from_rows(leader)  # the statistics counted over the matters the leader may see
    out["ms"]["statistics_from_rows_once"] = round(1000 * (time.perf_counter() - t), 1)
    return out
