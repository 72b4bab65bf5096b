"""What partitioning the large tables by year would buy, measured (`xinfang bench-partition`).

Two copies of a table shaped like ``petitions_event`` (and ``audit_auditlog``: an id, a
matter, a time, an action, a JSON payload) are loaded with N rows over five years — each
matter's rows within two months of its registration, as on the real timeline — one a plain
table with the application's indexes, one ``PARTITION BY RANGE (at)`` with a partition per
year and the same indexes on each. Then the same operations are timed on both:

- ``timeline``: one matter's rows in order (the matter page; no time bound, so the
  partitioned table probes every partition's index);
- ``year_report``: rows of one year counted by action (a report; pruned to one partition);
- ``month_report``: rows of one month counted by action;
- ``recent``: the 50 newest rows (a feed);
- ``insert``: single-row inserts (each act writes one);
- ``drop_year``: removing the oldest year (``DELETE`` against ``DETACH`` + ``DROP``).

Runs in a scratch schema of the given PostgreSQL database and drops it afterwards.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import psycopg

SCHEMA = "xinfang_partbench"
YEARS = (2022, 2023, 2024, 2025, 2026)

COLUMNS = """id bigint NOT NULL, matter_id bigint NOT NULL, at timestamptz NOT NULL,
    action varchar(40) NOT NULL, label varchar(64) NOT NULL, data jsonb NOT NULL"""

LOAD = """INSERT INTO {t} (id, matter_id, at, action, label, data)
SELECT g, (g - 1) / 5 + 1,
       timestamptz '2022-01-01 00:00+08'
         + ((g - 1) / 5) * (interval '5 years' / %(matters)s)
         + ((g - 1) %% 5) * interval '12 days' + (g %% 86400) * interval '1 second',
       (ARRAY['register','accept','assign','reply','evaluate'])[(g - 1) %% 5 + 1],
       '办理环节', jsonb_build_object('note', md5(g::text))
FROM generate_series(1, %(rows)s) g"""


def _timed(cur: psycopg.Cursor[Any], sql: str, params: Any, n: int) -> dict[str, float]:
    times = []
    for i in range(n):
        p = params(i) if callable(params) else params
        t0 = time.perf_counter()
        cur.execute(sql, p)
        if cur.description:
            cur.fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 3),
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 3)}


def run(url: str, rows: int = 1_000_000, repeat: int = 200,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    matters = rows // 5
    out: dict[str, Any] = {"rows": rows, "matters": matters}
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cur.execute(f"CREATE SCHEMA {SCHEMA}")
        cur.execute(f"SET search_path = {SCHEMA}")
        cur.execute(f"CREATE TABLE plain ({COLUMNS}, PRIMARY KEY (id))")
        cur.execute(f"CREATE TABLE part ({COLUMNS}, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)")
        for y in YEARS:
            cur.execute(f"CREATE TABLE part_{y} PARTITION OF part FOR VALUES FROM "
                        f"('{y}-01-01 00:00+08') TO ('{y + 1}-01-01 00:00+08')")
        cur.execute("CREATE TABLE part_later PARTITION OF part FOR VALUES FROM "
                    "('2027-01-01 00:00+08') TO (MAXVALUE)")
        for t in ("plain", "part"):
            t0 = time.perf_counter()
            cur.execute(LOAD.format(t=t), {"rows": rows, "matters": matters})
            cur.execute(f"CREATE INDEX {t}_matter_at ON {t} (matter_id, at)")
            cur.execute(f"CREATE INDEX {t}_at ON {t} (at)")
            cur.execute(f"CREATE INDEX {t}_action ON {t} (action)")
            cur.execute(f"VACUUM ANALYZE {t}")
            out.setdefault("load_s", {})[t] = round(time.perf_counter() - t0, 1)
            log(f"loaded {t}: {out['load_s'][t]} s")
        cur.execute("SELECT pg_total_relation_size('plain'), "
                    "(SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i "
                    " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'part'::regclass)")
        a, b = cur.fetchone() or (0, 0)
        out["size_mb"] = {"plain": round(a / 2**20, 1), "part": round(float(b) / 2**20, 1)}
        rnd = random.Random(15)
        queries: dict[str, tuple[str, Any]] = {
            "timeline": ("SELECT * FROM {t} WHERE matter_id = %s ORDER BY at",
                         lambda i: (rnd.randrange(1, matters + 1),)),
            "year_report": ("SELECT action, count(*) FROM {t} WHERE at >= '2025-01-01 00:00+08' "
                            "AND at < '2026-01-01 00:00+08' GROUP BY action", None),
            "month_report": ("SELECT action, count(*) FROM {t} WHERE at >= '2025-06-01 00:00+08'"
                             " AND at < '2025-07-01 00:00+08' GROUP BY action", None),
            "recent": ("SELECT * FROM {t} ORDER BY at DESC LIMIT 50", None),
        }
        for name, (sql, params) in queries.items():
            n = repeat if name in ("timeline", "recent") else max(5, repeat // 20)
            out[name] = {}
            for _round in range(2):  # interleaved, second round kept (warm caches)
                for t in ("plain", "part"):
                    out[name][t] = _timed(cur, sql.format(t=t), params, n)
            log(f"{name}: {out[name]}")
        next_id = rows + 1
        out["insert"] = {}
        for t in ("plain", "part"):
            ids = iter(range(next_id, next_id + repeat))
            out["insert"][t] = _timed(
                cur, f"INSERT INTO {t} VALUES (%s, 1, now(), 'note', '备注', '{{}}')",
                lambda i, ids=ids: (next(ids),), repeat)
            next_id += repeat
        log(f"insert: {out['insert']}")
        t0 = time.perf_counter()
        cur.execute("DELETE FROM plain WHERE at < '2023-01-01 00:00+08'")
        deleted = cur.rowcount
        out["drop_year"] = {"plain_delete_s": round(time.perf_counter() - t0, 2),
                            "rows": deleted}
        t0 = time.perf_counter()
        cur.execute("ALTER TABLE part DETACH PARTITION part_2022")
        cur.execute("DROP TABLE part_2022")
        out["drop_year"]["part_detach_drop_s"] = round(time.perf_counter() - t0, 3)
        log(f"drop_year: {out['drop_year']}")
        cur.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    return out
