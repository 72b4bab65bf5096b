"""Hot topics computed by a job, served from the stored result (issue 18 item 5).

The ``topics`` job (ops.jobs, every ``XINFANG_TOPICS_INTERVAL`` s) clusters the newest
``SNAPSHOT_CAP`` matters of the last ``SNAPSHOT_DAYS`` — every matter, whatever its scope —
and stores, per topic, only matter ids (the most central first) and keywords with the ids
that carry them (``TopicSnapshot``). A page then reads the user's visible matters of the
period with one query and keeps, per topic, the members the user may see: the label is the
title of the most central *visible* member and a keyword is shown only when a visible matter
carries it, so nothing leaks from outside the user's scope (the same read gate as the live
computation). Without a snapshot younger than ``STALE_SECONDS`` pages compute live.
"""

from __future__ import annotations

import time
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from .. import access
from ..models import Matter, TopicSnapshot
from .base import lock, matter_text, person_keys, state

SNAPSHOT_DAYS = 180  # twice the longest period of /topics/ (the trend needs the previous one)
SNAPSHOT_CAP = 100_000  # newest matters clustered per run
FULL_EVERY_SECONDS = 24 * 3600  # a full re-clustering at least this often; between: incremental
FULL_WHEN_NEW = 0.5  # … and when the new matters are this share of the held ones


def interval() -> int:
    return int(getattr(settings, "XINFANG_TOPICS_INTERVAL", 900))


def workers() -> int:
    """Processes for a full run's queries (forked from the job; ``XINFANG_TOPICS_WORKERS``)."""
    return int(getattr(settings, "XINFANG_TOPICS_WORKERS", 2))


def stale_seconds() -> int:
    return 3 * interval()


def state_path() -> Path:
    """The job's clustering state between runs (``TopicState``): the data directory's."""
    base = getattr(settings, "XINFANG_MODEL_DIR", Path(settings.VAR_DIR) / "models")
    return Path(base) / "topics" / "state.pkl"


def compute(now: datetime | None = None, *, full: bool = False) -> dict[str, Any]:
    """Cluster the window's matters and store the result (the job's body).

    Incremental when the state of an earlier run is there and younger than a day: only the
    matters received since are read and clustered against the held ones, and the matters
    that left the window (or became confidential) are retired; otherwise (or with ``full``)
    everything is re-clustered (docs/nlp.md, "Served from a job")."""
    from xinfang.nlp.topics import TopicItem, TopicState

    t0 = time.monotonic()
    now = now or timezone.now()
    window = (Matter.objects.filter(received_at__gt=now - timedelta(days=SNAPSHOT_DAYS),
                                    received_at__lte=now)
              .exclude(access.confidential_q()))
    # Each matter's fingerprint (its title and time of receipt) tells a held matter from
    # another one under the same id (a restored or another database: then a full run).
    prints = {str(pk): zlib.crc32(f"{title}|{at.isoformat()}".encode()) for pk, title, at in
              window.order_by("-received_at", "-pk")
              .values_list("pk", "title", "received_at")[:SNAPSHOT_CAP]}
    keep = list(prints)
    path = state_path()
    st = None if full else TopicState.load(path)
    if st is not None:
        held = st.ids()
        fresh = [int(i) for i in keep if i not in held]
        age = now.timestamp() - float(st.meta.get("full_at", 0))
        known = st.meta.get("prints", {})
        if (age > FULL_EVERY_SECONDS or age < 0
                or len(fresh) > FULL_WHEN_NEW * max(len(held), 1)
                or any(known.get(i) != prints[i] for i in held if i in prints)):
            st = None
    mode = "incremental" if st is not None else "full"
    if st is None:
        st = TopicState()
        st.meta["full_at"] = now.timestamp()
        fresh = [int(i) for i in keep]
    st.meta["prints"] = prints
    rows = Matter.objects.filter(pk__in=fresh).values_list(
        "pk", "title", "content", "accused_body__name", "received_at")
    people = person_keys(fresh)
    items = sorted((TopicItem(str(pk), matter_text(t, c), 0, None, acc or None,
                              timezone.localdate(at), 0, people[pk])
                    for pk, t, c, acc, at in rows.iterator(chunk_size=2000)),
                   key=lambda it: (it.when, int(it.id)))
    got = st.update(items, keep=keep, workers=workers())
    found = st.topics(min_size=2)
    topics = []
    for t in found:
        if t.single:
            continue
        ids = [int(t.lead)] + [int(i) for i in t.ids if i != t.lead]
        topics.append({"ids": ids, "keywords": [[w, [int(i) for i in ids_]]
                                                for w, ids_ in t.keyword_ids.items()]})
    secs = round(time.monotonic() - t0, 1)
    snap = TopicSnapshot.objects.create(computed_at=now, window_days=SNAPSHOT_DAYS,
                                        matters=len(keep), seconds=secs, topics=topics)
    TopicSnapshot.objects.filter(pk__lt=snap.pk).delete()
    st.save(path)
    with lock:
        state.pop("snapshot", None)
    return {"matters": len(keep), "topics": len(topics), "seconds": secs, "mode": mode, **got}


def latest(now: datetime | None = None) -> TopicSnapshot | None:
    """The newest stored result, when it is fresh enough; cached per process by its id."""
    now = now or timezone.now()
    head = (TopicSnapshot.objects.order_by("-computed_at").values_list("pk", "computed_at")
            .first())
    if head is None or (now - head[1]).total_seconds() > stale_seconds():
        return None
    hit = state.get("snapshot")
    if hit is not None and hit.pk == head[0]:
        return hit  # type: ignore[no-any-return]
    snap = TopicSnapshot.objects.get(pk=head[0])
    with lock:
        state["snapshot"] = snap
    return snap
