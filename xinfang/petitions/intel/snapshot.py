"""Hot topics computed by a job, served from the stored result (issue 18 item 5).

The ``topics`` job (ops.jobs, every ``XINFANG_TOPICS_INTERVAL`` s) clusters the newest
``SNAPSHOT_CAP`` matters of the last ``SNAPSHOT_DAYS`` — every matter, whatever its scope —
and stores, per topic, only matter ids (the most central first) and keywords with the ids
that carry them (``TopicSnapshot``). A page then reads the user's visible matters of the
period with one query and keeps, per topic, the members the user may see: the label is the
title of the most central *visible* member and a keyword is shown only when a visible matter
carries it, so nothing leaks from outside the user's scope (the same read gate as the pages
had when they clustered).

**Never in a request** (issue 19 item 5). A page never clusters: at 1M matters one page took
93–109 s and a web worker 367 MiB (docs/benchmarks.md, "One web worker at 1M"). Without a
stored result (a fresh deployment before the worker's first run), or with one older than
``stale_seconds()``, the page asks for a run (``ask``: the ``wanted`` signal, answered by the
job system in ``xinfang.ops``, which enqueues the ``topics`` job unless a run is queued or
running already) and says so: 正在计算, with when the run was asked for. A stale result is
still shown, with its time.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.dispatch import Signal
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


def newest() -> TopicSnapshot | None:
    """The newest stored result, whatever its age; cached per process by its id (one small
    query a call)."""
    head = (TopicSnapshot.objects.order_by("-computed_at").values_list("pk", "computed_at")
            .first())
    if head is None:
        return None
    hit = state.get("snapshot")
    if hit is not None and hit.pk == head[0]:
        return hit  # type: ignore[no-any-return]
    snap = TopicSnapshot.objects.get(pk=head[0])
    with lock:
        state["snapshot"] = snap
    return snap


def is_stale(snap: TopicSnapshot, now: datetime | None = None) -> bool:
    return ((now or timezone.now()) - snap.computed_at).total_seconds() > stale_seconds()


def latest(now: datetime | None = None) -> TopicSnapshot | None:
    """The newest stored result, when it is fresh enough."""
    snap = newest()
    return None if snap is None or is_stale(snap, now) else snap


# Sent by a page that needs a run of the topics job (no result, or a stale one), with
# ``now``; the job system (xinfang.ops.apps) answers with the run's ``Pending``.
wanted = Signal()


@dataclass(frozen=True)
class Pending:
    """A run of the topics job that was asked for and has not finished."""

    asked_at: datetime  # when the run was enqueued
    status: str  # "queued", "running" or "retrying" (ops.JobRun.Status)
    started_at: datetime | None = None


def ask(now: datetime | None = None) -> Pending | None:
    """Have the topics job run soon: the run already queued or running, or a new one (never
    a second while one is waiting). None when no job system answers."""
    for _receiver, answer in wanted.send(sender=TopicSnapshot, now=now or timezone.now()):
        if isinstance(answer, Pending):
            return answer
    return None


@dataclass(frozen=True)
class Status:
    """What the pages can show: the newest result (None: none yet), whether it is stale, and
    the run asked for when there is no fresh one."""

    snapshot: TopicSnapshot | None
    stale: bool = False
    pending: Pending | None = None

    @property
    def computed_at(self) -> datetime | None:
        return self.snapshot.computed_at if self.snapshot is not None else None


def status(now: datetime | None = None) -> Status:
    """The stored result for a page, asking for a run when there is none or it is stale. The
    page never clusters (module note)."""
    now = now or timezone.now()
    snap = newest()
    if snap is not None and not is_stale(snap, now):
        return Status(snap)
    return Status(snap, snap is not None, ask(now))
