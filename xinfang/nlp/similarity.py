"""Repeat / same-matter detection: TF-IDF over hashed character 2–3-grams with an inverted
index, re-scored by cosine and gated by place/object entities.

"Same matter" = the same concrete problem about the same place, object or case: two 小区 with
物业 disputes are not the same matter, so when both texts name a 小区 (村, 学校, 医院, 公司 …)
the names must agree; explicit ``place``/``accused`` values must agree when both are given.

Plain Python + numpy: never import Django here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .packed import Ids, Meta, Metas, Rows
from .places import Gazetteer, Places, one_edit
from .text import (
    PLACE_CODE,
    Entity,
    conflicting_kind,
    entities_agree,
    extract_entities,
    headline,
    normalize,
    place_codes,
)

FORMAT_VERSION = 4  # 4: one .npy a packed array (memory-mapped by load), metadata as JSON lines
N_BUCKETS = 1 << 22  # hashed bigram space
HEAD_CHARS = 40  # headline (title) characters used
TEXT_CHARS = 320  # the opening of a text states the matter; long tails only dilute it
OPEN_CHARS = 80  # body characters (after the headline) put in the inverted index
PROBE_BUDGET = 30_000  # postings read per query at most
MAX_PROBES = 32
N_CANDIDATES = 200
ADD_BATCH = 1000  # texts hashed together by add_many
DEFAULT_THRESHOLD = 0.26
AGREE_BONUS = 0.1
HEAD_WEIGHT = 0.5  # score = max(cos_text, (1-w)·cos_text + w·cos_headline)
DISAGREE_PENALTY = 0.05  # same named place, headlines naming different problems
PROBLEM_SHARED = 1  # problem bigrams two headlines must share to agree on the problem
TYPO_TEXT = 0.8  # names one character apart in texts this alike (cos_text): a typo, not a veto
# Bigrams that say nothing about the problem (反映, 关于 …): left out of the problem overlap.
_FILLER_WORDS = ("反映 关于 投诉 举报 请求 希望 建议 咨询 请问 问题 情况 严重 要求 解决 处理 尽快 相关 部门 "
           "领导 政府 为何 为什么 什么 何时 怎么 如何 是否 能否 可以 没有 不能 我们 小区 业主 居民 "
           "市民 群众 一直 已经 多次 长期 迟迟 至今 现在 目前 再次 还是 到底 为啥 恳请 强烈 呼吁 急需")
_FILLER = _FILLER_WORDS.split()

_Meta = Meta

_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)


def _bigram_hashes(text: str) -> np.ndarray:
    """Hashed character bigram at each position (position i = text[i:i+2]); bigrams that
    span punctuation or spaces get the sentinel N_BUCKETS. Deterministic across processes."""
    if len(text) < 2:
        return np.zeros(0, np.uint32)
    c = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    ok = ((c >= 0x3400) & (c <= 0x9FFF)) | ((c >= 0x30) & (c <= 0x39)) | (
        (c >= 0x41) & (c <= 0x5A)) | ((c >= 0x61) & (c <= 0x7A)) | ((c >= 0xF900) & (c <= 0xFAFF))
    with np.errstate(over="ignore"):
        h = (c[:-1] * _K1) ^ (c[1:] * _K2)
        h = ((h ^ (h >> np.uint64(29))) * _K2) >> np.uint64(64 - 22)
    out: np.ndarray = h.astype(np.uint32)
    out[~(ok[:-1] & ok[1:])] = N_BUCKETS
    return out


def _uniq(h: np.ndarray) -> np.ndarray:
    u = np.unique(h)
    return u[:-1] if len(u) and u[-1] == N_BUCKETS else u


def bigrams(text: str) -> np.ndarray:
    """Sorted unique hashed character bigrams (bucket ids) of normalised text."""
    return _uniq(_bigram_hashes(text))


@dataclass(frozen=True, slots=True)
class _Doc:
    head: str
    text: str  # headline + opening of the body, normalised
    opening: str  # headline + first OPEN_CHARS of the body


def _norm_key(value: str | None) -> str:
    return normalize(value).replace(" ", "") if value else ""


def _keys_conflict(a: str, b: str) -> bool:
    return bool(a and b) and not (a == b or a in b or b in a)


def _keys_agree(a: str, b: str) -> bool:
    return bool(a and b) and (a == b or a in b or b in a)


def _prepare(text: str) -> _Doc:
    """Headline = first line of "title\nbody" text, otherwise the first sentence."""
    raw = text or ""
    head = normalize(headline(raw))[:HEAD_CHARS]
    full = normalize(raw)
    body = (full[len(head):] if full.startswith(head) else full).lstrip(" 。,.")
    return _Doc(head, f"{head}。{body}"[:TEXT_CHARS], f"{head}。{body[:OPEN_CHARS]}")


def _subject_entities(doc: _Doc, gazetteer: Gazetteer | None = None) -> tuple[Entity, ...]:
    """Entities that say what the matter is about: those in the headline, else the opening."""
    return extract_entities(doc.head, gazetteer) or extract_entities(doc.opening, gazetteer)


@lru_cache(maxsize=1)
def _filler_words() -> tuple[str, ...]:
    from .places import DESCRIPTIVE

    return tuple(sorted({*_FILLER, *DESCRIPTIVE}, key=len, reverse=True))


def _problem_head(doc: _Doc, ents: Sequence[Entity]) -> str:
    head = PLACE_CODE.sub(" ", doc.head)
    for e in ents:
        head = head.replace(e.name, " ").replace(e.core, " ")
    for w in _filler_words():
        if w in head:
            head = head.replace(w, " ")
    return head


def problem_bigrams(doc: _Doc, ents: Sequence[Entity]) -> np.ndarray:
    """What the headline says the problem is: its bigrams without the names of places and
    objects, district codes and filler words (停水, 搅拌站, 捆绑销售车位 …). Two texts about
    the same place agree on the problem when these overlap."""
    return bigrams(_problem_head(doc, ents))


def _joined_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The bigram hashes of many texts in one pass (joined by a line break, which no bigram
    spans), and where each text starts."""
    lens = np.fromiter((len(t) for t in texts), np.int64, len(texts))
    return _bigram_hashes("\n".join(texts)), np.cumsum(lens + 1) - (lens + 1)


