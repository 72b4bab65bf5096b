"""`xinfang bench-intake`: registrations per second at 1, 4 and 16 concurrent writers.

Issue 19 item 1. Each writer is a process of its own (threads would measure the GIL, not the
database), forked after the county and N matters are loaded. A writer registers through the
real ``services.register`` — one registration per transaction, everything it does
synchronously: validation, the same-person and same-matter lookup, routing, clocks, receipt,
event, audit, the notification rows — until the time is up. Then the work each registration
left for later (the SMS of its receipt, queued as a task; the text index the process catches
up on) is drained by the job worker, and the rate is given both ways: registrations over
the writers' time, and over that time plus the drain. The writers' warm-up registrations
are drained before the timed run starts, so a run's drain is that run's deliveries only.

``profile_registrations`` answers "where does the time go": every SQL statement of one
registration with its share, and a cProfile of many grouped by layer (the ORM, the database
driver, the text index, notifications, audit, crypto, the service code itself);
``profile_drain`` the worker's side: time and SQL statements per delivery.
"""

from __future__ import annotations

import cProfile
import logging
import multiprocessing as mp
import os
import pstats
import random
import re
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections
from django.utils import timezone

from xinfang.demo.county import County
from xinfang.domain import idcard
from xinfang.domain.states import Role
from xinfang.org.models import Body, Division, User
from xinfang.petitions import services
from xinfang.petitions.models import Channel

from .content import load_messages

REPEAT_SHARE = 0.25  # about a quarter of petitions come from someone who wrote before


def registrations(c: County, seed: int,
                  villages: list[Division] | None = None) -> Iterator[services.Registration]:
    """Endless realistic registrations: board messages as text, a new petitioner mostly, an
    earlier one (same ID number) about a quarter of the time — so the repeat check scores."""
    villages = villages or c.villages
    r = random.Random(seed)
    msgs = load_messages()[:400]
    seen: list[str] = []
    n = 0
    while True:
        m = msgs[r.randrange(len(msgs))]
        if seen and r.random() < REPEAT_SHARE:
            idn = r.choice(seen)
        else:
            idn = idcard.make(f"990121{r.randint(1950, 2005)}{r.randint(1, 12):02d}"
                              f"{r.randint(1, 28):02d}{r.randrange(1000):03d}")
            seen.append(idn)
        n += 1
        yield services.Registration(
            channel=r.choice([Channel.VISIT, Channel.LETTER, Channel.PHONE]),
            title=m.title, request=m.title, content=m.content,
            division=villages[n % len(villages)], received_at=timezone.now(),
            category=c.categories.get(m.category),
            petitioners=[services.PetitionerIn(name="王某", id_number=idn,
                                               phone=f"139{r.randrange(10**8):08d}")],
        )


@dataclass(frozen=True)
class Desk:
    """Where a writer registers: a 信访局, its registrar, and the villages of its county."""

    user: User
    holder: Body
    villages: list[Division]


def desks(c: County, counties: int) -> list[Desk]:
    """The county's own desk, and ``counties - 1`` sibling counties of the same city, each
    with its 信访局 and registrar: a province's intake spread over its counties.

    One county's registrations take their turn by design: the 信访件编号 is a gapless
    sequence per county and year (``records.matter_number``), a row each registration
    updates and holds to its commit, as it does its body's document numbers and the day's
    counters. Writers at one desk therefore measure that one sequence's ceiling; writers
    spread over counties measure the machine."""
    out = [Desk(c.users["registrar"], c.xinfang, c.villages)]
    for k in range(1, counties):
        code = f"9901{21 + k:02d}"
        county = Division.objects.create(code=f"{code}000000", name=f"基准{k}县", level=3,
                                         parent=c.city)
        town = Division.objects.create(code=f"{code}001000", name=f"基准{k}县城关镇",
                                       level=4, parent=county)
        villages = [Division.objects.create(code=f"{code}001{i:03d}", name=f"基准{k}县{i}村",
                                            level=5, parent=town) for i in range(1, 4)]
        xf = Body.objects.create(name=f"基准{k}县信访局", short_name=f"基准{k}县信访局",
                                 kind=Body.Kind.XINFANG, division=county, parent=c.city_xinfang,
                                 doc_prefix=f"基{k}信")
        user = User(username=f"bench-dengji-{k}", display_name=f"登记员{k}",
                    role=Role.REGISTRAR.value, body=xf)
        user.set_unusable_password()
        user.save()
        out.append(Desk(user, xf, villages))
    return out


