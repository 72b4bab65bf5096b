"""Hot topics: group matters about the same concrete issue and rank the groups.

A topic is a connected group of "same matter" links (see :mod:`.similarity`), merged
largest-score first and never across two different named places/objects (union-find with an
entity constraint, so 搅拌站 complaints about two 小区 stay two topics). Keywords are the
words most specific to the group (TF-IDF of jieba tokens against the whole input).
Plain Python: never import Django here.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing as mp
import os
import pickle
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .heat import CONCENTRATION_DAYS as CONCENTRATION_DAYS
from .heat import DISLIKE_WEIGHT, VOTES_PER_MESSAGE, heat
from .places import Places
from .similarity import (
    DEFAULT_THRESHOLD,
    SimilarityIndex,
    _prepare,
    _subject_entities,
    problems_agree,
)
from .text import (
    PLACE_CODE,
    Entity,
    entities_agree,
    entities_conflict,
    tokenize,
)
from .topic_types import Topic as Topic
from .topic_types import TopicItem as TopicItem

_STOP = frozenset(
    ["问题", "反映", "关于", "请求", "希望", "建议", "咨询", "投诉", "举报", "请问", "为什么", "什么", "何时", "怎么", "如何", "是否", "能否", "可以", "没有", "不能", "一个", "我们", "你们", "他们", "相关", "部门", "领导", "政府", "书记", "市长", "尊敬", "您好", "谢谢", "感谢", "严重", "情况", "进行", "要求", "解决", "处理", "还是", "已经", "一直", "现在", "目前", "这个", "那个", "以及", "并且", "而且", "但是", "因为", "所以", "如果", "其中", "时候", "多次", "附近", "周边", "居民", "业主", "小区", "市民", "老百姓", "群众", "百姓", "问问", "为何", "到底", "迟迟", "请问"]
)


TOPIC_THRESHOLD = 0.22  # a topic is broader than one matter: same issue, same place/case
BURST_GAP_DAYS = 30  # a topic whose messages pause this long is two topics (two bursts)
PARALLEL_MIN = 5000  # new matters from which the queries are split over processes
STATE_FORMAT = 2  # TopicState pickles of another format are rebuilt (2: labels kept)
SINGLE_VOTES = 20  # a lone message with this many votes is reported as a standout


class _Groups:
    def __init__(self, n: int, ents: Sequence[tuple[Entity, ...]], places: Places | None = None) -> None:
        self.places = places
        self.parent = list(range(n))
        self.ents: list[list[Entity]] = [list(e) for e in ents]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if entities_conflict(self.ents[ra], self.ents[rb], self.places):
            return False
        self.parent[rb] = ra
        self.ents[ra].extend(e for e in self.ents[rb] if e not in self.ents[ra])
        return True


def _as_item(x: TopicItem | tuple[Any, ...]) -> TopicItem:
    if isinstance(x, TopicItem):
        return x
    return TopicItem(*x)


def cluster_topics(items: Iterable[TopicItem | tuple[Any, ...]], threshold: float = TOPIC_THRESHOLD,
                   min_size: float = 2, k: int = 30, n_keywords: int = 6,
                   votes_per_message: float = VOTES_PER_MESSAGE, workers: int = 1) -> list[Topic]:
    """Group matters into topics, hottest first; single hot messages come after the topics
    (``Topic.single``).

    A group whose dates pause for more than ``BURST_GAP_DAYS`` is split into bursts. The
    heat (:func:`heat`) counts messages, likes and dislikes (20 votes to one message) and
    shrinks with the span. Groups whose messages + votes/20 is below ``min_size`` are
    dropped, so a lone message still counts when enough people support it.
    ``items`` are :class:`TopicItem` or (id, text[, votes[, place[, accused[, when[,
    dislikes[, author]]]]]]) tuples.
    """
    state = TopicState(threshold=threshold, k=k)
    state.add([_as_item(x) for x in items], workers)
    return state.topics(min_size=min_size, n_keywords=n_keywords,
                        votes_per_message=votes_per_message)


_FORKED: tuple[TopicState, Sequence[TopicItem], int, int] | None = None  # for forked workers


def _forked_links(part: int) -> list[tuple[float, int, int]]:
    assert _FORKED is not None  # set by the parent before the fork
    state, its, base, parts = _FORKED
    return state._links_part(its, base, part, parts)


class TopicState:
    """What clustering has learned, kept between runs so a run adds only the new matters.

    A full run adds every matter at once; an incremental run (:meth:`update`) adds the matters
    received since, links each to the matters it is most like (the same query, threshold and
    merge rules as the full run) and retires the matters that left the window. The groups of
    earlier matters are kept as they were: a new matter joins them (or joins two of them), it
    never splits one. The result agrees with a full run within a tolerance measured by
    ``tests/nlp/test_nlp_topics_incremental.py`` (docs/nlp.md); the app re-clusters in full
    every day. Texts are not kept: per matter only the index's bigram rows, the headline,
    the keyword tokens, the date, votes, author and the given place/unit.
    """

    def __init__(self, threshold: float = TOPIC_THRESHOLD, k: int = 30) -> None:
        self.threshold = threshold
        self.k = k
        self.idx = SimilarityIndex(threshold=threshold)
        self.items: list[TopicItem] = []  # text dropped ("")
        self.heads: list[str] = []
        self.tokens: list[str] = []  # keyword tokens, space-separated
        self.subject: list[tuple[Entity, ...]] = []
        self.alive: list[bool] = []
        self.pos: dict[str, int] = {}
        self.df: Counter[str] = Counter()
        self.groups = _Groups(0, [], self.idx.places)
        self.meta: dict[str, Any] = {}  # the caller's (e.g. when the last full run was)
        self._leads: dict[int, int] = {}  # hash of a topic's member rows -> its lead row

    def __len__(self) -> int:
        return sum(self.alive)

    def ids(self) -> set[str]:
        return {it.id for it, ok in zip(self.items, self.alive, strict=True) if ok}

    def add(self, items: Sequence[TopicItem], workers: int = 1) -> int:
        """Add matters (new ids only) and link them; returns how many were added. ``workers``:
        processes for the queries (forked; used from ``PARALLEL_MIN`` new matters)."""
        its = [it for it in items if it.id not in self.pos]
        if not its:
            return 0
        base = len(self.items)
        self.idx.add_many((it.id, it.text, it.place, it.accused) for it in its)
        docs = [_prepare(it.text) for it in its]
        gaz = self.idx.places.gazetteer or None
        for n, (it, d) in enumerate(zip(its, docs, strict=True)):
            self.pos[it.id] = base + n
            self.items.append(TopicItem(it.id, "", it.votes, it.place, it.accused, it.when,
                                        it.dislikes, it.author))
            self.heads.append(d.head)
            self.subject.append(_subject_entities(d, gaz))
            toks = sorted({w for w in tokenize(d.head + "。" + d.opening) if _keyword_ok(w)})
            self.tokens.append(" ".join(toks))
            self.df.update(toks)
            self.alive.append(True)
            self.groups.parent.append(base + n)
            self.groups.ents.append(list(self.subject[-1]))
        edges = self._links(its, base, workers)
        subject = self.subject
        problem = self.idx._problem
        for score, a, b in sorted(set(edges), reverse=True):
            # Below the same-matter threshold, only a shared named place/object/case *and* an
            # agreeing problem link two matters: the same place is not the same matter (every
            # post about one 小区 is not one topic), and look-alike texts about different
            # things do not chain.
            if score >= max(self.threshold, DEFAULT_THRESHOLD) or (
                    entities_agree(subject[a], subject[b], self.idx.places)
                    and problems_agree(problem[a], problem[b])):
                self.groups.union(a, b)
        return len(its)

    def _links_part(self, its: Sequence[TopicItem], base: int, part: int, parts: int
                    ) -> list[tuple[float, int, int]]:
        edges: list[tuple[float, int, int]] = []
        for n in range(part, len(its), parts):
            it, me = its[n], base + n
            for other, score in self.idx.query(it.text, place=it.place, accused=it.accused,
                                               k=self.k, exclude=it.id, min_score=self.threshold):
                o = self.pos.get(other)
                if o is not None and o != me and score >= self.threshold and self.alive[o]:
                    edges.append((score, min(me, o), max(me, o)))
        return edges

    def _links(self, its: Sequence[TopicItem], base: int, workers: int) -> list[tuple[float, int, int]]:
        """Each new matter's links (score ≥ threshold) to the held ones: its top-k query. With
        ``workers`` > 1 and enough matters the queries are split over forked processes, which
        share the built index copy-on-write; the links are the same."""
        workers = min(workers, os.cpu_count() or 1)
        if workers <= 1 or len(its) < PARALLEL_MIN or "fork" not in mp.get_all_start_methods():
            return self._links_part(its, base, 0, 1)
        global _FORKED
        _FORKED = (self, its, base, workers)
        try:
            with mp.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_forked_links, range(workers))
        finally:
            _FORKED = None
        return [e for part in parts for e in part]

    def retire(self, ids: Iterable[str]) -> int:
        """Matters that left the window (or may no longer be clustered): out of every topic
        and of the keyword statistics; returns how many."""
        n = 0
        for i in ids:
            row = self.pos.get(i)
            if row is not None and self.alive[row]:
                self.alive[row] = False
                self.df.subtract(self.tokens[row].split())
                n += 1
        return n

    def update(self, items: Sequence[TopicItem], keep: Iterable[str] | None = None,
               workers: int = 1) -> dict[str, int]:
        """The incremental run: retire the matters not in ``keep`` (the window's ids, when
        given), then add ``items`` (those not yet held)."""
        retired = self.retire(self.ids() - set(keep)) if keep is not None else 0
        return {"added": self.add(items, workers), "retired": retired}

    def topics(self, min_size: float = 2, n_keywords: int = 6,
               votes_per_message: float = VOTES_PER_MESSAGE) -> list[Topic]:
        """The topics of the living matters, hottest first (see :func:`cluster_topics`)."""
        its = self.items
        members: dict[int, list[int]] = {}
        for n, ok in enumerate(self.alive):
            if ok:
                members.setdefault(self.groups.find(n), []).append(n)
        clusters = [b for m in members.values() for b in split_bursts(m, its)]
        clusters = [m for m in clusters if _raw(m, its, votes_per_message) >= min_size]
        # keywords: tf within the group x idf over all living headlines+openings
        n_docs = len(self)
        df = self.df
        # A topic whose members did not change keeps its label (no re-scoring of its pool).
        leads = self._leads
        kept: dict[int, int] = {}
        topics: list[Topic] = []
        for m in clusters:
            toks = {i: self.tokens[i].split() for i in m}
            tf = Counter(w for i in m for w in toks[i])
            scored = sorted(tf, key=lambda w: (-tf[w] * math.log((n_docs + 1) / (df[w] + 1)), w))
            key = hash(tuple(m))
            lead = leads.get(key, -1)
            if lead not in m:  # new, changed (or, at worst, a colliding hash): score its pool
                lead = _central(m, its, self.idx)
            kept[key] = lead
            names = sorted({e.name for i in m for e in self.subject[i]})
            dates = sorted(d for i in m if (d := its[i].when) is not None)
            topics.append(Topic(
                label=self.heads[lead],
                keywords=scored[:n_keywords],
                ids=[its[i].id for i in sorted(m, key=lambda i: (-its[i].votes, i))],
                votes=sum(max(its[i].votes, 0) for i in m),
                dislikes=sum(max(its[i].dislikes, 0) for i in m),
                entities=names,
                first=dates[0] if dates else None,
                last=dates[-1] if dates else None,
                petitioners=len({its[i].author or f"#{i}" for i in m}),
                groups=sorted({g for i in m for g in (its[i].place, its[i].accused) if g}),
                single=len(m) == 1,
                lead=its[lead].id,
                keyword_ids={w: [its[i].id for i in m if w in toks[i]]
                             for w in scored[:n_keywords]},
            ))
            t = topics[-1]
            t.heat = heat(t.size, t.votes, t.dislikes, t.span_days, votes_per_message)
        self._leads = kept
        topics.sort(key=lambda t: (t.single, -t.heat, -t.size, t.ids[0]))
        return topics

    def save(self, path: str | Path) -> Path:
        """Pickle the state (written under a temporary name, then renamed)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        if self.idx._delta:
            self.idx._merge(np.zeros(0, np.uint32), np.zeros(0, np.int32))
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump({"format": STATE_FORMAT, "state": self}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, p)
        return p

    @classmethod
    def load(cls, path: str | Path) -> TopicState | None:
        """The saved state, or None when there is none or it is of another format. A pickle:
        load only files this deployment wrote."""
        try:
            with Path(path).open("rb") as fh:
                got = pickle.load(fh)  # the job's own file under the data directory
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None
        if not isinstance(got, dict) or got.get("format") != STATE_FORMAT:
            return None
        state = got.get("state")
        return state if isinstance(state, cls) else None


