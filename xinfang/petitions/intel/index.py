"""The same-matter index: earlier matters about the same concrete problem (§19 ¶3).

One ``SimilarityIndex`` per process over the matters received in the last
``REPEAT_WINDOW_DAYS`` (2 years, at most ``INDEX_CAP`` matters, newest first), built lazily
from the database and, before every lookup, caught up with the matters registered since
(``pk > last indexed``), by this process or another: a registration does not pay for it
(issue 19: 2 ms of each registration went to adding it at once). Rebuilt from
scratch every ``REBUILD_SECONDS``. A candidate is *the same matter* when its score is at or
above the index threshold (0.30, docs/nlp.md) **and** it lies in the same division.

This module reads the whole table: it answers "which matters", never "what they say".
What a user is shown goes through ``hints.repeat_hints`` and the read gate."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from xinfang.domain import states as st
from xinfang.org.models import Body, Division

from ..models import Matter
from .base import lock, matter_text, state

if TYPE_CHECKING:
    from xinfang.nlp import SimilarityIndex
    from xinfang.nlp.places import Gazetteer

REPEAT_WINDOW_DAYS = 730  # same-matter index: matters received in the last 2 years …
INDEX_CAP = 200_000  # … at most this many, newest first
REBUILD_SECONDS = 6 * 3600
STRAGGLERS = 500  # ids below the newest indexed one checked again at each lookup
SHOW_SCORE = 0.2  # candidates shown on the 查重 panel ("可能相关"); same matter from threshold


def _fingerprint(title: str, content: str) -> int:
    return zlib.crc32(matter_text(title, content).encode("utf-8"))


@dataclass
class _Index:
    index: SimilarityIndex
    division: dict[str, str] = field(default_factory=dict)  # matter id -> division code
    print_: dict[str, int] = field(default_factory=dict)  # matter id -> text fingerprint
    # Confidential matters (issue 14 item 13): scored only against the same petitioner's new
    # petition (found by exact identity, ``person_matter_scores``), never returned by a text
    # search (``same_matter_candidates``).
    sealed: set[str] = field(default_factory=set)
    max_pk: int = 0
    built: float = 0.0


_COLS = ("pk", "title", "content", "division_id", "division__name", "accused_body__name",
         "klass", "confidential")


def _add_rows(ix: _Index, rows: Iterable[tuple[Any, ...]], *, advance: bool = True) -> None:
    """``advance=False``: rows picked by id (a petitioner's earlier matters), not the next
    ones in id order; the catch-up's mark (``max_pk``) stays where it is."""
    items = []
    for pk, title, content, div, div_name, accused, klass, confidential in rows:
        key = str(pk)
        if key in ix.division:
            continue
        if klass == st.Klass.REPORT.value or confidential:
            ix.sealed.add(key)
        ix.division[key] = div
        ix.print_[key] = _fingerprint(title, content)
        if advance:
            ix.max_pk = max(ix.max_pk, int(pk))
        items.append((key, matter_text(title, content), div_name or None, accused or None))
    if items:
        ix.index.add_many(items)


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


def _build() -> _Index:
    from xinfang.nlp import SimilarityIndex

    since = timezone.now() - timedelta(days=REPEAT_WINDOW_DAYS)
    rows = list(Matter.objects.filter(received_at__gte=since).order_by("-received_at", "-pk")
                .values_list(*_COLS)[:INDEX_CAP])
    ix = _Index(SimilarityIndex(gazetteer=gazetteer()), built=time.monotonic())
    _add_rows(ix, reversed(rows))
    return ix


def similarity_index(*, catch_up: bool = True) -> _Index:
    """The process-wide index, built on first use and caught up with newer matters (the text
    search of the 查重 panel needs them all; a petitioner's own matters are added on demand,
    ``_ensure``)."""
    with lock:
        ix: _Index | None = state.get("index")
        if ix is None or time.monotonic() - ix.built > REBUILD_SECONDS:
            ix = state["index"] = _build()
        elif catch_up:
            # Stragglers too: a matter whose transaction committed after a later id's (two
            # writers at once) sits below max_pk.
            late = [pk for pk in Matter.objects.filter(pk__gt=ix.max_pk - STRAGGLERS,
                                                       pk__lte=ix.max_pk).values_list("pk", flat=True)
                    if str(pk) not in ix.division]
            _add_rows(ix, Matter.objects.filter(Q(pk__gt=ix.max_pk) | Q(pk__in=late)).order_by("pk")
                      .values_list(*_COLS)[:10_000])
        return ix


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
    hits = [(i, s) for i, s in hits if s >= SHOW_SCORE and i not in ix.sealed]
    by_pk = Matter.objects.select_related("division", "lead_body", "holder").in_bulk(
        [int(i) for i, _ in hits])
    out = []
    for key, score in hits:
        m = by_pk.get(int(key))
        if m is None or ix.print_.get(key) != _fingerprint(m.title, m.content):
            with lock:
                state.pop("index", None)  # the database changed under the index: rebuild next time
            continue
        same_div = division is not None and m.division_id == division.pk
        out.append(Candidate(m, score, same_div, ix.index.threshold))
    return out[:k]


def _ensure(ix: _Index, matters: Sequence[Matter]) -> None:
    """Add those of ``matters`` the index lacks (registered since it was built or caught up),
    within its window."""
    missing = [m.pk for m in matters if str(m.pk) not in ix.division]
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
        if any(k in ix.print_ and ix.print_[k] != _fingerprint(m.title, m.content)
               for k, m in zip(keys, earlier, strict=True)):
            with lock:
                state.pop("index", None)  # the database changed under the index: rebuild
            continue
        got = ix.index.scores(text, keys, accused=accused)
        return {int(k): v for k, v in got.items()}, ix.index.threshold
    return {}, ix.index.threshold