def _writer(c: County, desk: Desk, seed: int, seconds: float, barrier: Any, out: Any) -> None:
    connections.close_all()  # the parent's connection is not ours to share
    gen = registrations(c, seed, desk.villages)
    user, holder = desk.user, desk.holder
    for _ in range(3):  # warm: the text index is built on first use in each process
        services.register(next(gen), holder=holder, user=user)
    connections.close_all()
    barrier.wait()  # warm; the parent drains the warm-up's deliveries
    barrier.wait()  # go
    done, errors = 0, Counter[str]()
    first_error = ""
    end = time.perf_counter() + seconds
    t0 = time.perf_counter()
    while time.perf_counter() < end:
        try:
            services.register(next(gen), holder=holder, user=user)
            done += 1
        except Exception as e:  # counted and reported, never hidden
            errors[type(e).__name__] += 1
            first_error = first_error or traceback.format_exc(limit=3)
    out.put({"done": done, "errors": dict(errors), "first_error": first_error,
             "seconds": time.perf_counter() - t0})
    connections.close_all()


def drain_queue() -> tuple[int, float]:
    """Run the job worker until the task queue is empty: (deliveries queued, seconds)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    before = DBTaskResult.objects.filter(status="READY").count()
    t = time.perf_counter()
    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default",
           startup_delay=False, max_tasks=None, worker_id="bench-intake",
           excluded_queue_names=[]).run()
    return before, time.perf_counter() - t


def profile_drain() -> dict[str, Any]:
    """The worker's side of the queue left by ``profile_registrations``: per delivery, the
    time, the SQL statements (claims, the task's own, the results) and their time."""
    count, sql_s = 0, 0.0

    def timed_sql(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count, sql_s
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            count += 1
            sql_s += time.perf_counter() - t0

    with connection.execute_wrapper(timed_sql):
        n, seconds = drain_queue()
    n = max(n, 1)
    return {"deliveries": n, "ms_per_delivery": round(seconds * 1000 / n, 2),
            "statements_per_delivery": round(count / n, 2),
            "sql_ms_per_delivery": round(sql_s * 1000 / n, 2)}


def quiet_logs() -> None:
    """The log SMS adapter writes a line per message: not what a bench should print."""
    for name in ("xinfang.sms", "xinfang.notify", "django_tasks", "django_tasks_db"):
        logging.getLogger(name).setLevel(logging.WARNING)


def concurrent_intake(c: County, writers: int, seconds: float, *, seed: int = 1,
                      at: list[Desk] | None = None) -> dict[str, Any]:
    """``writers`` processes registering for ``seconds``, writer i at desk i mod len(at)
    (default: the county's own); then the queue drained."""
    at = at or desks(c, 1)
    ctx = mp.get_context("fork")
    connections.close_all()
    barrier = ctx.Barrier(writers + 1)
    out = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(c, at[i % len(at)], seed * 1000 + i, seconds,
                                               barrier, out))
             for i in range(writers)]
    for p in procs:
        p.start()
    barrier.wait()
    drain_queue()  # the warm-up's deliveries: not this run's
    connections.close_all()
    barrier.wait()
    t0 = time.perf_counter()
    results = [out.get() for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    done = sum(r["done"] for r in results)
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
    tasks, drain_s = drain_queue()
    return {
        "writers": writers, "desks": min(writers, len(at)), "registrations": done, "seconds": round(wall, 2),
        "per_s": round(done / wall, 1),
        "drain_tasks": tasks, "drain_s": round(drain_s, 2),
        "drain_ms_per_delivery": round(drain_s * 1000 / tasks, 2) if tasks else None,
        "per_s_drained": round(done / (wall + drain_s), 1),
        "errors": dict(errors), "first_error": next((r["first_error"] for r in results
                                                    if r["first_error"]), ""),
    }


LAYERS: list[tuple[str, str]] = [
    ("driver", r"site-packages/(psycopg|psycopg_pool)/|sqlite3|<method '(execute|commit|fetch)"),
    ("crypto", r"site-packages/cryptography/|hmac|hashlib|xinfang/core/crypto"),
    ("text index", r"xinfang/nlp/|xinfang/petitions/intel/|numpy|jieba"),
    ("notify", r"xinfang/notify/"),
    ("audit", r"xinfang/audit/"),
    ("ORM", r"site-packages/django/db/"),
    ("Django other", r"site-packages/django/"),
    ("services", r"xinfang/"),
]


def _layer(filename: str, func: str) -> str:
    where = f"{filename} {func}"
    for name, pattern in LAYERS:
        if re.search(pattern, where):
            return name
    return "other"


def profile_registrations(c: County, n: int) -> dict[str, Any]:
    """One registration's statements, and a cProfile of ``n`` grouped by layer (self time)."""
    gen = registrations(c, 99)
    user, holder = c.users["registrar"], c.xinfang
    for _ in range(20):
        services.register(next(gen), holder=holder, user=user)
    # Each statement of one registration, timed at the driver (Django's own query log keeps
    # SQLite's times to the millisecond only).
    statements: list[dict[str, Any]] = []

    def timed_sql(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append({"sql": re.sub(r"\s+", " ", sql)[:90],
                               "ms": round((time.perf_counter() - t0) * 1000, 3)})

    with connection.execute_wrapper(timed_sql):
        services.register(next(gen), holder=holder, user=user)
    t, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        services.register(next(gen), holder=holder, user=user)
    plain_ms = (time.perf_counter() - t) * 1000 / n
    # This process's CPU alone (not the database server's): steadier than wall time when
    # the machine is shared, and what the Python side of a registration costs.
    cpu_ms = (time.process_time() - cpu) * 1000 / n
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        services.register(next(gen), holder=holder, user=user)
    prof.disable()
    if os.environ.get("XINFANG_PROFILE_OUT"):  # the raw profile, for snakeviz or pstats
        prof.dump_stats(os.environ["XINFANG_PROFILE_OUT"])
    stats = pstats.Stats(prof)
    by_layer: dict[str, float] = defaultdict(float)
    total = 0.0
    raw: dict[Any, Any] = getattr(stats, "stats", {})  # pstats' own table (not in the stubs)
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        by_layer[_layer(filename, func)] += tottime
        total += tottime
    return {
        "statements": statements, "statement_count": len(statements),
        "ms_per_registration": round(plain_ms, 2),
        "cpu_ms_per_registration": round(cpu_ms, 2),
        "share_by_layer": {k: round(v / total, 3) for k, v in
                           sorted(by_layer.items(), key=lambda kv: -kv[1])},
    }


def machine_state() -> dict[str, Any]:
    """The machine while we measure, probed exactly as the peer's harness does (fsync of a
    4 KiB write in /tmp, a fixed pure-Python loop): compare these before the figures."""
    path = f"/tmp/.xinfang-calib-{os.getpid()}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        t = time.perf_counter()
        for _ in range(100):
            os.write(fd, b"x" * 4096)
            os.fsync(fd)
        fsync_ms = (time.perf_counter() - t) * 10
    finally:
        os.close(fd)
        os.unlink(path)
    t = time.perf_counter()
    acc = 0
    for i in range(2_000_000):
        acc += i % 7
    cpu_ms = (time.perf_counter() - t) * 1000
    return {"loadavg_1m": round(os.getloadavg()[0], 2), "calib_cpu_ms": round(cpu_ms, 1),
            "calib_fsync_ms": round(fsync_ms, 3), "cpus": os.cpu_count()}