def _raw(m: list[int], its: Sequence[TopicItem], votes_per_message: float) -> float:
    """Messages + votes/20, before the time factor: what ``min_size`` is compared with."""
    return len(m) + sum(max(its[i].votes, 0) + DISLIKE_WEIGHT * max(its[i].dislikes, 0)
                        for i in m) / votes_per_message


def split_bursts(m: list[int], its: Sequence[TopicItem], gap: int = BURST_GAP_DAYS) -> list[list[int]]:
    """Split a group where its dates pause for more than ``gap`` days (two outbreaks of one
    kind of complaint are two topics). Messages without a date stay with the first burst."""
    dated = sorted((i for i in m if its[i].when is not None), key=lambda i: (its[i].when, i))
    if len(dated) < 2:
        return [m]
    out: list[list[int]] = [[dated[0]]]
    for prev, cur in itertools.pairwise(dated):
        if (its[cur].when - its[prev].when).days > gap:  # type: ignore[operator]
            out.append([])
        out[-1].append(cur)
    out[0][:0] = [i for i in m if its[i].when is None]
    return out


def _central(m: list[int], its: Sequence[TopicItem], idx: SimilarityIndex, cap: int = 40) -> int:
    """The member most similar, on average, to the others (the topic's label): not the most
    liked post, which is often an outlier. Large topics are judged on their ``cap`` most
    voted members. Scored on the index's stored rows (the same score as a query, without
    the place gate), so no text is needed."""
    if len(m) <= 2:
        return max(m, key=lambda i: (its[i].votes, -i))
    pool = sorted(m, key=lambda i: (-its[i].votes, i))[:cap]
    best, best_score = pool[0], -1.0
    for i in pool:
        got = idx.row_scores(i, pool)
        score = (float(got.sum()) - float(got[pool.index(i)])) / (len(pool) - 1)
        if score > best_score:
            best, best_score = i, score
    return best


def _keyword_ok(w: str) -> bool:
    return len(w) >= 2 and w not in _STOP and not PLACE_CODE.fullmatch(w) and not w.isdigit()