def _prefix_rows(h: np.ndarray, starts: np.ndarray, prefix: np.ndarray) -> list[np.ndarray]:
    """For each text, ``_uniq`` of its hashes over its first ``prefix`` characters: one
    ``np.unique`` over (text, bucket) keys for all of them (it was three a text)."""
    lim = np.maximum(prefix - 1, 0)
    row = np.repeat(np.arange(len(starts), dtype=np.uint64), lim)
    idx = np.arange(int(lim.sum()), dtype=np.int64) + np.repeat(starts - (np.cumsum(lim) - lim), lim)
    vals = h[idx]
    keep = vals != N_BUCKETS
    keys = np.unique((row[keep] << np.uint64(32)) | vals[keep].astype(np.uint64))
    counts = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=len(starts))
    return np.split((keys & np.uint64(0xFFFFFFFF)).astype(np.uint32), np.cumsum(counts)[:-1])


def problems_agree(a: np.ndarray, b: np.ndarray) -> bool:
    """The two headlines share a problem bigram (or one of them says nothing beyond the place:
    then the text score alone decides, without the place bonus)."""
    return len(a) > 0 and len(b) > 0 and np.intersect1d(a, b, assume_unique=True).size >= PROBLEM_SHARED


def _entities(meta: _Meta) -> tuple[Entity, ...]:
    return tuple(Entity(kind, core, core, within) for kind, core, within in meta.entities)


