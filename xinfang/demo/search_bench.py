"""`xinfang bench-search`: fill N matters fast, then time the keyword search (issue 19 item 2).

The fill writes matters and their dispatches through the history import's bulk writer
(petitions.history.bulk: rows as tuples, COPY on PostgreSQL, one executemany on SQLite, ids
drawn up front),
so the text index is filled the way the import fills it: by the database, in the same
statement (the SQLite triggers, the PostgreSQL GIN index). The text is the public message
board's (../shared/data, via demo.content.load_messages; the built-in samples when the data
is absent), titles and contents drawn independently so that texts vary; 1 % of the matters are
检举控告 and 1 % ask for confidentiality — sealed, and never found by a word.

The timing is in-process: ``queries.search_hits`` (the 综合查询 page's search: the page's
rows with their related bodies and the capped count), for the 信访局 officer (the whole
county) and the 住建 handler (one unit), each term ``repeat`` times after one warm-up.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from xinfang.core import crypto
from xinfang.demo.county import County
from xinfang.org.models import User
from xinfang.petitions.history import bulk
from xinfang.petitions.models import Dispatch, Matter
from xinfang.petitions.queries import search_hits

from .bench import CHANNELS, _pct
from .content import load_messages

BATCH = 10_000
# From this size on PostgreSQL the GIN index is dropped for the fill and built once after it
# (each row still costs the bigram function once; a build sorts instead of inserting).
REBUILD_AT = 500_000
# The one build's memory, for its transaction only (SET LOCAL). A GIN build gathers keys and
# their row lists in memory and merges them into the index each time this fills (PostgreSQL's
# GIN tips: "build time for a GIN index is very sensitive to maintenance_work_mem"); at 1M
# matters 512 MB meant several merges into an index of ~1.2 GB. 2 GB is a twelfth of the
# benchmark machine's 24 GB, for one process for the build's minutes. No parallel workers:
# PostgreSQL 15 builds only B-tree indexes in parallel.
REBUILD_MEMORY = "2GB"
YEARS = 3
# Common (6 % of the board's messages), two characters (2.4 %), rare (0.2 %), absent, and the
# handler's word (0.7 %): how often each occurs is printed with the figures.
TERMS = ("物业", "电梯", "广场舞", "高空抛物噪音", "停车费")


MATTER_COLS = ("id", "number", "query_code", "channel", "received_at", "registered_at",
               "updated_at", "registered_by_id", "holder_id", "title", "request", "content",
               "division_id", "division_path", "category_id", "klass", "confidential", "state",
               "lead_body_id", "closed_at", "closure_kind", "next_due")
DISPATCH_COLS = ("id", "matter_id", "kind", "from_body_id", "to_body_id", "state",
                 "dispatched_at", "dispatched_by_id")


def fill(c: County, n: int, *, seed: int = 19, log: Callable[[str], None] = print) -> float:
    """Write ``n`` matters (and the dispatch to each one's unit); seconds taken.

    Received in time order over three years (ids follow the dates, as registrations and a
    chronological import give them), 80 % of them closed."""
    r = random.Random(seed)
    msgs = load_messages()
    now = timezone.now()
    leads = [*c.departments.values(), *c.township_govs]
    weights = [6 if b.short_name in ("住建", "人社", "城管") else 2 for b in leads]
    cats = [cc.pk for code, cc in c.categories.items() if len(code) == 4]
    officer, registrar = c.users["officer"].pk, c.users["registrar"].pk
    step = timedelta(days=365 * YEARS) / n
    out = bulk.Out()
    matters, dispatches = bulk.Table(Matter, out), bulk.Table(Dispatch, out)
    add_matter, add_dispatch = matters.filler(MATTER_COLS), dispatches.filler(DISPATCH_COLS)
    started = time.perf_counter()
    rebuild = connection.vendor == "postgresql" and n >= REBUILD_AT
    if rebuild:  # as a first import of a county's history would: the index built once after
        with connection.cursor() as cur:
            cur.execute("DROP INDEX IF EXISTS matter_text_scope")
    for start in range(0, n, BATCH):
        size = min(BATCH, n - start)
        with transaction.atomic():
            ids = bulk.allocate_ids(Matter, size)
            dids = bulk.allocate_ids(Dispatch, size)
            for k, (pk, dpk) in enumerate(zip(ids, dids, strict=True)):
                i = start + k
                a, b = msgs[r.randrange(len(msgs))], msgs[r.randrange(len(msgs))]
                received = now - (n - i) * step
                closed = (now - received).days > 120
                secret = r.random()
                report, confidential = secret < 0.01, 0.01 <= secret < 0.02
                sealed = report or confidential  # Matter.seals_text
                texts = [crypto.seal(t) if sealed else t for t in (a.title, b.title, a.content)]
                village = c.villages[i % len(c.villages)]
                lead = r.choices(leads, weights)[0].pk
                rec = out.dt(received)
                add_matter((
                    pk, f"9901219999{i:07d}", f"S{i:07d}", CHANNELS[i % len(CHANNELS)].value,
                    rec, rec, rec, registrar, c.xinfang.pk, *texts, village.pk, village.path,
                    r.choice(cats), "report" if report else "appeal", confidential,
                    "closed" if closed else "handling", lead,
                    out.dt(received + timedelta(days=80)) if closed else None,
                    "window_lapsed" if closed else "",
                    None if closed else out.d(timezone.localdate(received) + timedelta(days=65))))
                add_dispatch((dpk, pk, "forward", c.xinfang.pk, lead, "accepted",
                              out.dt(received + timedelta(days=2)), officer))
            out.write(dispatches)  # first: the index takes each matter once (load.WRITTEN)
            out.write(matters)
        bulk.analyze_grown([Matter, Dispatch])
        log(f"  {start + size:,}/{n:,}  {(start + size) / (time.perf_counter() - started):,.0f}/s")
    if rebuild:
        log(f"  building matter_text_scope (maintenance_work_mem {REBUILD_MEMORY}) …")
        built = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"SET LOCAL maintenance_work_mem = '{REBUILD_MEMORY}'")
            cur.execute(_migration().PG_INDEX.replace(" CONCURRENTLY", ""))
        log(f"  built in {time.perf_counter() - built:,.0f} s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE petitions_matter")
            cur.execute("VACUUM ANALYZE petitions_dispatch")
    return time.perf_counter() - started


def _migration() -> Any:
    import importlib

    return importlib.import_module("xinfang.petitions.migrations.0022_matter_search_scope")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_probe() -> dict[str, float]:
    """A fixed piece of pure-Python work (2·10⁵ multiplications), timed 9 times: its minimum
    is the machine's speed, its median how much of a core this process got meanwhile (on a
    quiet 2-core machine the two are within a few per cent)."""
    samples = []
    for _ in range(9):
        t = time.perf_counter()
        sum(i * i for i in range(200_000))
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {"min_ms": round(samples[0], 2), "median_ms": round(samples[4], 2)}


def time_search(officer: User, handler: User, *, repeat: int,
                terms: tuple[str, ...] = TERMS) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for term in terms:
        for role, user in (("officer", officer), ("handler", handler)):
            hits = search_hits(user, term, 1)  # warm-up; and what the page says
            samples = []
            for _ in range(repeat):
                t = time.perf_counter()
                search_hits(user, term, 1)
                samples.append((time.perf_counter() - t) * 1000)
            out[f"{term}/{role}"] = {**_pct(samples), "max": round(max(samples), 2),
                                     "count": hits.total_label, "rows": len(hits.rows)}
    return out


def index_size() -> dict[str, Any]:
    """Bytes of the text index and of the matter table (what the index costs on disk)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT pg_relation_size('matter_text_scope'), "
                        "pg_total_relation_size('petitions_matter')")
            idx, table = cur.fetchone()
        else:
            try:
                cur.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'petitions_matter_text%'")
                idx = cur.fetchone()[0]
                cur.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'petitions_matter'")
                table = cur.fetchone()[0]
            except Exception:  # dbstat is a compile-time option
                idx = table = None
    return {"index_mb": _mb(idx), "matter_table_mb": _mb(table)}


def _mb(n: int | None) -> float | None:
    return round(n / 2**20, 1) if n else None

