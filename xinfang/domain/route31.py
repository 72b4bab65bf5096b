"""Which route of §29–§31 a matter takes, and the system's suggestion for it.

§31 leads a 申诉求决 matter by its nature: (1)–(4) into their statutory procedures
(``channel``), (5) the body performs its duty or answers under the law, (6) — none of the
above — investigation, a 信访处理意见书, the §34 limit and §35–§36 review. §29 suggestions are
studied and answered; §30 reports are handled under discipline rules with feedback. A person
chooses the route at acceptance; :func:`suggest` proposes one from the text.

Plain Python: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

from .states import Klass


@dataclass(frozen=True)
class Route:
    key: str  # "1"…"6" for §31, "29", "30"
    clock: str  # the handling limit's clock code
    reviewable: bool  # a 处理意见书 open to 复查/复核 (§35–§36): only §31 (6)
    remedy: str  # what the answer's remedy clause names


ROUTES: dict[str, Route] = {
    # §31 (5): perform the statutory duty or answer; the answer is an administrative act, its
    # remedy 行政复议/行政诉讼 (procedure.md §1.1; 法释〔2018〕1号 §1 ¶2 (9) exempts only petition
    # acts). Limit: a setting, default 60 日 by analogy with 行政诉讼法 §47 (two months).
    "5": Route("5", "D16", False, "复议诉讼"),
    "6": Route("6", "D6", True, "复查"),  # §32, §34, §35
    "29": Route("29", "D14", False, ""),  # §29: studied and answered
    "30": Route("30", "D15", False, ""),  # §30: 依规依纪依法 handled, with feedback
}


def route_of(klass: Klass | str, route31: int | None) -> Route:
    if klass == Klass.SUGGESTION:
        return ROUTES["29"]
    if klass == Klass.REPORT:
        return ROUTES["30"]
    return ROUTES["5" if route31 == 5 else "6"]


# Words that point at a statutory route (§31 (1)–(5)); the first rule that matches wins.
_HINTS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, ("起诉", "诉讼", "判决", "裁定", "法院", "检察院", "立案", "再审", "执行案")),
    (2, ("仲裁",)),
    (3, ("党员申诉", "党纪处分", "申请复审", "党内")),
    (4, ("行政复议", "行政许可", "行政处罚", "行政裁决", "行政确认", "复议")),
    (5, ("查处", "违法", "侵占", "殴打", "人身安全", "财产安全", "报警", "制止", "非法",
         "拆违", "依法履职", "不作为")),
)


def suggest(text: str) -> int:
    """The §31 item the text suggests for a 申诉求决 matter (6 when nothing points elsewhere)."""
    for item, words in _HINTS:
        if any(w in text for w in words):
            return item
    return 6
