"""Hot topics: clusters of the user's visible matters in a period, with the trend against
the previous period of the same length (issue 5)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from xinfang.org.models import User

from .. import access
from .base import matter_text, person_keys, scope_key, scoped
from .snapshot import latest

TOPIC_CAP = 3000  # matters clustered per period
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


def topics(user: User, days: int = 30, division: str = "", category: str = "",
           *, min_count: int = 2) -> list[TopicView]:
    """Clusters of this period's visible matters, with the previous period for the trend.

    Both periods are clustered together so a topic's earlier matters count for its trend;
    only topics with ``min_count`` matters in this period are shown. Cached per filter and
    user scope for ``TOPIC_CACHE_SECONDS``."""
    from xinfang.nlp import TopicItem, cluster_topics
    from xinfang.nlp.heat import heat

    days = days if days in PERIODS else 30
    key = "intel:topics:" + hashlib.sha1(
        f"{scope_key(user)}|{days}|{division}|{category}|{timezone.localdate()}".encode()).hexdigest()
    hit = cache.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    now = timezone.now()
    cur_from = now - timedelta(days=days)
    snap = latest(now)
    if snap is not None:
        stored = _from_snapshot(snap.topics, user, days, division, category, min_count)
        cache.set(key, stored, TOPIC_CACHE_SECONDS)
        return stored
    rows = list(scoped(user, 2 * days, division, category, now)
                .exclude(access.confidential_q()).order_by("-received_at").values_list(
                    "pk", "title", "content", "division__name", "accused_body__name",
                    "received_at")[:2 * TOPIC_CAP])
    when = {r[0]: r[5] for r in rows}
    div_of = {r[0]: r[3] for r in rows}
    people = person_keys([r[0] for r in rows])
    # Dated and with the petitioner: topics split where they pause (BURST_GAP_DAYS), and the
    # heat counts distinct people's matters over their span (docs/nlp.md, hot topics).
    items = [TopicItem(str(pk), matter_text(t, c), 0, None, acc or None,
                       timezone.localdate(at), 0, people[pk])
             for pk, t, c, _dn, acc, at in rows]
    found = cluster_topics(items, min_size=2)
    out: list[TopicView] = []
    for t in found:
        ids = [int(i) for i in t.ids]
        cur = sorted((i for i in ids if when[i] > cur_from), key=lambda i: when[i], reverse=True)
        if len(cur) < min_count:
            continue
        days_ = sorted(timezone.localdate(when[i]) for i in cur)
        out.append(TopicView(
            n=0, label=t.label, keywords=t.keywords, ids=cur, previous=len(ids) - len(cur),
            petitioners=len({people[i] for i in cur}),
            divisions=sorted({div_of[i] for i in cur}),
            heat=heat(len(cur), 0, 0, (days_[-1] - days_[0]).days + 1),
            first=days_[0], last=days_[-1],
        ))
    out.sort(key=lambda v: (-v.heat, -v.count, -v.petitioners, v.ids[0]))
    for n, v in enumerate(out, start=1):
        v.n = n
    cache.set(key, out, TOPIC_CACHE_SECONDS)
    return out



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
