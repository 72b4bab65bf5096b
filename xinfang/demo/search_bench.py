"""`xinfang bench-search`: fill N matters fast, then time the keyword search (issue 19 item 2).

The fill writes matters and their dispatches through the history import's bulk writer
(petitions.history.bulk: COPY on PostgreSQL, one executemany on SQLite, ids drawn up front),
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

from xinfang.demo.county import County
from xinfang.org.models import User
from xinfang.petitions.history import bulk
from xinfang.petitions.models import Dispatch, Matter
from xinfang.petitions.queries import search_hits

from .bench import CHANNELS, _pct
from .content import load_messages

BATCH = 10_000
YEARS = 3
# Common (6 % of the board's messages), two characters (2.4 %), rare (0.2 %), absent, and the
# handler's word (0.7 %): how often each occurs is printed with the figures.
TERMS = ("物业", "电梯", "广场舞", "高空抛物噪音", "停车费")


def fill(c: County, n: int, *, seed: int = 19, log: Callable[[str], None] = print) -> float:
    """Write ``n`` matters (and a dispatch for each one sent to a unit); seconds taken."""
    r = random.Random(seed)
    msgs = load_messages()
    now = timezone.now()
    leads = [*c.departments.values(), *c.township_govs]
    weights = [6 if b.short_name in ("住建", "人社", "城管") else 2 for b in leads]
    cats = [cc for code, cc in c.categories.items() if len(code) == 4]
    officer, registrar = c.users["officer"], c.users["registrar"]
    started = time.perf_counter()
    for start in range(0, n, BATCH):
        size = min(BATCH, n - start)
        matters: list[Matter] = []
        for i in range(start, start + size):
            a, b = msgs[r.randrange(len(msgs))], msgs[r.randrange(len(msgs))]
            age = int(r.triangular(0, 365 * YEARS, 0))
            received = now - timedelta(days=age, seconds=r.randrange(0, 36_000))
            village = c.villages[i % len(c.villages)]
            closed = age > 120
            secret = r.random()
            matters.append(Matter(
                number=f"9901219999{i:07d}", query_code=f"S{i:07d}",
                channel=CHANNELS[i % len(CHANNELS)], received_at=received, registered_at=received,
                updated_at=received, registered_by=registrar, holder=c.xinfang,
                title=a.title, request=b.title, content=a.content,
                division=village, division_path=village.path, category=r.choice(cats),
                klass="report" if secret < 0.01 else "appeal", confidential=0.01 <= secret < 0.02,
                state="closed" if closed else "handling",
                lead_body=r.choices(leads, weights)[0],
                closed_at=received + timedelta(days=80) if closed else None,
                closure_kind="window_lapsed" if closed else "",
                next_due=None if closed else timezone.localdate(received) + timedelta(days=65)))
        with transaction.atomic():
            for m, pk in zip(matters, bulk.allocate_ids(Matter, len(matters)), strict=True):
                m.pk = pk
            bulk.insert(matters)
            disps = [Dispatch(matter=m, kind="forward", from_body=c.xinfang, to_body=m.lead_body,
                              state="accepted", dispatched_at=m.received_at + timedelta(days=2),
                              dispatched_by=officer) for m in matters]
            for d, pk in zip(disps, bulk.allocate_ids(Dispatch, len(disps)), strict=True):
                d.pk = pk
            bulk.insert(disps)
        log(f"  {start + size:,}/{n:,}  {(start + size) / (time.perf_counter() - started):,.0f}/s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE petitions_matter")
            cur.execute("VACUUM ANALYZE petitions_dispatch")
    return time.perf_counter() - started


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


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
            cur.execute("SELECT pg_relation_size('matter_text_grams'), "
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

