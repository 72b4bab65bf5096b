"""What makes a place/object name a name, and when two names are the same place.

- **Fragments.** A run of characters before a suffix such as 案/庭/小区/幼儿园 is not a name
  when it contains a function word or a count (发过一次|案, 中院按诉讼程序开|庭), or when it
  is one common word that describes rather than names (配套|幼儿园, 生活|小区). A suffix that
  starts or ends a longer word is no suffix (案情, 立案, 城市: see ``text.ENTITY_SUFFIXES``).
- **Variants.** One-character typos and transpositions of a name match: 伊景园/伊锦园 (one
  character of three or more), 金领/金邻 (two characters: the differing ones sound alike
  under the usual fuzzy-pinyin rules, ``n``/``ng``, ``z``/``zh`` …), 领金/金领.
- **Nesting.** 咸嘉新村西子园 names 西子园 inside 咸嘉新村: the two are one place. Nesting is
  learned from such adjacent mentions, and given by a :class:`Gazetteer` built from the
  organisation's division tree (乡镇 ⊃ 村/社区) and any registered estates.

Plain Python: never import Django here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

# Per-character readings only (``_sound``): pypinyin's phrase dictionary — about 100 MB in
# every process that scores text — is never consulted for one character; nor is a private
# copy of its character dictionary needed. Set before pypinyin is first imported.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")

# Dictionary tags (jieba's dict.txt) of words that never occur inside a place name: prepositions,
# conjunctions, particles, pronouns, adverbs — words of two or more characters (按照, 因为, 我们,
# 一直). Single characters of these tags are common in names (嘉顺苑, 同鑫家园, 巴罗比), so only
# the few below count; numerals are left to the counting pattern (东六路, 五一大道 are names;
# 发过一次 is not).
_FUNCTION_TAGS = frozenset({"p", "c", "uj", "ul", "uz", "ug", "uv", "ud", "r", "d"})
_MIN_FUNCTION_FREQ = 1000  # rarer dictionary entries are mostly misparsed names
_FUNCTION_CHARS = frozenset("按据凭趁")
_COUNTING = re.compile(r"[一二两三四五六七八九十几多数每]次|[一两几]个|一些")

# Words that describe a place rather than name it (配套幼儿园, 城镇小区), and generic words that
# are not a case or a platform (P2P平台, 网贷平台).
_DESCRIPTIVE_WORDS = """配套 城镇 生活 违建 周边 附近 安置 商品房 保障房 老旧 高档 新建 在建 周围 所在
    片区 住宅 实验 生活 居民 商住 公共 公益 城区 郊区 辖区 本地 当地 全市 全县 全区 全省
    P2P p2p 网贷 网络借贷 互联网 理财 借贷 金融 投资 众筹 电商 交易 服务 信息 办事 政务"""
DESCRIPTIVE = frozenset(_DESCRIPTIVE_WORDS.split())


@lru_cache(maxsize=1)
def _tagged() -> dict[str, str]:
    """word -> tag for the frequent function words of jieba's dictionary."""
    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] in _FUNCTION_TAGS and len(parts[0]) >= 2 \
                    and int(parts[1]) >= _MIN_FUNCTION_FREQ:
                out[parts[0]] = parts[2]
    return out


def _words(text: str) -> list[str]:
    from .text import get_tokenizer

    return list(get_tokenizer().cut(text, HMM=False))


@lru_cache(maxsize=65536)
def is_fragment(core: str) -> bool:
    """True when ``core`` (the characters before the suffix) is not a name: it holds a
    function word or a count (中院按诉讼程序开, 发过一次), or it is one descriptive word
    (配套, 生活)."""
    if core in DESCRIPTIVE or _COUNTING.search(core) or not _FUNCTION_CHARS.isdisjoint(core):
        return True
    tags = _tagged()
    return any(w in tags for w in _words(core))


def strip_descriptive_tail(core: str) -> str:
    """余易贷P2P → 余易贷: a generic word at the end of a name is not part of it."""
    for w in sorted(DESCRIPTIVE, key=len, reverse=True):
        if core.endswith(w) and len(core) - len(w) >= 2:
            return core[: -len(w)]
    return core


# --- variants -----------------------------------------------------------------------

_FUZZY = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ng", "n"), ("l", "n"), ("f", "h"))


@lru_cache(maxsize=4096)
def _sound(ch: str) -> frozenset[str]:
    """Fuzzy readings of one character (tones dropped, zh/z ch/c sh/s ng/n l/n f/h merged)."""
    try:
        from pypinyin import Style, pinyin
    except ImportError:  # pragma: no cover - pypinyin is a dependency; degrade to exact
        return frozenset({ch})
    out = set()
    for reading in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]:
        r = reading
        for a, b in _FUZZY:
            r = r.replace(a, b)
        out.add(r)
    return frozenset(out)


def sound_alike(a: str, b: str) -> bool:
    return a == b or bool(_sound(a) & _sound(b))


def one_edit(x: str, y: str) -> str:
    """"sub" (one character replaced), "swap" (two adjacent characters swapped), or ""."""
    if len(x) != len(y) or x == y:
        return ""
    diff = [i for i in range(len(x)) if x[i] != y[i]]
    if len(diff) == 1:
        return "sub"
    if len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]] and x[diff[1]] == y[diff[0]]:
        return "swap"
    return ""


@lru_cache(maxsize=65536)
def variant(x: str, y: str) -> bool:
    """One name is a one-character typo or transposition of the other."""
    edit = one_edit(x, y)
    if edit == "swap":
        return True
    if edit != "sub":
        return False
    if len(x) >= 3:
        return True
    i = next(i for i in range(len(x)) if x[i] != y[i])
    return sound_alike(x[i], y[i])


# --- gazetteer and nesting ----------------------------------------------------------


@dataclass
class Gazetteer:
    """Known places: core name -> kind, and which place lies within which.

    Built from the organisation tree (``Gazetteer.from_rows`` with (name, kind, parent name)
    rows: 乡镇/街道 and 村/社区 divisions, estates a county registers). Names are matched as
    written, and also with their kind suffix cut off (龙潭社区 → 龙潭)."""

    kinds: dict[str, str] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str | None]]) -> Gazetteer:
        from .text import _GENERIC as GENERIC
        from .text import core_of

        g = cls()
        for name, kind, parent in rows:
            core = core_of(name)
            if len(core) < 2 or core in DESCRIPTIVE or core in GENERIC:
                continue
            g.kinds[core] = kind
            if parent and len(core_of(parent)) >= 2:
                g.parent[core] = core_of(parent)
        return g

    def __bool__(self) -> bool:
        return bool(self.kinds)

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        names = sorted(self.kinds, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, names))) if names else None

    def ancestors(self, core: str) -> set[str]:
        out: set[str] = set()
        while core in self.parent and core not in out:
            core = self.parent[core]
            out.add(core)
        return out


@dataclass
class Places:
    """What the matching of names knows beyond the two names: nesting learned from texts
    (咸嘉新村西子园) and a gazetteer."""

    gazetteer: Gazetteer = field(default_factory=Gazetteer)
    nested: set[frozenset[str]] = field(default_factory=set)

    def learn(self, entities: Iterable[object]) -> None:
        for e in entities:
            within = getattr(e, "within", "")
            core = getattr(e, "core", "")
            if within and core and within != core:
                self.nested.add(frozenset((within, core)))

    def within(self, x: str, y: str) -> bool:
        if frozenset((x, y)) in self.nested:
            return True
        g = self.gazetteer
        return bool(g) and (y in g.ancestors(x) or x in g.ancestors(y))
