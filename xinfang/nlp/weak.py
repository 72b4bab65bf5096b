"""Weak labels from official replies: the answering department names the category.

A reply such as "…A7县教育局 2019年5月5日" tells us the matter went to the education bureau,
so the message is very likely 教育文体. :func:`reply_label` maps the departments a reply
names to the seven first-level labels with a small hand-written table and abstains unless
the mapping is unambiguous. :func:`weak_rows` turns a replies CSV into extra training rows,
dropping every message whose normalised title or body equals one of the ``exclude`` texts
(the labelled training set and any evaluation set), so those texts never enter training
twice or at all.

Plain Python: never import Django here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .io import read_rows
from .text import normalize

# Department name patterns -> label. Only departments whose matters fall almost entirely in
# one of the seven labels are listed; 公安/交警 (政法), 民政, 国土, 财政, 发改 … are left out
# on purpose, and a reply naming departments of two labels abstains.
DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "教育文体": (r"教育局", r"教育厅", r"教育体育局", r"教体局", r"教育阳光服务中心", r"文体局",
             r"体育局", r"文化局", r"文物局"),
    "劳动和社会保障": (r"人社局", r"人力资源和社会保障", r"人力资源社会保障", r"社保局", r"社保中心",
                r"社会保险", r"医保中心", r"医疗保障局", r"劳动监察", r"劳动保障监察", r"就业服务中心"),
    "卫生计生": (r"卫健委", r"卫生健康委", r"卫生和计划生育", r"卫计委", r"卫计局", r"卫生局",
             r"计生局", r"疾控中心", r"疾病预防控制", r"计生综合监督", r"卫生计生"),
    "环境保护": (r"环保局", r"环境保护局", r"生态环境局", r"生态环境厅", r"环保厅", r"环境保护厅",
             r"环境监察", r"生态环境分局", r"环保分局"),
    "交通运输": (r"交通运输局", r"交通局", r"运管处", r"运管局", r"交通运输厅", r"道路运输管理",
             r"客运管理", r"出租汽车管理", r"公路局", r"邮政管理局"),
    "城乡建设": (r"住建局", r"住房和城乡建设", r"住房城乡建设", r"城乡建设局", r"住建委", r"城管局",
             r"城市管理", r"行政执法局", r"规划局", r"规划分局", r"房产局", r"住房保障局", r"市政局",
             r"住房公积金管理中心", r"房屋征收", r"建设局", r"规建局", r"不动产登记"),
    "商贸旅游": (r"商务局", r"市场监督管理", r"市场监管局", r"工商局", r"工商分局", r"质监局",
             r"质量技术监督", r"物价局", r"旅游局", r"文旅局", r"文化旅游", r"文化和旅游", r"商务厅"),
}
# 文化旅游/文旅 sit in 商贸旅游 only when no 教育/文体 department is named as well (the
# abstain rule below handles the overlap).

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), label) for label, pats in DEPARTMENTS.items() for p in pats
]


def reply_label(reply: str, min_hits: int = 1) -> str | None:
    """The label the reply's departments point to, or None when none or several do."""
    text = normalize(reply)
    hits: Counter[str] = Counter()
    for pat, label in _PATTERNS:
        n = len(pat.findall(text))
        if n:
            hits[label] += n
    if not hits or len(hits) > 1:
        return None
    label, n = next(iter(hits.items()))
    return label if n >= min_hits else None


_NON_WORD = re.compile(r"[\W_]+")


def text_key(text: str | None) -> str:
    """Normalised text without spaces and punctuation: re-posts that differ only there match."""
    return _NON_WORD.sub("", normalize(text))


def text_keys(title: str | None, body: str | None) -> set[str]:
    """Keys of a message's title and body used to drop duplicates (keys under 4 characters,
    such as a title "咨询", are skipped)."""
    return {k for k in (text_key(title), text_key(body)) if len(k) >= 4}


def exclusion_keys(path: str | Path, cols: Sequence[str]) -> set[str]:
    """Keys of every row of a CSV (first column = title, the rest = body)."""
    rows = read_rows(path, cols)
    return {k for r in rows for k in text_keys(r[cols[0]], "".join(r[c] for c in cols[1:]))}


@dataclass(frozen=True, slots=True)
class WeakRow:
    title: str
    body: str
    label: str


def weak_rows(path: str | Path, exclude: Iterable[str] = (), *,
              cols: Sequence[str] = ("留言主题", "留言详情", "答复意见")) -> list[WeakRow]:
    """Messages of a replies CSV whose reply names one label's departments.

    ``exclude`` holds normalised titles/bodies (see :func:`text_keys`): a message sharing its
    normalised title or body with any of them is dropped, and so is every later message
    sharing a title or body with one already kept (re-posts).
    """
    title_col, body_col, reply_col = cols
    seen = set(exclude)
    out: list[WeakRow] = []
    for r in read_rows(path, [title_col, body_col, reply_col]):
        keys = text_keys(r[title_col], r[body_col])
        if not keys or keys & seen:
            continue
        label = reply_label(r[reply_col])
        if label is None:
            continue
        seen |= keys
        out.append(WeakRow(r[title_col], r[body_col], label))
    return out
