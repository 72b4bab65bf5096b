"""The census counters (issue 19 item 3, ``domain.tally.CENSUS``): every matter by state and
holder, under its division and under each body that sees it as its own, kept by the services
from now on. Filled here for the matters already in: their census rows are added to the
counters and appended to their snapshots (the next write of a matter subtracts what its
snapshot says it contributed). ``xinfang rebuild-aggregates --verify`` checks the result.
"""

from __future__ import annotations

import json
from collections import defaultdict

from django.db import migrations

from xinfang.domain import tally as dt

BATCH = 5000
KEY = "metric, day, division_id, body_id, accused_id, exempt, bucket, dim"


def fill(apps, schema_editor):
    conn = schema_editor.connection
    pg = conn.vendor == "postgresql"
    with conn.cursor() as cur:
        cur.execute("SELECT MIN(id), MAX(id) FROM petitions_matter")
        lo, hi = cur.fetchone()
        if lo is None:
            return
        totals: dt.Contribution = {}
        while lo <= hi:
            span = [lo, lo + BATCH]
            cur.execute(
                "SELECT id, division_path, holder_id, lead_body_id, review_body_id, "
                "recheck_body_id, klass, accused_body_id, state FROM petitions_matter "
                "WHERE id >= %s AND id < %s", span)
            matters = cur.fetchall()
            cur.execute("SELECT matter_id, to_body_id FROM petitions_dispatch "
                        "WHERE matter_id >= %s AND matter_id < %s", span)
            dispatched: dict[int, set[int]] = defaultdict(set)
            for mid, body in cur.fetchall():
                dispatched[mid].add(body)
            extra: dict[int, tuple[str, int, list[list[object]]]] = {}
            for mid, path, holder, lead, review, recheck, klass, accused, state in matters:
                acc = accused if klass == "report" else None
                rows = dt.census(path.rsplit("/", 1)[-1], acc, holder, state,
                                 {holder, lead, review, recheck, *dispatched.get(mid, ())})
                for k, v in rows.items():
                    n, p = totals.get(k, (0, 0))
                    totals[k] = (n + v[0], p + v[1])
                extra[mid] = (dt.division_key(path), acc or 0,
                              dt.encode(rows)[3:])  # the rows, each with its division
            _append(cur, pg, span, extra)
            lo += BATCH
        items = sorted(totals.items())
        for i in range(0, len(items), 1000):
            cur.executemany(
                f"INSERT INTO petitions_tally ({KEY}, n, persons) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [[*k, n, p] for k, (n, p) in items[i:i + 1000]])


def _append(cur, pg: bool, span: list[int], extra) -> None:
    """Each matter's census rows appended to its snapshot (a new snapshot where it had
    none)."""
    cur.execute("SELECT matter_id FROM petitions_tallysnapshot "
                "WHERE matter_id >= %s AND matter_id < %s", span)
    have = {r[0] for r in cur.fetchall()}
    fresh = [(mid, json.dumps([div, acc, 0, *rows])) for mid, (div, acc, rows) in extra.items()
             if mid not in have]
    if fresh:
        cur.executemany("INSERT INTO petitions_tallysnapshot (matter_id, data) VALUES (%s, %s)",
                        fresh)
    known = [(mid, rows) for mid, (_d, _a, rows) in extra.items() if mid in have]
    if not known:
        return
    if pg:
        cur.execute(
            "UPDATE petitions_tallysnapshot s SET data = s.data || x.extra "
            "FROM unnest(%s::bigint[], %s::jsonb[]) AS x(id, extra) WHERE s.matter_id = x.id",
            [[m for m, _r in known], [json.dumps(r) for _m, r in known]])
        return
    cur.execute("SELECT matter_id, data FROM petitions_tallysnapshot "
                "WHERE matter_id >= %s AND matter_id < %s", span)
    stored = {m: json.loads(d) if isinstance(d, str) else d for m, d in cur.fetchall()}
    cur.executemany("UPDATE petitions_tallysnapshot SET data = %s WHERE matter_id = %s",
                    [(json.dumps([*(stored[m] or []), *rows]), m) for m, rows in known])


class Migration(migrations.Migration):

    dependencies = [
        ("petitions", "0026_lean_indexes"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
