"""Synthetic-corpus benchmark for :class:`SimilarityIndex` (``xinfang nlp bench-similar``).

The corpus is built by mutating real messages: the place name in the title is replaced by a
synthetic one, districts are redrawn, characters are dropped or substituted and sentences are
reordered, so most synthetic matters are near (but not exact) copies of a handful of real
texts - a harder case for an inverted index than natural data. Plain Python: no Django.
"""

from __future__ import annotations

import gc
import random
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .similarity import SimilarityIndex

_SYL = "安宝北城春大德东方丰福富广贵海和红华黄江金锦景康兰丽龙绿梅美明南鹏平青庆荣瑞山盛顺泰天万旺文香祥鑫星兴阳怡银永玉园远云正中"
_SUFFIX = ("小区", "花园", "家园", "新城", "苑", "村", "小学", "中学", "医院", "公司")
_SENT = re.compile(r"(?<=[。!?！？])")
_NAME_BEFORE_SUFFIX = re.compile(r"[\u4e00-\u9fff]{2,4}(?=小区|花园|家园|新城|苑|村|小学|中学|医院|公司)")


# Used when the real messages are absent (fresh clone without ../shared/data).
BUILTIN: tuple[tuple[str, str], ...] = (
    ("丽发新城小区附近搅拌站噪音扰民", "我是丽发新城小区的业主，小区附近新建了一个搅拌站，机器日夜轰鸣，灰尘很大，严重影响居民休息。请有关部门尽快处理。"),
    ("金鼎村水泥路何时修到户", "本人系春华镇金鼎村村民，想咨询水泥路到户政策，村里道路下雨天泥泞，出行困难，希望政府关注。"),
    ("郝家坪小学什么时候能改扩建", "郝家坪小学校舍陈旧，学位紧张，周边小区孩子越来越多，请问学校何时能够改扩建？"),
    ("和顺物业公司乱收停车费", "和顺物业公司在小区内违规收取停车费，业主多次反映无果，请市场监管部门查处。"),
    ("县医院多收检查费用", "在县医院看病，医生开了没有做的检查项目，收据金额与实际收取不符，请卫健委调查。"),
    ("星沙中学乱收补课费", "星沙中学老师组织学生有偿补课，每月收取补课费，家长负担很重，希望教育局管一管。"),
)


@dataclass
class BenchResult:
    n: int
    build_seconds: float
    queries: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    repost_recall_at_5: float
    rss_mb: float

    def as_dict(self) -> dict[str, float | int]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYL) for _ in range(rng.choice((2, 3, 4))))


def mutate(title: str, body: str, rng: random.Random, body_chars: int = 400) -> str:
    """A re-worded copy of a message: new place name, new district, typos, reordered sentences."""
    name = _name(rng)
    title = _NAME_BEFORE_SUFFIX.sub(name, title, count=1)
    body = _NAME_BEFORE_SUFFIX.sub(name, body[:body_chars])
    district = f"{rng.choice('ABCDEFGHJK')}{rng.randint(1, 9)}区"
    title = re.sub(r"[A-Z]\d{1,2}区", district, title) if re.search(r"[A-Z]\d{1,2}区", title) else district + title
    sents = [s for s in _SENT.split(body) if s]
    if len(sents) > 2 and rng.random() < 0.5:
        i = rng.randrange(1, len(sents))
        sents[0], sents[i] = sents[i], sents[0]
    chars = list("".join(sents))
    for _ in range(max(1, len(chars) // 25)):
        if not chars:
            break
        i = rng.randrange(len(chars))
        if rng.random() < 0.5:
            del chars[i]
        else:
            chars[i] = rng.choice(_SYL)
    if rng.random() < 0.3:
        title = f"{title}{rng.choice(_SUFFIX)}{name}"
    return f"{title}\n{''.join(chars)}"


def synthetic_corpus(base: Sequence[tuple[str, str]], n: int, seed: int = 0) -> Iterator[tuple[str, str]]:
    """n (id, text) pairs mutated from ``base`` (title, body) messages."""
    rng = random.Random(seed)
    for i in range(n):
        t, b = base[rng.randrange(len(base))]
        yield f"s{i}", mutate(t, b, rng)


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def run(base: Sequence[tuple[str, str]], n: int, queries: int = 1000, seed: int = 0,
        progress: bool = False) -> BenchResult:
    """Index n synthetic matters, then time ``queries`` lookups: half re-posts (a fresh
    mutation of an indexed matter's text, which must come back in the top 5), half new
    mutations of random real messages."""
    t0 = time.perf_counter()
    idx = SimilarityIndex()
    kept: dict[str, str] = {}
    rng = random.Random(seed + 1)
    keep_every = max(1, n // max(1, queries))

    def items() -> Iterator[tuple[str, str, None, None]]:
        for j, (i, text) in enumerate(synthetic_corpus(base, n, seed)):
            if j % keep_every == 0 and len(kept) < queries:
                kept[i] = text
            if progress and j and j % 100_000 == 0:
                print(f"  indexed {j:,} in {time.perf_counter() - t0:.0f}s", flush=True)
            yield i, text, None, None

    idx.add_many(items())
    build = time.perf_counter() - t0
    # A long-lived index holds millions of small arrays: keep the cyclic GC from walking them
    # during lookups (what a serving process would do after loading the index).
    gc.collect()
    gc.freeze()
    times: list[float] = []
    found = 0
    reposts = 0
    kept_items = list(kept.items())
    for q in range(queries):
        if q % 2 == 0 and kept_items:
            sid, text = kept_items[(q // 2) % len(kept_items)]
            title, _, body = text.partition("\n")
            # a re-post: same title and matter, the body re-typed with a few slips
            chars = list(body)
            for _ in range(max(1, len(chars) // 30)):
                if chars:
                    chars[rng.randrange(len(chars))] = rng.choice(_SYL)
            query = f"{title}\n{''.join(chars)}"
        else:
            sid = ""
            t, b = base[rng.randrange(len(base))]
            query = mutate(t, b, rng)
        s = time.perf_counter()
        res = idx.query(query, k=5)
        times.append((time.perf_counter() - s) * 1000)
        if sid:
            reposts += 1
            found += any(r[0] == sid for r in res)
    arr = np.asarray(times)
    return BenchResult(
        n=n, build_seconds=build, queries=queries,
        p50_ms=float(np.percentile(arr, 50)), p95_ms=float(np.percentile(arr, 95)),
        p99_ms=float(np.percentile(arr, 99)), max_ms=float(arr.max()),
        repost_recall_at_5=found / max(reposts, 1), rss_mb=_rss_mb(),
    )
