"""Hot topics: clusters of the user's visible matters in a period, with the trend against
the previous period of the same length (issue 5), read from the topics job's stored result
(intel.snapshot; never clustered in a request, issue 19 item 5)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from xinfang.org.models import User

from . import snapshot
from .base import person_keys, scope_key, scoped

TOPIC_CAP = 3000  # matters a topic warning reads per user (early_warning)
TOPIC_CACHE_SECONDS = 300


PERIODS = (7, 30, 90)


@dataclass
class TopicView:
    n: int
    label: str
    keywords: list[str]
    ids: list[int]  # this period's matters
    previous: int  # matters of the previous period of the same length
    petitioners: int
    divisions: list[str]
    heat: float = 0.0  # xinfang.nlp.topics.heat over this period's matters
    first: date | None = None
    last: date | None = None

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def trend(self) -> str:
        if self.previous == 0:
            return "新出现"
        change = (self.count - self.previous) * 100 // self.previous
        return f"{change:+d}%"


@dataclass
class TopicsResult:
    """The topics a page shows, and from which run of the topics job (intel.snapshot)."""

    topics: list[TopicView]
    computed_at: datetime | None  # the stored result's time; None: no result yet
    stale: bool = False  # older than snapshot.stale_seconds(): a new run is asked for
    pending: snapshot.Pending | None = None  # the run asked for (no fresh result)

    @property
    def ready(self) -> bool:
        return self.computed_at is not None


def topics_result(user: User, days: int = 30, division: str = "", category: str = "",
                  *, min_count: int = 2) -> TopicsResult:
    """This period's topics among the user's visible matters, with the previous period for
    the trend, from the topics job's stored result — never clustered in the request: without
    a result the job is asked for and the list is empty (``ready`` False). Only topics with
    ``min_count`` matters in this period are shown. Cached per filter, user scope and stored
    result for ``TOPIC_CACHE_SECONDS``."""
    days = days if days in PERIODS else 30
    now = timezone.now()
    st = snapshot.status(now)
    if st.snapshot is None:
        return TopicsResult([], None, False, st.pending)
    key = "intel:topics:" + hashlib.sha1(
        f"{scope_key(user)}|{days}|{division}|{category}|{timezone.localdate()}|{st.snapshot.pk}"
        .encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = _from_snapshot(st.snapshot.topics, user, days, division, category, min_count)
        cache.set(key, found, TOPIC_CACHE_SECONDS)
    return TopicsResult(found, st.computed_at, st.stale, st.pending)


def topics(user: User, days: int = 30, division: str = "", category: str = "",
           *, min_count: int = 2) -> list[TopicView]:
    """The topics of ``topics_result`` (empty until the topics job has a result)."""
    return topics_result(user, days, division, category, min_count=min_count).topics


def _from_snapshot(stored: list[dict[str, Any]], user: User, days: int, division: str,
                   category: str, min_count: int) -> list[TopicView]:
    """The stored topics, kept to the user's visible matters of the period and filters: one
    query for the matters, one for their petitioners (intel.snapshot)."""
    from xinfang.nlp.heat import heat  # alone: no numpy, jieba or scikit-learn in the worker

    now = timezone.now()
    cur_from = now - timedelta(days=days)
    rows = {pk: (title, div, at) for pk, title, div, at in scoped(
        user, 2 * days, division, category, now).values_list(
            "pk", "title", "division__name", "received_at")}
    found = []
    for t in stored:
        seen = [i for i in t["ids"] if i in rows]
        cur = [i for i in seen if rows[i][2] > cur_from]
        if len(cur) >= min_count:
            found.append((t, seen, cur))
    people = person_keys(sorted({i for _, _, cur in found for i in cur}))
    out: list[TopicView] = []
    for t, seen, cur in found:
        cur_set = set(cur)
        days_ = sorted(timezone.localdate(rows[i][2]) for i in cur)
        out.append(TopicView(
            n=0, label=rows[cur[0]][0], ids=sorted(cur, key=lambda i: rows[i][2], reverse=True),
            keywords=[w for w, ids in t["keywords"] if cur_set.intersection(ids)],
            previous=len(seen) - len(cur), petitioners=len({people[i] for i in cur}),
            divisions=sorted({rows[i][1] for i in cur}),
            heat=heat(len(cur), 0, 0, (days_[-1] - days_[0]).days + 1),
            first=days_[0], last=days_[-1]))
    out.sort(key=lambda v: (-v.heat, -v.count, -v.petitioners, v.ids[0]))
    for n, v in enumerate(out, start=1):
        v.n = n
    return out
