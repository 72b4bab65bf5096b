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
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from .. import access
from ..models import Matter, TopicSnapshot
from .base import lock, matter_text, person_keys, state

SNAPSHOT_DAYS = 180  # twice the longest period of /topics/ (the trend needs the previous one)
SNAPSHOT_CAP = 20_000  # newest matters clustered per run


def interval() -> int:
    return int(getattr(settings, "XINFANG_TOPICS_INTERVAL", 900))


def stale_seconds() -> int:
    return 3 * interval()


def compute(now: datetime | None = None) -> dict[str, Any]:
    """Cluster the window's matters and store the result (the job's body)."""
    from xinfang.nlp import TopicItem, cluster_topics

    t0 = time.monotonic()
    now = now or timezone.now()
    rows = list(Matter.objects.filter(received_at__gt=now - timedelta(days=SNAPSHOT_DAYS),
                                      received_at__lte=now)
                .order_by("-received_at", "-pk")
                .exclude(access.confidential_q())
                .values_list("pk", "title", "content", "accused_body__name", "received_at")
                [:SNAPSHOT_CAP])
    people = person_keys([r[0] for r in rows])
    items = [TopicItem(str(pk), matter_text(t, c), 0, None, acc or None,
                       timezone.localdate(at), 0, people[pk])
             for pk, t, c, acc, at in rows]
    found = cluster_topics(items, min_size=2)
    topics = []
    for t in found:
        if t.single:
            continue
        ids = [int(t.lead)] + [int(i) for i in t.ids if i != t.lead]
        topics.append({"ids": ids, "keywords": [[w, [int(i) for i in ids_]]
                                                for w, ids_ in t.keyword_ids.items()]})
    secs = round(time.monotonic() - t0, 1)
    snap = TopicSnapshot.objects.create(computed_at=now, window_days=SNAPSHOT_DAYS,
                                        matters=len(rows), seconds=secs, topics=topics)
    TopicSnapshot.objects.filter(pk__lt=snap.pk).delete()
    with lock:
        state.pop("snapshot", None)
    return {"matters": len(rows), "topics": len(topics), "seconds": secs}


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