class _Gate:
    """The entity gate and agreement bonus of a query (see :meth:`SimilarityIndex.query`)."""

    def __init__(self, doc: _Doc, place: str | None, accused: str | None,
                 places: Places | None = None) -> None:
        self.places = places
        self.ents = _subject_entities(doc, places.gazetteer if places else None)
        self.problem = problem_bigrams(doc, self.ents)
        self.dist = place_codes(doc.head)
        self.place, self.acc = _norm_key(place), _norm_key(accused)

    def vetoed(self, d_ents: tuple[Entity, ...], cos_text: float) -> bool:
        """Different named places of one kind veto the pair, unless the texts differ only in
        the name and the names are one character apart (the same post with a typo)."""
        kind = conflicting_kind(self.ents, d_ents, self.places)
        if not kind:
            return False
        if cos_text < TYPO_TEXT:
            return True
        mine = [e.core for e in self.ents if e.kind == kind]
        theirs = [e.core for e in d_ents if e.kind == kind]
        return not all(any(one_edit(x, y) for y in theirs) for x in mine)

    def __call__(self, meta: _Meta, score: float, cos_text: float = 0.0,
                 problem: np.ndarray | None = None) -> float | None:
        """The final score against one indexed matter, or None when it is gated out."""
        if _keys_conflict(self.place, meta.place) or _keys_conflict(self.acc, meta.accused):
            return None
        d_ents = _entities(meta)
        if self.vetoed(d_ents, cos_text):
            return None
        if self.dist and meta.districts and not (self.dist & meta.districts):
            return None
        # The same place is not the same matter: the bonus needs the problem to agree too.
        same_problem = problem is None or problems_agree(self.problem, problem)
        same_place = entities_agree(self.ents, d_ents, self.places)
        if same_problem and (same_place or _keys_agree(self.place, meta.place)
                             or _keys_agree(self.acc, meta.accused)):
            score += AGREE_BONUS
        elif same_place and problem is not None and len(self.problem) and len(problem):
            # One place, two problems the headlines name (楼板开裂 / 入学): the shared name
            # and the estate's boilerplate lift the text score, so take the lift back.
            score -= DISAGREE_PENALTY
        return round(min(score, 1.0), 4)


