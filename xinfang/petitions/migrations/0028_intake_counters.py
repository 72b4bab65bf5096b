"""The intake counters (issue 19 item 3, ``domain.tally.INTAKE``): every matter by registration
day and top category under its township, with body 0 and under each body that sees it as its
own, kept by the services from now on; the leader's rising-count early warnings read them.
Filled here for the matters already in: their intake rows are added to the counters and
appended to their snapshots (the next write of a matter subtracts what its snapshot says it
contributed), under the 不纳入考核 flag the snapshot already carries. ``xinfang
rebuild-aggregates --verify`` checks the result.
"""

from __future__ import annotations

import json
from collections import defaultdict

from django.db import migrations
from django.utils import timezone

from xinfang.domain import tally as dt

BATCH = 5000
KEY = "metric, day, division_id, body_id, accused_id, exempt, bucket, dim"


def fill(apps, schema_editor):
    Matter = apps.get_model("petitions", "Matter")
    Dispatch = apps.get_model("petitions", "Dispatch")
    Snapshot = apps.get_model("petitions", "TallySnapshot")
    conn = schema_editor.connection
    pg = conn.vendor == "postgresql"
    ids = Matter.objects.order_by("pk").values_list("pk", flat=True)
    lo, hi = ids.first(), ids.last()
    if lo is None:
        return
    with conn.cursor() as cur:
        while lo <= hi:
            dispatched: dict[int, set[int]] = defaultdict(set)
            for mid, body in (Dispatch.objects.filter(matter_id__gte=lo, matter_id__lt=lo + BATCH)
                              .values_list("matter_id", "to_body_id")):
                dispatched[mid].add(body)
            snaps = _snapshots(cur, pg, Snapshot, lo)
            totals: dt.Contribution = {}
            extra: dict[int, tuple[str, int, list[object]]] = {}
            for (mid, path, holder, lead, review, recheck, klass, accused, cat, parent,
                 received_at) in (Matter.objects.filter(pk__gte=lo, pk__lt=lo + BATCH)
                                  .order_by().values_list(
                    "pk", "division_path", "holder_id", "lead_body_id", "review_body_id",
                    "recheck_body_id", "klass", "accused_body_id", "category_id",
                    "category__parent_id", "received_at")):
                acc = accused if klass == "report" else None
                exempt = bool(snaps.get(mid, (None, None))[0])
                div = dt.division_key(path)
                rows = dt.intake(div, acc, exempt, timezone.localdate(received_at),
                                 str(parent or cat or ""),
                                 {holder, lead, review, recheck, *dispatched.get(mid, ())})
                for k, v in rows.items():
                    n, p = totals.get(k, (0, 0))
                    totals[k] = (n + v[0], p + v[1])
                extra[mid] = (div, acc or 0, dt.encode(rows)[3:])
            _add(cur, pg, totals)
            _append(cur, pg, snaps, extra)
            lo += BATCH
        if pg:  # millions of new rows: the readers' plans want their statistics (no VACUUM here)
            cur.execute("ANALYZE petitions_tally")


def _snapshots(cur, pg: bool, Snapshot, lo: int) -> dict[int, tuple[object, list | None]]:
    """The batch's snapshots as (their 不纳入考核 flag, ``data[2]``: None where a snapshot has
    no header, the snapshot): on PostgreSQL the flag alone (``data->>2``; the rows are appended
    in SQL), elsewhere the whole snapshot too."""
    if pg:
        cur.execute("SELECT matter_id, data->>2 FROM petitions_tallysnapshot "
                    "WHERE matter_id >= %s AND matter_id < %s", [lo, lo + BATCH])
        return {m: (None if e is None else e not in ("0", "false"), None)
                for m, e in cur.fetchall()}
    out = {}
    for m, d in (Snapshot.objects.filter(matter_id__gte=lo, matter_id__lt=lo + BATCH)
                 .values_list("matter_id", "data")):
        d = json.loads(d) if isinstance(d, str) else (d or [])
        out[m] = (d[2] if len(d) > 2 else None, d)
    return out


def _add(cur, pg: bool, totals: dt.Contribution) -> None:
    """The batch's rows added to the counters (a row another batch began: its sum)."""
    items = sorted(totals.items())
    upsert = (f"ON CONFLICT ({KEY}) DO UPDATE SET n = petitions_tally.n + excluded.n, "
              "persons = petitions_tally.persons + excluded.persons")
    if pg:
        for i in range(0, len(items), 5000):
            part = items[i:i + 5000]
            cols = [list(c) for c in zip(*(k for k, _v in part), strict=True)]
            cur.execute(
                f"INSERT INTO petitions_tally ({KEY}, n, persons) SELECT * FROM unnest("
                "%s::varchar[], %s::date[], %s::varchar[], %s::bigint[], %s::bigint[], "
                "%s::boolean[], %s::varchar[], %s::varchar[], %s::bigint[], %s::bigint[]) "
                + upsert, [*cols, [v[0] for _k, v in part], [v[1] for _k, v in part]])
        return
    for i in range(0, len(items), 1000):
        cur.executemany(
            f"INSERT INTO petitions_tally ({KEY}, n, persons) "
            f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) {upsert}",
            [[*k, n, p] for k, (n, p) in items[i:i + 1000]])


def _append(cur, pg: bool, snaps: dict[int, tuple[object, list | None]], extra) -> None:
    """Each matter's intake rows appended to its snapshot (a new snapshot where it had none;
    as petitions 0027 appended the census rows)."""
    def headed(mid: int) -> bool:
        return snaps.get(mid, (None, None))[0] is not None

    known = [(mid, rows) for mid, (_d, _a, rows) in extra.items() if headed(mid)]
    fresh = [(mid, json.dumps([div, acc, 0, *rows])) for mid, (div, acc, rows) in extra.items()
             if not headed(mid)]
    if fresh:
        marks = ", ".join(["%s"] * len(fresh))
        cur.execute(f"DELETE FROM petitions_tallysnapshot WHERE matter_id IN ({marks})",
                    [m for m, _d in fresh])
        cur.executemany("INSERT INTO petitions_tallysnapshot (matter_id, data) VALUES (%s, %s)",
                        fresh)
    if not known:
        return
    if pg:
        cur.execute(
            "UPDATE petitions_tallysnapshot s SET data = s.data || x.extra "
            "FROM unnest(%s::bigint[], %s::jsonb[]) AS x(id, extra) WHERE s.matter_id = x.id",
            [[m for m, _r in known], [json.dumps(r) for _m, r in known]])
        return
    cur.executemany("UPDATE petitions_tallysnapshot SET data = %s WHERE matter_id = %s",
                    [(json.dumps([*(snaps[m][1] or []), *rows]), m) for m, rows in known])


class Migration(migrations.Migration):

    dependencies = [
        ("petitions", "0027_census_counters"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
