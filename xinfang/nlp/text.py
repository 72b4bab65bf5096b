"""Chinese text normalisation, segmentation and place/object entity extraction.

Plain Python: never import Django here.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import jieba

if TYPE_CHECKING:
    from .places import Gazetteer, Places

jieba.setLogLevel(logging.WARNING)

DOMAIN_DICT = Path(__file__).with_name("data") / "domain_dict.txt"

# Excel exports carry literal carriage-return escapes ("_x000D_").
_EXCEL_CR = re.compile(r"_x000[dD]_")
_SPACE = re.compile(r"\s+")
# Anonymised and real administrative codes: A市, A5区, K8县, 西地省 …
PLACE_CODE = re.compile(r"[A-Z]\d{0,2}(?:市|区|县|省)")


@lru_cache(maxsize=1)
def _traditional() -> frozenset[str]:
    from zhconv import zhconv as _zh

    table: dict[str, str] = _zh.getdict("zh-hans")
    return frozenset(k for k, v in table.items() if len(k) == 1 and v != k and k not in "「」『』")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (zhconv), skipped when no traditional character occurs."""
    if _traditional().isdisjoint(text):
        return text
    from zhconv import convert

    return str(convert(text, "zh-hans"))


def normalize(text: str | None) -> str:
    """Canonical form used everywhere in xinfang.nlp.

    NFKC folds full-width letters, digits and punctuation to half width (Ａ１，→ A1,),
    traditional characters become simplified, Excel ``_x000D_`` escapes are dropped and
    runs of whitespace collapse to one space.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _EXCEL_CR.sub(" ", text)
    text = to_simplified(text)
    return _SPACE.sub(" ", text).strip()


def join_fields(fields: Sequence[str | None]) -> str:
    """Join normalised fields (e.g. title, body) with a sentence break."""
    return "。".join(f for f in (normalize(x) for x in fields) if f)


# --- segmentation -----------------------------------------------------------------

_tok_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def get_tokenizer() -> jieba.Tokenizer:
    """A jieba tokenizer with the 信访 domain dictionary (separate from jieba's global one)."""
    global _tokenizer
    if _tokenizer is None:
        with _tok_lock:
            if _tokenizer is None:
                tok = jieba.Tokenizer()
                tok.initialize()
                tok.load_userdict(str(DOMAIN_DICT))
                _tokenizer = tok
    return _tokenizer


_PUNCT_ONLY = re.compile(r"^[\W_]+$")


def tokenize(text: str) -> list[str]:
    """Segment normalised text into words; place codes (A5区) stay whole, punctuation is dropped."""
    tok = get_tokenizer()
    out: list[str] = []
    pos = 0
    for m in PLACE_CODE.finditer(text):
        if m.start() > pos:
            out.extend(tok.lcut(text[pos : m.start()]))
        out.append(m.group())
        pos = m.end()
    if pos < len(text):
        out.extend(tok.lcut(text[pos:]))
    return [w for w in out if w.strip() and not _PUNCT_ONLY.match(w)]


def tokenize_joined(text: str) -> str:
    return " ".join(tokenize(text))


def split_space(text: str) -> list[str]:
    """Analyzer for pre-tokenised, space-joined text (picklable, unlike a lambda)."""
    return text.split(" ") if text else []


# --- entities -----------------------------------------------------------------------

# kind -> suffixes. Longer suffixes first inside the regex alternation.
ENTITY_SUFFIXES: dict[str, tuple[str, ...]] = {
    "estate": (
        "小区", "花园", "家园", "公寓", "新村", "新城", "山庄", "名苑", "雅苑", "苑", "府", "庭",
        "公馆", "大厦", "广场", "国际", "城", "湾", "郡", "园",
    ),
    "village": ("村", "社区", "组"),
    "school": ("学校", "中学", "小学", "幼儿园", "大学", "学院", "职校", "一中", "二中", "三中"),
    "hospital": ("医院", "卫生院", "诊所", "保健院"),
    "company": ("公司", "集团", "工厂", "厂", "酒店", "银行", "市场", "超市", "商场", "加油站"),
    "road": ("大道", "路", "街", "巷", "桥", "隧道", "高速"),
    "town": ("街道", "镇", "乡"),
    "case": ("案件", "案", "平台"),
}
SPECIFIC_KINDS = ("estate", "village", "school", "hospital", "company", "case")
# Kinds that contain other places (咸嘉新村 ⊃ 西子园; 茶场村 ⊃ 五组).
_AREA_KINDS = frozenset({"estate", "village", "town"})
_SUFFIX_KIND = {s: k for k, ss in ENTITY_SUFFIXES.items() for s in ss}
# A suffix character that starts or ends a longer word is no suffix: 案情, 案例, 立案, 备案;
# 城区, 城市, 城际 (长株潭城际铁路, 星沙城区).
_SUFFIX_GUARD = {
    "案": ("(?<![立备结办破报翻专方答档提草预审犯作涉此本该个])", "(?![情例发由子底卷])"),
    "城": ("", "(?![区市际铁轨乡管])"),
}
_SUFFIX_RE = "|".join(_SUFFIX_GUARD.get(s, ("", ""))[0] + re.escape(s) + _SUFFIX_GUARD.get(s, ("", ""))[1]
                      for s in sorted(_SUFFIX_KIND, key=len, reverse=True))
_SUFFIX_AT = re.compile(_SUFFIX_RE)
_ENTITY = re.compile(rf"([\u4e00-\u9fffA-Za-z0-9]{{2,12}}?)({_SUFFIX_RE})")
# Left boundary: text before any of these is not part of a name.
_BOUNDARY = re.compile(
    r".*(?:[A-Z]\d{0,2}(?:市|区|县|省)|西地省|物业|的|在|了|是|和|与|及|对|从|到|向|给|把|被|将|让|"
    r"位于|关于|反映|投诉|举报|建议|请求|要求|希望|咨询|我们|我家|你们|他们|我|该|这个|那个|这|那|本|"
    r"住在|家住|购买|买了|附近|旁边|门口|周边|对面|隔壁|整个|所有|每个|其他|哪个|什么|为何|为什么|请问|"
    r"请|加快|加强|解决|整治|取缔|查处|公开|问题|情况|一个|一所|一家|多个|各个|内的|里的|地处|作为|由于|因为|导致|造成|还有|以及|还是|"
    r"一直|已经|没有|不能|能否|是否|何时|什么时候|尽快|进行|开发|建设|修建|新建|改造|整治|原|"
    r"市|区|县|省|即|就|都|也|又|再|去|来|有|无)"
)
# Cores that are generic words, not names.
_GENERIC_WORDS = (
    """老旧 周边 附近 整个 新建 部分 多个 一些 农村 城市 城中 乡村 公立 民办 私立 中心 重点 各个 这些 那些
    道 马 线 思 出 公 铁 走 一 网 水 电 马路 道路 线路 公路 铁路 高速公路 高架 小 大 本 该 我 学 中 初 高
    县 市 省 区 镇 乡 村 城 街 全 同 本地 当地 外地 我们 他们 你们 此 每 各 两 几 其 新 老 旧 好 多 少 上 下
    物业 业主 开发 建设 规划 施工 安置 拆迁 回迁 商品 保障 经济适用 廉租 公租 棚户 家属 职工 员工 教师
    培训 技工 职业 公办 民营 国有 私营 外资 合资 有限 有限责任 股份 股份有限 科技 实业 投资 置业 房地产
    地产 发展 工程 建筑 人民 中医 妇幼 社区 卫生 乡镇 农贸 菜 超 商 进 出 离 回 到 入 去 来 建 修 通 过
    我村 我镇 我乡 该村 该镇 本村 本镇 全村 全镇 一组 二组 三组 四组 五组 六组 七组 八组 九组 十组 水泥 柏油 沥青 乡村 通村 进村 村村 环 主 支 小学 中学 大学 学校 医院
    小区 花园 公司 集团 市场 广场 村民 居民 街道 社区 幼儿
    方 备 立 答 档 提 草 预 办 结 破 报 审 翻 专 个 本 此 大 要 重 命 血 司 网络 交易 服务 信息
    工作 管理 互联网 网上 政务"""
)
_GENERIC = frozenset(_GENERIC_WORDS.split())


# Words that never occur inside a place/object name: verbs, pronouns, conjunctions …
_NOT_NAME = re.compile(
    r"不|没|很|太|虽|但|如|若|而|却|因|所以|可以|能|要|让|被|把|给|向|跟|由|以|为|于|与|或|等|"
    r"知道|认为|明确|考虑|希望|导致|严重|强制|强行|违法|违规|私自|擅自|业主|居民|村民|政府|领导|"
    r"部门|我|你|他|她|它|们|这|那|哪|谁|什么|怎么|如何|每|各|某|该|其|此|多|少|全|总|都|也|还|"
    r"已|正|将|再|又|就|才|只|仅|更|最|非常|一直|一些|一个|一所|一家|一处|一座|两|几|数|\d+[所个家栋座处条]"
)


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str
    name: str  # the full mention, e.g. 丽发新城小区
    core: str  # the name without its kind suffix, e.g. 丽发新城
    within: str = ""  # the core of the place it is named inside (咸嘉新村西子园: 西子 within 咸嘉)


def _strip_suffixes(core: str) -> str:
    changed = True
    while changed:
        changed = False
        for s in sorted(_SUFFIX_KIND, key=len, reverse=True):
            if core.endswith(s) and len(core) - len(s) >= 2:
                core = core[: -len(s)]
                changed = True
                break
    return core


def core_of(name: str) -> str:
    """A place's name without its kind suffix (龙潭社区 → 龙潭, 城关镇 → 城关)."""
    return _strip_suffixes(normalize(name).replace(" ", ""))


def extract_entities(text: str, gazetteer: Gazetteer | None = None) -> tuple[Entity, ...]:
    """Concrete places and objects named in normalised text (小区, 村, 学校, 医院, 公司, 路 …).

    A rule-based extractor: a name is the run of 2–9 characters before a kind suffix, cut at
    the last place code or function word. Generic words (我们小区, 道路) and fragments
    (发过一次|案情, 中院按诉讼程序开|庭, 配套|幼儿园, 生活|小区, see :mod:`.places`) are not
    names. A name directly after another place's name lies within it (咸嘉新村西子园).
    Names of a ``gazetteer`` (the organisation's divisions, registered estates) are found
    wherever they occur, with or without their suffix.
    """
    from .places import is_fragment, strip_descriptive_tail

    found: dict[tuple[str, str], Entity] = {}
    pos = 0
    last_end, last_core = -1, ""
    while (m := _ENTITY.search(text, pos)) is not None:
        prefix, suffix = m.group(1), m.group(2)
        pos = m.end()
        # 魅力之城小区: absorb a directly following suffix of the same kind.
        while (more := _SUFFIX_AT.match(text, pos)) and _SUFFIX_KIND[more.group()] == _SUFFIX_KIND[suffix]:
            prefix, suffix = prefix + suffix, more.group()
            pos = more.end()
        b = _BOUNDARY.match(prefix)
        start = m.start(1)
        if b:
            prefix = prefix[b.end() :]
            start += b.end()
        # 在德|雅苑: a one-character name before a two-character suffix is the name's start.
        if len(prefix) == 1 and suffix in ("雅苑", "名苑", "新城", "新村"):
            prefix, suffix = prefix + suffix[0], suffix[1:]
        # 高|桥|镇: a one-character name before a suffix that another suffix follows is part
        # of the longer name (高桥镇, not a road 高桥 and a village 镇百录村).
        while len(prefix) == 1 and (more := _SUFFIX_AT.match(text, pos)):
            prefix, suffix = prefix + suffix, more.group()
            pos = more.end()
        if len(prefix) < 2 or prefix in _GENERIC or prefix[-1] in "的了是在政人居" or _NOT_NAME.search(prefix):
            continue
        if prefix[0].isdigit() and suffix not in ("路", "大道", "街", "案", "案件", "平台"):
            continue
        if prefix.isdigit() or (prefix[-1].isdigit() and suffix in ("路", "组")):
            # "3号路", "1组" style counters are not names.
            if suffix != "路" or len(prefix) < 3:
                continue
        kind = _SUFFIX_KIND[suffix]
        core = strip_descriptive_tail(_strip_suffixes(prefix))
        if len(core) < 2 or core in _GENERIC or is_fragment(core):
            continue
        within = last_core if start == last_end and kind in _AREA_KINDS else ""
        key = (kind, core)
        if key not in found:
            found[key] = Entity(kind, prefix + suffix, core, within)
        if kind in _AREA_KINDS:
            last_end, last_core = pos, core
    if gazetteer and (pat := gazetteer.pattern) is not None:
        for g in pat.finditer(text):
            core = g.group()
            kind = gazetteer.kinds[core]
            if not any(e.core == core or core in e.core for e in found.values()):
                found[(kind, core)] = Entity(kind, core, core, gazetteer.parent.get(core, ""))
    return tuple(found.values())


_SENTENCE_END = re.compile(r"[。!?！？;；\n]")


def headline(text: str, limit: int = 60) -> str:
    """The part of a text that names its subject: the first line of a multi-line text
    ("title\nbody"), otherwise the first sentence, at most ``limit`` characters."""
    head = text.split("\n", 1)[0] if "\n" in text.strip() else _SENTENCE_END.split(text, 1)[0]
    return head.strip()[:limit]


def place_codes(text: str) -> frozenset[str]:
    """District-level codes named in the text (A5区, K8县); city codes (A市) are left out."""
    return frozenset(m for m in PLACE_CODE.findall(text) if not m.endswith(("市", "省")))


@lru_cache(maxsize=131072)
def _spelling_match(x: str, y: str) -> bool:
    from .places import variant

    if x == y or x in y or y in x:
        return True
    # Spelling variants (国王陵考古公园 / 王陵国家考古遗址公园) share two or more bigrams.
    bx = {x[i : i + 2] for i in range(len(x) - 1)}
    by = {y[i : i + 2] for i in range(len(y) - 1)}
    # One-character typos and transpositions (金领/金邻, 伊景园/伊锦园).
    return len(bx & by) >= 2 or variant(x, y)


def _name_match(x: str, y: str, places: Places | None = None) -> bool:
    # Nested places (咸嘉新村 ⊃ 西子园) are learned from texts or given by the gazetteer.
    return _spelling_match(x, y) or (places is not None and places.within(x, y))


def names_agree(a: Iterable[str], b: Iterable[str], places: Places | None = None) -> bool:
    """True when some name of ``a`` matches some name of ``b``: equal, containing, sharing
    two character bigrams, one typo or transposition apart, or one inside the other."""
    bl = list(b)
    return any(_name_match(x, y, places) for x in a for y in bl)


def _cores(ents: Sequence[Entity], kind: str) -> list[str]:
    return [e.core for e in ents if e.kind == kind]


def conflicting_kind(a: Sequence[Entity], b: Sequence[Entity], places: Places | None = None) -> str:
    """The kind of which the two texts name different places/objects (e.g. two 小区), or ""."""
    for kind in SPECIFIC_KINDS:
        ca, cb = _cores(a, kind), _cores(b, kind)
        if ca and cb and not names_agree(ca, cb, places):
            # A shared name of another specific kind can still tie the two together
            # (a 小区 named differently in two posts about the same 公司's project).
            return "" if _shared_specific(a, b, kind, places) else kind
    return ""


def entities_conflict(a: Sequence[Entity], b: Sequence[Entity], places: Places | None = None) -> bool:
    """Two texts name different concrete places/objects of the same kind (e.g. two 小区)."""
    return bool(conflicting_kind(a, b, places))


def _shared_specific(a: Sequence[Entity], b: Sequence[Entity], exclude: str,
                     places: Places | None = None) -> bool:
    for kind in SPECIFIC_KINDS:
        if kind == exclude:
            continue
        ca, cb = _cores(a, kind), _cores(b, kind)
        if ca and cb and names_agree(ca, cb, places):
            return True
    return False


def entities_agree(a: Sequence[Entity], b: Sequence[Entity], places: Places | None = None) -> bool:
    """Both texts name the same concrete place/object of a specific kind."""
    for kind in SPECIFIC_KINDS:
        ca, cb = _cores(a, kind), _cores(b, kind)
        if ca and cb and names_agree(ca, cb, places):
            return True
    return False


def entity_names(ents: Sequence[Entity]) -> list[str]:
    """The full mentions of a text's entities (丽发新城小区), in order."""
    return [e.name for e in ents]
