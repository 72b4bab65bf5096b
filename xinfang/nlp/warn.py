"""Topic warnings: the rising-count tests of :mod:`.warning` run per hot topic over time.

A topic (:func:`.topics.cluster_topics`) becomes a count series — its messages per day or per
ISO week (Monday) over the whole period of the input, so weeks before the topic began count
as zeros — and the Poisson and EWMA tests flag the periods where it rises above its trailing
baseline. Two more rules, as an analyst would ask:

- **Distinct petitioners.** A flagged period needs messages from at least
  ``min_persons`` different people (one person posting five times is one voice).
- **Attention.** A period whose messages drew at least ``attention_votes`` votes (likes +
  dislikes) is flagged even when the count does not rise: a slow-burning, heavily supported
  matter is not silent.

Plain Python: never import Django here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from .topic_types import Topic, TopicItem  # not .topics: no numpy or jieba for reading
from .warning import Alert, ewma_alerts, poisson_alerts

ATTENTION_VOTES = 100  # votes in one period that flag it whatever the count
MIN_PERSONS = 2  # distinct petitioners a flagged period needs
BASELINE_WINDOW = 8


def period_start(d: date, period: str) -> date:
    return d - timedelta(days=d.weekday()) if period == "week" else d


def periods(first: date, last: date, period: str) -> list[date]:
    step = timedelta(days=7 if period == "week" else 1)
    out, d = [], period_start(first, period)
    while d <= last:
        out.append(d)
        d += step
    return out


@dataclass
class TopicWarning:
    rank: int  # the topic's rank in the topic list (1 = hottest)
    topic: Topic
    starts: list[date]  # period starts
    counts: list[int]
    alerts: list[Alert] = field(default_factory=list)  # kept ones, in order
    attention: list[int] = field(default_factory=list)  # indexes flagged by votes

    @property
    def flagged(self) -> list[int]:
        return sorted({a.index for a in self.alerts} | set(self.attention))

    @property
    def first_flagged(self) -> date | None:
        f = self.flagged
        return self.starts[f[0]] if f else None

    @property
    def first_above_baseline(self) -> date | None:
        """The first period whose count exceeds the mean of the previous 8 (floored at 0.5):
        when the topic's rise began, against which the test's delay is measured."""
        for t, x in enumerate(self.counts):
            past = self.counts[max(0, t - BASELINE_WINDOW) : t]
            base = max(sum(past) / len(past), 0.5) if past else 0.5
            if x > base:
                return self.starts[t]
        return None


def topic_warnings(topics: Sequence[Topic], items: Sequence[TopicItem], period: str = "week",
                   *, min_persons: int = MIN_PERSONS, attention_votes: int = ATTENTION_VOTES,
                   alpha: float = 0.01) -> list[TopicWarning]:
    """Per topic (single hot posts left out): its count series and the flagged periods."""
    if period not in ("day", "week"):
        raise ValueError("period must be 'day' or 'week'")
    by_id = {it.id: it for it in items}
    dated = [it.when for it in items if it.when is not None]
    if not dated:
        return []
    starts = periods(min(dated), max(dated), period)
    pos = {d: n for n, d in enumerate(starts)}
    out: list[TopicWarning] = []
    for rank, t in enumerate(topics, start=1):
        if t.single:
            continue
        counts = [0] * len(starts)
        votes = [0] * len(starts)
        people: list[set[str]] = [set() for _ in starts]
        for i in t.ids:
            it = by_id[i]
            if it.when is None:
                continue
            n = pos[period_start(it.when, period)]
            counts[n] += 1
            votes[n] += max(it.votes, 0) + max(it.dislikes, 0)
            people[n].add(it.author or f"#{i}")
        w = TopicWarning(rank, t, starts, counts)
        for a in poisson_alerts(counts, alpha=alpha) + ewma_alerts(counts):
            if len(people[a.index]) >= min_persons:
                w.alerts.append(a)
        w.alerts.sort(key=lambda a: (a.index, a.method))
        w.attention = [n for n, v in enumerate(votes) if v >= attention_votes]
        out.append(w)
    return out
