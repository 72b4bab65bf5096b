"""The same-matter index: earlier matters about the same concrete problem (§19 ¶3).

One ``SimilarityIndex`` over the matters received in the last ``REPEAT_WINDOW_DAYS`` (2
years, at most ``INDEX_CAP`` matters, newest first). Built once by the ``similarity`` job
and memory-mapped by every process (``index_store``: a web worker never builds it when a
snapshot is there — issue 19 item 5); without a snapshot built lazily in the process, as
before. Before every lookup caught up with the matters registered since (``pk > last
indexed``), by this process or another: a registration does not pay for it (issue 19: 2 ms
of each registration went to adding it at once). An index built in the process is rebuilt
every ``REBUILD_SECONDS``. A candidate is *the same matter* when its score is at or above
the index threshold (0.30, docs/nlp.md) **and** it lies in the same division.

This module reads the whole table: it answers "which matters", never "what they say".
What a user is shown goes through ``hints.repeat_hints`` and the read gate."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from xinfang.domain import states as st
from xinfang.org.models import Body, Division

from ..models import Matter
from . import index_store as store
from .base import lock, matter_text, state

if TYPE_CHECKING:
    import numpy as np

    from xinfang.nlp import SimilarityIndex
    from xinfang.nlp.places import Gazetteer

REPEAT_WINDOW_DAYS = 730  # same-matter index: matters received in the last 2 years …
INDEX_CAP = 200_000  # … at most this many, newest first
REBUILD_SECONDS = 6 * 3600
STRAGGLERS = 500  # ids below the newest indexed one checked again at each lookup
SHOW_SCORE = 0.2  # candidates shown on the 查重 panel ("可能相关"); same matter from threshold
BATCH = 2_000  # matters read and indexed at a time


def _fingerprint(title: str, content: str) -> int:
    return zlib.crc32(matter_text(title, content).encode("utf-8"))


@dataclass
class _Index:
    """The index and, per row, the text fingerprint and whether the matter is sealed: arrays
    for the rows of a snapshot (memory-mapped), dicts for the rows added in this process."""

    index: SimilarityIndex
    # numpy arrays (or () for an index built here: numpy stays out of the pages' imports)
    prints: np.ndarray | tuple[()] = ()
    sealed_rows: np.ndarray | tuple[()] = ()
    more_prints: dict[str, int] = field(default_factory=dict)
    # Confidential matters (issue 14 item 13): scored only against the same petitioner's new
    # petition (found by exact identity, ``person_matter_scores``), never returned by a text
    # search (``same_matter_candidates``).
    more_sealed: set[str] = field(default_factory=set)
    max_pk: int = 0
    built: float = 0.0  # time.monotonic() of the build or load
    snapshot: str = ""  # the snapshot's version ("": built in this process)
    built_at: float = 0.0  # time.time() of the build (of the snapshot's build)
    checked: float = 0.0  # time.monotonic() the snapshot pointer was last looked at

    def __len__(self) -> int:
        return len(self.index)

    def has(self, key: str) -> bool:
        return key in self.more_prints or self.index.ids.pos(key) is not None

    def fingerprint(self, key: str) -> int | None:
        hit = self.more_prints.get(key)
        if hit is not None:
            return hit
        row = self.index.ids.pos(key)
        return int(self.prints[row]) if row is not None and row < len(self.prints) else None

    def is_sealed(self, key: str) -> bool:
        if key in self.more_sealed:
            return True
        row = self.index.ids.pos(key)
        return row is not None and row < len(self.sealed_rows) and bool(self.sealed_rows[row])


_COLS = ("pk", "title", "content", "division_id", "division__name", "accused_body__name",
         "klass", "confidential")


def _add_rows(ix: _Index, rows: Iterable[tuple[Any, ...]], *, advance: bool = True) -> None:
    """``advance=False``: rows picked by id (a petitioner's earlier matters), not the next
    ones in id order; the catch-up's mark (``max_pk``) stays where it is. One ``add_many``
    for all of them (its postings merged once), the rows read as it goes."""

    def items() -> Iterator[tuple[str, str, str | None, str | None]]:
        for pk, title, content, _div, div_name, accused, klass, confidential in rows:
            key = str(pk)
            if ix.has(key):
                continue
            if klass == st.Klass.REPORT.value or confidential:
                ix.more_sealed.add(key)
            ix.more_prints[key] = _fingerprint(title, content)
            if advance:
                ix.max_pk = max(ix.max_pk, int(pk))
            yield key, matter_text(title, content), div_name or None, accused or None

    ix.index.add_many(items())


def gazetteer() -> Gazetteer:
    """The deployment's known places for the text models: townships and villages of the
    organisation tree (a village lies within its township), cached with the index."""
    from xinfang.nlp.places import Gazetteer

    rows = Division.objects.filter(level__gte=Division.Level.TOWNSHIP).values_list(
        "name", "level", "parent__name", "parent__level")
    return Gazetteer.from_rows(
        (name, "town" if level == Division.Level.TOWNSHIP else "village",
         parent if parent_level and parent_level >= Division.Level.TOWNSHIP else None)
        for name, level, parent, parent_level in rows)


def _window_pks() -> list[int]:
    """The ids of the index's matters, oldest first: the newest ``INDEX_CAP`` of the window."""
    since = timezone.now() - timedelta(days=REPEAT_WINDOW_DAYS)
    pks = list(Matter.objects.filter(received_at__gte=since).order_by("-received_at", "-pk")
               .values_list("pk", flat=True)[:INDEX_CAP])
    pks.reverse()
    return pks


def _build() -> _Index:
    """The index built in this process from the database, the rows read ``BATCH`` at a time
    (the texts of 200,000 matters are never all held at once)."""
    from xinfang.nlp import SimilarityIndex

    ix = _Index(SimilarityIndex(gazetteer=gazetteer()), built=time.monotonic(),
                built_at=time.time())
    pks = _window_pks()

    def rows() -> Iterator[tuple[Any, ...]]:
        for at in range(0, len(pks), BATCH):
            chunk = pks[at : at + BATCH]
            got = {r[0]: r for r in Matter.objects.filter(pk__in=chunk).values_list(*_COLS)}
            yield from (got[pk] for pk in chunk if pk in got)

    _add_rows(ix, rows())
    return ix


def _catch_up(ix: _Index, *, limit: int = 10_000) -> int:
    """Add the matters registered since the index was built or caught up; how many."""
    # Stragglers too: a matter whose transaction committed after a later id's (two writers
    # at once) sits below max_pk.
    late = [pk for pk in Matter.objects.filter(pk__gt=ix.max_pk - STRAGGLERS,
                                               pk__lte=ix.max_pk).values_list("pk", flat=True)
            if not ix.has(str(pk))]
    rows = list(Matter.objects.filter(Q(pk__gt=ix.max_pk) | Q(pk__in=late)).order_by("pk")
                .values_list(*_COLS)[:limit])
    n = len(ix)
    _add_rows(ix, rows)
    return len(ix) - n


def similarity_index(*, catch_up: bool = True) -> _Index:
    """The process-wide index (issue 19 item 5: a web worker does not build it at a large
    deployment): the newest snapshot of the ``similarity`` job, memory-mapped and caught up
    with the matters registered since; without a snapshot (a fresh or small deployment, the
    tests) built in this process, as before, and the job asked for one. Looked for anew every
    ``store.CHECK_SECONDS``: a newer snapshot replaces the one in use. Caught up with newer
    matters (the text search of the 查重 panel needs them all; a petitioner's own matters are
    added on demand, ``_ensure``)."""
    with lock:
        ix: _Index | None = state.get("index")
        now = time.monotonic()
        if ix is None or now - ix.checked > store.CHECK_SECONDS:
            found = store.load(refused=state.get("index_refused", ""), current_ix=ix)
            if found is not None and found is not ix:
                ix = state["index"] = found
                while _catch_up(ix) > 0:  # as complete as an index built now
                    pass
                return ix
            if ix is not None:
                ix.checked = now
        if ix is None or (not ix.snapshot and now - ix.built > REBUILD_SECONDS):
            store.ask()  # a deployment's worker builds the snapshot; here, meanwhile, as before
            ix = state["index"] = _build()
            ix.checked = now
        elif catch_up:
            _catch_up(ix)
        return ix


def _stale(ix: _Index) -> None:
    """The database changed under the index (a restored or another database): forget it, and
    its snapshot until the job has written a newer one."""
    with lock:
        if ix.snapshot:
            state["index_refused"] = ix.snapshot
            store.ask()
        state.pop("index", None)


@dataclass
class Candidate:
    matter: Matter
    score: float
    same_division: bool
    threshold: float

    @property
    def same_matter(self) -> bool:
        return self.score >= self.threshold and self.same_division

    @property
    def percent(self) -> int:
        return round(100 * self.score)


def same_matter_candidates(title: str, content: str, division: Division | None,
                           accused_body: Body | None = None, *, exclude_id: int | None = None,
                           k: int = 5) -> list[Candidate]:
    """Earlier matters about the same concrete problem, best first (score ≥ SHOW_SCORE).

    Over the whole table: callers that show the result go through the read gate."""
    if len((title or "") + (content or "")) < 4:
        return []
    ix = similarity_index()
    hits = ix.index.query(matter_text(title, content),
                          accused=accused_body.name if accused_body else None,
                          k=k + 8, exclude=str(exclude_id) if exclude_id else None)
    hits = [(i, s) for i, s in hits if s >= SHOW_SCORE and not ix.is_sealed(i)]
    by_pk = Matter.objects.select_related("division", "lead_body", "holder").in_bulk(
        [int(i) for i, _ in hits])
    out = []
    for key, score in hits:
        m = by_pk.get(int(key))
        if m is None or ix.fingerprint(key) != _fingerprint(m.title, m.content):
            _stale(ix)  # the database changed under the index: rebuild next time
            continue
        same_div = division is not None and m.division_id == division.pk
        out.append(Candidate(m, score, same_div, ix.index.threshold))
    return out[:k]


def _ensure(ix: _Index, matters: Sequence[Matter]) -> None:
    """Add those of ``matters`` the index lacks (registered since it was built or caught up),
    within its window."""
    missing = [m.pk for m in matters if not ix.has(str(m.pk))]
    if missing:
        since = timezone.now() - timedelta(days=REPEAT_WINDOW_DAYS)
        with lock:
            _add_rows(ix, Matter.objects.filter(pk__in=missing, received_at__gte=since)
                      .values_list(*_COLS), advance=False)


def person_matter_scores(title: str, content: str, earlier: Sequence[Matter],
                         accused_body: Body | None = None) -> tuple[dict[int, float], float]:
    """The text score of a new petition against each of one petitioner's ``earlier`` matters
    (the index's score and entity gate, not a top-k search: a busy topic cannot crowd the
    petitioner's own matter out), and the threshold of "same matter". A matter outside the
    index window (``REPEAT_WINDOW_DAYS``) has no score."""
    text = matter_text(title, content)
    accused = accused_body.name if accused_body else None
    for _ in range(2):
        # Not the whole catch-up: with several processes (gunicorn workers, the bench's 16
        # writers) each would index every other process's new matters on each registration.
        ix = similarity_index(catch_up=False)
        _ensure(ix, earlier)
        keys = [str(m.pk) for m in earlier]
        if any((p := ix.fingerprint(k)) is not None and p != _fingerprint(m.title, m.content)
               for k, m in zip(keys, earlier, strict=True)):
            _stale(ix)  # the database changed under the index: rebuild
            continue
        got = ix.index.scores(text, keys, accused=accused)
        return {int(k): v for k, v in got.items()}, ix.index.threshold
    return {}, ix.index.threshold
