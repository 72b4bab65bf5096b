"""Hot topics: group matters about the same concrete issue and rank the groups.

A topic is a connected group of "same matter" links (see :mod:`.similarity`), merged
largest-score first and never across two different named places/objects (union-find with an
entity constraint, so 搅拌站 complaints about two 小区 stay two topics). Keywords are the
words most specific to the group (TF-IDF of jieba tokens against the whole input).
Plain Python: never import Django here.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .places import Places
from .similarity import (
    DEFAULT_THRESHOLD,
    SimilarityIndex,
    _prepare,
    _subject_entities,
    problem_bigrams,
    problems_agree,
)
from .text import (
    PLACE_CODE,
    Entity,
    entities_agree,
    entities_conflict,
    extract_entities,
    tokenize,
)

_STOP = frozenset(
    ["问题", "反映", "关于", "请求", "希望", "建议", "咨询", "投诉", "举报", "请问", "为什么", "什么", "何时", "怎么", "如何", "是否", "能否", "可以", "没有", "不能", "一个", "我们", "你们", "他们", "相关", "部门", "领导", "政府", "书记", "市长", "尊敬", "您好", "谢谢", "感谢", "严重", "情况", "进行", "要求", "解决", "处理", "还是", "已经", "一直", "现在", "目前", "这个", "那个", "以及", "并且", "而且", "但是", "因为", "所以", "如果", "其中", "时候", "多次", "附近", "周边", "居民", "业主", "小区", "市民", "老百姓", "群众", "百姓", "问问", "为何", "到底", "迟迟", "请问"]
)


TOPIC_THRESHOLD = 0.22  # a topic is broader than one matter: same issue, same place/case
VOTES_PER_MESSAGE = 20  # heat = messages + votes / VOTES_PER_MESSAGE


@dataclass(frozen=True, slots=True)
class TopicItem:
    id: str
    text: str  # "title\nbody"
    votes: int = 0
    place: str | None = None
    accused: str | None = None


@dataclass(slots=True)
class Topic:
    label: str  # headline of the group's most-voted matter
    keywords: list[str]
    ids: list[str]
    votes: int
    entities: list[str] = field(default_factory=list)

    heat: float = 0.0

    @property
    def size(self) -> int:
        return len(self.ids)


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
                   votes_per_message: float = VOTES_PER_MESSAGE) -> list[Topic]:
    """Group matters into topics, largest first.

    "Largest" is the heat: messages + votes / ``votes_per_message`` (a message with 40 likes
    weighs like three messages). Topics whose heat is below ``min_size`` are dropped, so a
    lone message still makes a topic when enough people support it.
    ``items`` are :class:`TopicItem` or (id, text[, votes[, place[, accused]]]) tuples.
    """
    its = [_as_item(x) for x in items]
    if not its:
        return []
    idx = SimilarityIndex(threshold=threshold)
    idx.add_many((it.id, it.text, it.place, it.accused) for it in its)
    pos = {it.id: n for n, it in enumerate(its)}
    docs = [_prepare(it.text) for it in its]
    edges: list[tuple[float, int, int]] = []
    for n, it in enumerate(its):
        for other, score in idx.query(it.text, place=it.place, accused=it.accused, k=k, exclude=it.id):
            o = pos.get(other)
            if o is not None and o != n and score >= threshold:
                edges.append((score, min(n, o), max(n, o)))
    subject = [_subject_entities(d, idx.places.gazetteer or None) for d in docs]
    problem = [problem_bigrams(d, e) for d, e in zip(docs, subject, strict=True)]
    groups = _Groups(len(its), subject, idx.places)
    for score, a, b in sorted(set(edges), reverse=True):
        # Below the same-matter threshold, only a shared named place/object/case *and* an
        # agreeing problem link two matters: the same place is not the same matter (every
        # post about one 小区 is not one topic), and look-alike texts about different things
        # do not chain.
        if score >= max(threshold, DEFAULT_THRESHOLD) or (
                entities_agree(subject[a], subject[b], idx.places)
                and problems_agree(problem[a], problem[b])):
            groups.union(a, b)
    members: dict[int, list[int]] = {}
    for n in range(len(its)):
        members.setdefault(groups.find(n), []).append(n)
    def heat(m: list[int]) -> float:
        return len(m) + sum(max(its[i].votes, 0) for i in m) / votes_per_message

    clusters = [m for m in members.values() if heat(m) >= min_size]
    # keywords: tf within the group x idf over all headlines+openings
    tokens = [[w for w in tokenize(d.head + "。" + d.opening) if _keyword_ok(w)] for d in docs]
    df = Counter(w for ts in tokens for w in set(ts))
    n_docs = len(docs)
    topics: list[Topic] = []
    for m in clusters:
        tf = Counter(w for i in m for w in set(tokens[i]))
        scored = sorted(tf, key=lambda w: (-tf[w] * math.log((n_docs + 1) / (df[w] + 1)), w))
        named = [i for i in m if extract_entities(docs[i].head)] or m
        lead = max(named, key=lambda i: (its[i].votes, -i))
        names = sorted({e.name for e in groups.ents[groups.find(m[0])]})
        topics.append(Topic(
            label=docs[lead].head,
            keywords=scored[:n_keywords],
            ids=[its[i].id for i in sorted(m, key=lambda i: (-its[i].votes, i))],
            votes=sum(its[i].votes for i in m),
            entities=names,
            heat=round(heat(m), 2),
        ))
    topics.sort(key=lambda t: (-t.heat, -t.size, t.ids[0]))
    return topics


def _keyword_ok(w: str) -> bool:
    return len(w) >= 2 and w not in _STOP and not PLACE_CODE.fullmatch(w) and not w.isdigit()