class SimilarityIndex:
    """An append-only index of historic matters.

    >>> idx = SimilarityIndex()
    >>> idx.add("m1", "丽发新城小区物业强行停水\n我们小区物业……", place="丽发新城")
    >>> idx.query("丽发新城物业又停水了", k=5)        # [("m1", 0.6…)]

    ``text`` is "title\nbody" (the first line counts as the title) or plain text (the
    first sentence counts). ``query`` returns the best ``k`` (id, score) pairs, highest
    first; a score at or above :attr:`threshold` means "same matter" (:meth:`matches`).

    Representation: binary TF-IDF over hashed character bigrams of the headline plus the
    opening of the text, and separately of the headline; candidates come from an inverted
    index over the bigrams of the headline and the body's first sentences, read rarest first.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, gazetteer: Gazetteer | None = None) -> None:
        self.threshold = threshold
        self.places = Places(gazetteer or Gazetteer())
        self.ids = Ids()
        self._meta = Metas()
        self._problem = Rows()
        self._df = np.zeros(N_BUCKETS, np.int32)
        # Document frequencies of rows added to a read-only (memory-mapped) ``_df``: the rows'
        # buckets, counted when a query needs them (``_df_more_counts``).
        self._df_more: list[np.ndarray] = []
        self._df_more_counts: tuple[np.ndarray, np.ndarray] | None = None
        self._text = Rows()
        self._head = Rows()
        # inverted index: CSR over buckets ("main") + recently added postings ("delta")
        self._indptr = np.zeros(N_BUCKETS + 1, np.int32)
        self._postings = np.zeros(0, np.int32)
        self._delta: dict[int, list[int]] = {}
        self._delta_size = 0
        self.mapped = False  # loaded memory-mapped: the packed arrays are read-only

    def __len__(self) -> int:
        return len(self.ids)

    def _idf(self, buckets: np.ndarray) -> np.ndarray:
        # idf = log((n + 1) / (df + 1)) + 1, computed for the gathered buckets only: exact at
        # every size, and no bucket-sized table to keep or refresh (a whole-table refresh
        # cost milliseconds per registration on a small index, and 16 MB in every process).
        df = np.asarray(self._df[buckets])
        if self._df_more:
            if self._df_more_counts is None:
                self._df_more_counts = np.unique(np.concatenate(self._df_more), return_counts=True)
            keys, counts = self._df_more_counts
            at = np.minimum(np.searchsorted(keys, buckets), len(keys) - 1)
            df = df + np.where(keys[at] == buckets, counts[at], 0)
        idf: np.ndarray = (np.log(len(self.ids) + 1.0) + 1.0) - np.log1p(df.astype(np.float64))
        return idf

    # -- adding ------------------------------------------------------------------------
    def add(self, id: str, text: str, place: str | None = None, accused: str | None = None) -> None:
        """Add one matter. ``place`` and ``accused`` (被反映单位/对象) are optional
        structured values from the intake form."""
        self.add_many([(id, text, place, accused)])

    def add_many(self, items: Iterable[tuple[str, str, str | None, str | None]]) -> None:
        """Bulk add (id, text, place, accused)."""
        post_b: list[np.ndarray] = []
        post_d: list[np.ndarray] = []
        batch: list[tuple[str, str, str | None, str | None]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= ADD_BATCH:
                self._add_batch(batch, post_b, post_d)
                batch = []
        if batch:
            self._add_batch(batch, post_b, post_d)
        if not post_b:
            return
        b = np.concatenate(post_b)
        d = np.concatenate(post_d)
        if self.mapped:  # the CSR arrays are shared and read-only: the delta keeps the rest
            for bb, dd in zip(b.tolist(), d.tolist(), strict=True):
                self._delta.setdefault(bb, []).append(dd)
            self._delta_size += len(b)
            return
        if len(b) > 50_000 or len(b) > len(self._postings) // 20:
            self._merge(b, d)
            return
        for bb, dd in zip(b.tolist(), d.tolist(), strict=True):
            self._delta.setdefault(bb, []).append(dd)
        self._delta_size += len(b)
        if self._delta_size > max(50_000, len(self._postings) // 20):
            self._merge(np.zeros(0, np.uint32), np.zeros(0, np.int32))

    def _add_batch(self, batch: Sequence[tuple[str, str, str | None, str | None]],
                   post_b: list[np.ndarray], post_d: list[np.ndarray]) -> None:
        """The texts' rows, metadata and document frequencies; their postings to ``post_*``.
        The bigrams of a batch are hashed and made unique in one pass each."""
        gaz = self.places.gazetteer or None
        base = len(self.ids)
        docs, problems = [], []
        for id_, text, place, accused in batch:
            doc = _prepare(text)
            ents = _subject_entities(doc, gaz)
            self.places.learn(ents)
            self.ids.append(str(id_))
            self._meta.append(_Meta(tuple((e.kind, e.core, e.within) for e in ents),
                                    place_codes(doc.head), _norm_key(place), _norm_key(accused)))
            docs.append(doc)
            problems.append(_problem_head(doc, ents))
        # head and opening are prefixes of text
        h, starts = _joined_hashes([d.text for d in docs])
        size = np.fromiter((len(d.text) for d in docs), np.int64, len(docs))
        texts = _prefix_rows(h, starts, size)
        opening = _prefix_rows(h, starts, np.minimum(
            np.fromiter((len(d.opening) for d in docs), np.int64, len(docs)), size))
        heads = _prefix_rows(h, starts, np.minimum(
            np.fromiter((len(d.head) for d in docs), np.int64, len(docs)), size))
        ph, pstarts = _joined_hashes(problems)
        probs = _prefix_rows(ph, pstarts, np.fromiter((len(p) for p in problems), np.int64,
                                                      len(problems)))
        for tb, hb, pb in zip(texts, heads, probs, strict=True):
            self._text.append(tb)
            self._head.append(hb)
            self._problem.append(pb)
        every = np.concatenate(texts)
        if self.mapped:
            self._df_more.append(every)
            self._df_more_counts = None
        else:
            np.add.at(self._df, every, 1)  # a bucket once a text: += 1 per text
        post_b.append(np.concatenate(opening))
        post_d.append(np.repeat(np.arange(base, base + len(docs), dtype=np.int32),
                                [len(o) for o in opening]))

    def _merge(self, buckets: np.ndarray, docs: np.ndarray) -> None:
        """Fold new postings (and the delta) into the CSR arrays."""
        counts = np.diff(self._indptr)
        parts_b = [np.repeat(np.arange(N_BUCKETS, dtype=np.uint32), counts), buckets.astype(np.uint32)]
        parts_d = [self._postings, docs.astype(np.int32)]
        if self._delta:
            parts_b.append(np.fromiter((b for b, ds in self._delta.items() for _ in ds), np.uint32))
            parts_d.append(np.fromiter((d for ds in self._delta.values() for d in ds), np.int32))
        allb = np.concatenate(parts_b)
        alld = np.concatenate(parts_d)
        # Stable radix sort by bucket keeps each bucket's documents in insertion order.
        order = np.argsort(allb, kind="stable")
        self._postings = alld[order]
        # int32 offsets (half the 4M-entry table): postings stay far below 2**31.
        self._indptr = np.zeros(N_BUCKETS + 1, np.int32)
        np.cumsum(np.bincount(allb, minlength=N_BUCKETS), out=self._indptr[1:], dtype=np.int32)
        self._delta = {}
        self._delta_size = 0

    # -- querying ----------------------------------------------------------------------
    def _candidates(self, probe: np.ndarray) -> np.ndarray:
        """Documents sharing the most of the query's rarest opening bigrams."""
        lo = self._indptr[probe]
        hi = self._indptr[probe + 1]
        lengths = hi - lo
        if self._delta:
            lengths = lengths + np.array([len(self._delta.get(int(b), ())) for b in probe.tolist()])
        order = [i for i in np.argsort(lengths, kind="stable").tolist() if lengths[i] > 0]
        lists: list[np.ndarray] = []
        used = 0
        for i in order[:MAX_PROBES]:
            if used + lengths[i] > PROBE_BUDGET and lists:
                break
            if hi[i] > lo[i]:
                lists.append(self._postings[lo[i] : hi[i]])
            extra = self._delta.get(int(probe[i]))
            if extra:
                lists.append(np.asarray(extra, np.int32))
            used += int(lengths[i])
        if not lists:
            return np.zeros(0, np.int64)
        docs, hits = np.unique(np.concatenate(lists), return_counts=True)
        if len(docs) > N_CANDIDATES:
            docs = docs[np.argpartition(-hits, N_CANDIDATES)[:N_CANDIDATES]]
        return docs.astype(np.int64)

    def _cosine(self, rows: Rows, cand: np.ndarray, q: np.ndarray) -> np.ndarray:
        if len(q) == 0 or len(cand) == 0:
            return np.zeros(len(cand))
        qw = self._idf(q)
        qnorm = float(np.sqrt((qw**2).sum())) or 1.0
        F, lens = rows.gather(cand)
        if lens.sum() == 0:
            return np.zeros(len(cand))
        owner = np.repeat(np.arange(len(cand)), lens)
        w = self._idf(F)
        pos = np.minimum(np.searchsorted(q, F), len(q) - 1)
        hit = q[pos] == F
        dot = np.bincount(owner, weights=w * qw[pos] * hit, minlength=len(cand))
        norm = np.sqrt(np.bincount(owner, weights=w * w, minlength=len(cand)))
        return dot / (np.maximum(norm, 1e-9) * qnorm)

    def query(self, text: str, place: str | None = None, accused: str | None = None,
              k: int = 5, exclude: str | None = None, min_score: float = 0.0) -> list[tuple[str, float]]:
        """The ``k`` most similar indexed matters as (id, score), best first.

        Matters naming a different 小区/村/学校/医院/公司 in their headline (or a different
        district, or, when both are given, a different place/accused) are left out. With
        ``min_score`` only matters scoring at least that are returned, and candidates that
        cannot reach it even with the agreement bonus are not gated (the topics' links).
        """
        if not self.ids:
            return []
        doc = _prepare(text)
        tq = bigrams(doc.text)
        cand = self._candidates(bigrams(doc.opening))
        if len(cand) == 0 or len(tq) == 0:
            return []
        cos_text = self._cosine(self._text, cand, tq)
        cos_head = self._cosine(self._head, cand, bigrams(doc.head))
        score = np.maximum(cos_text, (1 - HEAD_WEIGHT) * cos_text + HEAD_WEIGHT * cos_head)
        gate = _Gate(doc, place, accused, self.places)
        out: list[tuple[str, float]] = []
        floor = max(0.0, min_score - AGREE_BONUS - 0.001)  # below it no bonus reaches min_score
        for j in np.argsort(-score)[: max(4 * k, 40)].tolist():
            sc = float(score[j])
            if sc <= floor:
                break
            row = int(cand[j])
            doc_id = self.ids[row]
            if exclude is not None and doc_id == exclude:
                continue
            gated = gate(self._meta[row], sc, float(cos_text[j]), self._problem[row])
            if gated is not None and gated >= min_score:
                out.append((doc_id, gated))
        out.sort(key=lambda p: -p[1])
        return out[:k]

    def scores(self, text: str, ids: Iterable[str], place: str | None = None,
               accused: str | None = None) -> dict[str, float]:
        """The score of ``text`` against each of the given indexed matters (the same score
        and entity gate as :meth:`query`, without the candidate search): how the repeat
        finder judges one petitioner's few earlier matters, which a top-k search over the
        whole index could crowd out. Ids not in the index, or gated out, are absent."""
        if not self.ids:
            return {}
        cand = np.array(sorted({p for i in ids if (p := self.ids.pos(i)) is not None}), np.int64)
        doc = _prepare(text)
        tq = bigrams(doc.text)
        if len(cand) == 0 or len(tq) == 0:
            return {}
        cos_text = self._cosine(self._text, cand, tq)
        cos_head = self._cosine(self._head, cand, bigrams(doc.head))
        score = np.maximum(cos_text, (1 - HEAD_WEIGHT) * cos_text + HEAD_WEIGHT * cos_head)
        gate = _Gate(doc, place, accused, self.places)
        out: dict[str, float] = {}
        for j, sc in enumerate(score.tolist()):
            row = int(cand[j])
            gated = (gate(self._meta[row], float(sc), float(cos_text[j]), self._problem[row])
                     if sc > 0.0 else None)
            if gated is not None:
                out[self.ids[int(cand[j])]] = gated
        return out

    def row_scores(self, row: int, rows: Sequence[int]) -> np.ndarray:
        """The ungated score of indexed row ``row`` against each of ``rows`` (the stored
        bigrams stand for the text: a topic's most central member without its text)."""
        cand = np.asarray(rows, np.int64)
        cos_text = self._cosine(self._text, cand, self._text[row])
        cos_head = self._cosine(self._head, cand, self._head[row])
        out: np.ndarray = np.maximum(cos_text, (1 - HEAD_WEIGHT) * cos_text + HEAD_WEIGHT * cos_head)
        return out

    def matches(self, text: str, place: str | None = None, accused: str | None = None,
                k: int = 5, exclude: str | None = None) -> list[tuple[str, float]]:
        """Like :meth:`query` but only matters judged the same (score ≥ threshold)."""
        return [p for p in self.query(text, place, accused, k, exclude) if p[1] >= self.threshold]

    # -- persistence -------------------------------------------------------------------
    def pack(self) -> None:
        """Fold appended rows and postings into the packed arrays (in memory)."""
        if self.mapped:
            raise ValueError("a memory-mapped index is read-only")
        if self._delta:
            self._merge(np.zeros(0, np.uint32), np.zeros(0, np.int32))
        for rows in (self._text, self._head, self._problem):
            rows.pack()

    def save(self, directory: str | Path) -> Path:
        """One uncompressed ``.npy`` per array (``load`` maps them) and ``index.json``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.pack()
        ids, keys, order = Ids.packed_of(list(self.ids))
        blob, blob_ptr = Metas.packed_of(self._meta)
        arrays = {"df": self._df, "text": self._text.values, "text_ptr": self._text.offsets,
                  "head": self._head.values, "head_ptr": self._head.offsets,
                  "problem": self._problem.values, "problem_ptr": self._problem.offsets,
                  "indptr": self._indptr, "postings": self._postings, "ids": ids,
                  "id_keys": keys, "id_rows": order, "meta": blob, "meta_ptr": blob_ptr}
        for name, arr in arrays.items():
            np.save(d / f"{name}.npy", np.ascontiguousarray(arr), allow_pickle=False)
        info = {"format_version": FORMAT_VERSION, "threshold": self.threshold, "rows": len(self),
                "nested": sorted(sorted(p) for p in self.places.nested)}
        (d / "index.json").write_text(json.dumps(info, ensure_ascii=False), "utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path, *, mmap: bool = False,
             gazetteer: Gazetteer | None = None) -> SimilarityIndex:
        """A saved index. ``mmap``: its arrays memory-mapped read-only (processes loading one
        file share its pages; rows added afterwards are kept beside them)."""
        d = Path(directory)
        info = json.loads((d / "index.json").read_text("utf-8"))
        version = info.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(f"unsupported index format {version!r}")
        obj = cls(threshold=float(info["threshold"]), gazetteer=gazetteer)

        def arr(name: str) -> np.ndarray:
            got: np.ndarray = np.load(d / f"{name}.npy", mmap_mode="r" if mmap else None,
                                      allow_pickle=False)
            return got

        obj._df = arr("df")
        obj._text = Rows(arr("text"), arr("text_ptr"))
        obj._head = Rows(arr("head"), arr("head_ptr"))
        obj._problem = Rows(arr("problem"), arr("problem_ptr"))
        obj._indptr, obj._postings = arr("indptr"), arr("postings")
        obj.ids = Ids(arr("ids"), arr("id_keys"), arr("id_rows"))
        obj._meta = Metas(arr("meta"), arr("meta_ptr"))
        obj.places.nested = {frozenset(p) for p in info.get("nested", [])}
        obj.mapped = mmap
        return obj


def similar_pairs(items: Sequence[tuple[str, str]], threshold: float = DEFAULT_THRESHOLD,
                  k: int = 20) -> list[tuple[str, str, float]]:
    """Every pair of (id, text) items judged the same matter: (id_a, id_b, score), id_a
    before id_b in input order, one row per pair, highest score first."""
    idx = SimilarityIndex(threshold=threshold)
    idx.add_many((i, t, None, None) for i, t in items)
    pos = {i: n for n, (i, _) in enumerate(items)}
    best: dict[tuple[str, str], float] = {}
    for i, t in items:
        for j, s in idx.query(t, k=k, exclude=i):
            if s < threshold or j == i:
                continue
            a, b = (i, j) if pos[i] < pos[j] else (j, i)
            best[(a, b)] = max(best.get((a, b), 0.0), s)
    return sorted(((a, b, s) for (a, b), s in best.items()), key=lambda p: (-p[2], pos[p[0]], pos[p[1]]))


def evaluate_pairs(items: Sequence[tuple[str, str]], labelled: Sequence[tuple[str, str, bool]],
                   threshold: float = DEFAULT_THRESHOLD, k: int = 50) -> dict[str, float | int]:
    """Precision and recall of "same matter" on labelled (id_a, id_b, same) pairs; the index
    holds all ``items`` and a pair's score is the better of the two directions."""
    idx = SimilarityIndex(threshold=threshold)
    idx.add_many((i, t, None, None) for i, t in items)
    text = dict(items)
    tp = fp = fn = tn = 0
    for a, b, same in labelled:
        s = max(dict(idx.query(text[a], k=k, exclude=a)).get(b, 0.0),
                dict(idx.query(text[b], k=k, exclude=b)).get(a, 0.0))
        hit = s >= threshold
        tp += hit and same
        fp += hit and not same
        fn += (not hit) and same
        tn += (not hit) and not same
    return {"pairs": len(labelled), "positives": tp + fn, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": round(tp / max(tp + fp, 1), 4), "recall": round(tp / max(tp + fn, 1), 4),
            "threshold": threshold}
