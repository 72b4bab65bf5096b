"""`xinfang bench-aggregates --rows N [--repeat 30] [--reset]`: the dashboard and the indicator
pages at N matters, read from the indicator counters (issue 17 "Speed", issue 19 item 3).

Fills the database named by DATABASE_URL (PostgreSQL: COPY; SQLite: multi-row inserts) up to N
matters of the demo county's shape — three years of intake, the open share and the states of a
real desk, the deadlines, replies, ratings, repeats, group visits and withdrawals the figures
count — without the services (the bench's own fast path); runs ``rebuild-aggregates`` over
them (timed: that is what a county moving to the platform waits for once); then times, p50 and
p95 over ``--repeat`` rounds after one warm-up:

- ``dashboard``: the dashboard's data in process (``practice.dashboard.data``, the county
  leader's scope: volume charts, rates, overdue bars, every figure of twelve months);
- ``indicators_month``: every figure of last month in process (the indicator page's query work);
- ``ranking``: the unit ranking of last month with its rank change;
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
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

S_OPEN = ("registered", "dispatched", "signed", "handling", "replied", "review_requested")


class Command(BaseCommand):
    help = "指标计数基准：装载 N 件事项，重建计数，测量仪表盘和考核指标页（p50/p95）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, required=True, help="事项总数（不足则补足）")
        parser.add_argument("--repeat", type=int, default=30)
        parser.add_argument("--reset", action="store_true", help="先清空基准库")
        parser.add_argument("--no-rebuild", action="store_true", help="不重建计数（已建好时）")
        parser.add_argument("--verify", action="store_true", help="重建后再核对一遍（慢）")

    def handle(self, *args: Any, **o: Any) -> None:
        from xinfang.demo.county import DEMO_PASSWORD, build_county
        from xinfang.demo.guard import NOT_DEMO, claim, database_kind
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
        if o["reset"]:
            call_command("flush", interactive=False, verbosity=0)
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
        if added or not o["no_rebuild"]:
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


def _shape(age: int, r: random.Random) -> tuple[str, int | None]:
    """(state, days from receipt to reply) of a matter received ``age`` days ago."""
    if age < 5:
        return r.choice(["registered", "dispatched"]), None
    if age < 20:
        return r.choices(["dispatched", "signed", "handling"], [3, 2, 10])[0], None
    if age < 70:
        if r.random() < 0.3:
            return "replied", r.randint(20, min(age, 60))
        return "handling", None
    if r.random() < 0.03:
        return "handling", None  # overdue: not answered in 60 days
    if r.random() < 0.04:
        return "review_requested", r.randint(25, 70)
    return "closed", r.randint(20, 75)


def fill(n: int, log: Any) -> int:
    """Top the database up to ``n`` matters (with their D1/D3/D6 deadlines, ratings and the
    events the dashboard counts), returning how many were added."""
    from xinfang.demo.county import County  # noqa: F401 (the county exists: built above)
    from xinfang.org.models import Body, Category, Division, User
    from xinfang.petitions.models import Clock, Evaluation, Event, Matter

    have = Matter.objects.count()
    if have >= n:
        return 0
    county = Division.objects.filter(level=3).order_by("code").first()
    assert county is not None
    villages = list(Division.objects.filter(level=5, path__startswith=county.path + "/")
                    .values_list("code", "path"))
    xinfang = Body.objects.get(kind=Body.Kind.XINFANG, division=county)
    leads = list(Body.objects.filter(division__path__startswith=county.path, active=True)
                 .exclude(kind__in=[Body.Kind.XINFANG, Body.Kind.PARTY_GOV])
                 .values_list("pk", flat=True))
    registrar = User.objects.filter(body=xinfang).order_by("pk").first()
    if registrar is None:
        raise CommandError("基准库的信访局没有工作人员")
    cats = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    channels = ["online"] * 34 + ["visit"] * 20 + ["letter"] * 15 + ["phone"] * 15 + \
        ["qr"] * 8 + ["superior"] * 6 + ["fax"] * 2
    r = random.Random(have + 7)
    now = timezone.now()
    today = timezone.localdate()
    start_id = (Matter.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    clock_id = (Clock.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    ev_id = (Evaluation.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    event_id = (Event.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    batch = 20000
    added = 0
    t0 = time.perf_counter()
    first_of_person: dict[int, int] = {}
    while have + added < n:
        size = min(batch, n - have - added)
        matters, clocks_, evals, events = [], [], [], []
        for j in range(size):
            pk = start_id + added + j
            age = int(r.triangular(0, 365 * 3, 0))
            received = now - timedelta(days=age, hours=r.randrange(0, 9))
            recv = timezone.localdate(received)
            state, reply_after = _shape(age, r)
            channel = channels[pk % len(channels)]
            code, path = villages[pk % len(villages)]
            lead = leads[r.randrange(len(leads))] if state != "registered" else None
            person = r.randrange(max(1000, n // 8))
            repeat_of = first_of_person.get(person)
            first_of_person.setdefault(person, pk)
            headcount = r.choice([1] * 30 + [2, 3, 5, 6, 8, 12]) if channel == "visit" else 1
            replied = recv + timedelta(days=reply_after) if reply_after else None
            replied = replied if replied and replied <= today else None
            if state in ("replied", "closed", "review_requested") and replied is None:
                state = "handling"
            withdrawn = state == "closed" and r.random() < 0.02
            closed_at = (datetime.combine(replied + timedelta(days=30), datetime.min.time(),
                                          received.tzinfo) if state == "closed" and replied
                         else None)
            if closed_at and closed_at > now:
                state, closed_at, withdrawn = "replied", None, False
            d1_met = None if state == "registered" else recv + timedelta(days=r.choice(
                [1, 2, 3, 5, 8, 12, 16]))
            d1_met = d1_met if d1_met is None or d1_met <= today else today
            d6_start = (d1_met or recv) + timedelta(days=3)
            d6_due = d6_start + timedelta(days=60)
            open_ = state in S_OPEN
            next_due = None
            if state == "registered":
                next_due = recv + timedelta(days=15)
            elif state in ("dispatched", "signed"):
                next_due = recv + timedelta(days=18)
            elif state == "handling":
                next_due = d6_due
            elif state == "review_requested":
                next_due = (replied or recv) + timedelta(days=60)
            matters.append((
                pk, f"B{pk:012d}", f"Q{pk:010d}", channel, received, received, registrar.pk,
                xinfang.pk, code, path, cats[pk % len(cats)],
                r.choices(["appeal", "suggestion"], [90, 10])[0],
                headcount >= 5, headcount, "repeat" if repeat_of else "first", repeat_of,
                channel == "visit" and r.random() < 0.05, state,
                "withdrawn" if withdrawn else ("answered" if state == "closed" else ""),
                lead, replied, closed_at, next_due,
                xinfang.pk if state == "review_requested" else None))
            clocks_.append((clock_id, pk, "D1", recv, recv + timedelta(days=15), d1_met,
                            xinfang.pk))
            clock_id += 1
            if lead is not None:
                clocks_.append((clock_id, pk, "D3", d1_met or recv, (d1_met or recv)
                                + timedelta(days=15), None if state in ("dispatched", "signed")
                                else d6_start, lead))
                clock_id += 1
                if state not in ("dispatched", "signed"):
                    met = replied if replied else (None if open_ else min(d6_due, today))
                    clocks_.append((clock_id, pk, "D6", d6_start, d6_due, met, lead))
                    clock_id += 1
            if replied and r.random() < 0.55:
                evals.append((ev_id, pk, 0, r.choices(["satisfied", "basic", "unsatisfied"],
                                                      [70, 20, 10])[0],
                              received + timedelta(days=(replied - recv).days + 3)))
                ev_id += 1
            if state == "closed" and r.random() < 0.01:
                events.append((event_id, pk, "record_settlement", closed_at or received))
                event_id += 1
        _write(matters, clocks_, evals, events)
        added += size
        log(f"  {have + added}/{n} matters ({added / (time.perf_counter() - t0):,.0f}/s)")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return added


M_COLS = ("id", "number", "query_code", "channel", "received_at", "registered_at",
          "registered_by_id", "holder_id", "division_id", "division_path", "category_id",
          "klass", "is_collective", "headcount", "repeat_kind", "repeat_of_id", "level_skip",
          "state", "closure_kind", "lead_body_id", "replied_on", "closed_at", "next_due",
          "review_body_id")
C_COLS = ("id", "matter_id", "code", "started_on", "due_on", "met_on", "body_id",
          "unextended_on", "name")
E_COLS = ("id", "matter_id", "round", "rating", "at")
V_COLS = ("id", "matter_id", "action", "at")


def _defaults(model: Any, given: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The other columns with the values a new row gets (Django defaults are not database
    defaults): JSON as text, everything else as is."""
    cols, vals = [], []
    for f in model._meta.concrete_fields:
        if f.column in given or getattr(f, "generated", False):
            continue
        if f.has_default():
            v = f.get_default()
            v = json.dumps(v) if isinstance(v, dict | list) else v
        elif f.null:
            v = None
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            v = timezone.now()
        elif f.get_internal_type() in ("CharField", "TextField"):
            v = ""
        else:
            raise CommandError(f"{model.__name__}.{f.name}: no value for the bench")
        cols.append(f.column)
        vals.append(v)
    return tuple(cols), tuple(vals)


def _copy(model: Any, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    extra_cols, extra = _defaults(model, cols)
    names = (*cols, *extra_cols)
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            raw = cur.cursor  # psycopg's own cursor: COPY
            with raw.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row((*row, *extra))
        return
    marks = ", ".join(["%s"] * len(names))
    with connection.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                        [(*row, *extra) for row in rows])


def _write(matters: list[tuple[Any, ...]], clocks_: list[tuple[Any, ...]],
           evals: list[tuple[Any, ...]], events: list[tuple[Any, ...]]) -> None:
    from xinfang.petitions.models import Clock, Evaluation, Event, Matter

    with transaction.atomic():
        _copy(Matter, M_COLS, matters)
        _copy(Clock, C_COLS, [(*c, c[4], c[2]) for c in clocks_])
        _copy(Evaluation, E_COLS, evals)
        _copy(Event, V_COLS, events)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for model in (Matter, Clock, Evaluation, Event):
                t = model._meta.db_table
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                            f"(SELECT MAX(id) FROM {t}))")


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
    from xinfang.demo.county import logged_in_client
    from xinfang.org.models import User
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
    return out
