"""Routing suggestion: (category, division) -> the competent unit, with the reason.

属地管理、分级负责，谁主管、谁负责 (§5 (3), §22 ¶1 (2)): the most specific rule wins — the
rule for the problem's own division beats one for a parent division, an exact category beats
its parent category, and a lower priority number beats a higher one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .errors import NoRoute


@dataclass(frozen=True)
class Rule:
    category_path: tuple[str, ...]  # category codes from the root down to the rule's category
    division_path: tuple[str, ...]  # division codes from the root down to the rule's division
    body_id: int
    body_name: str
    priority: int = 100
    note: str = ""


@dataclass(frozen=True)
class Suggestion:
    body_id: int
    body_name: str
    reason: str


def suggest(
    rules: Sequence[Rule],
    category_path: Sequence[str],
    division_path: Sequence[str],
    *,
    category_names: dict[str, str] | None = None,
    division_names: dict[str, str] | None = None,
    exclude_body_ids: frozenset[int] = frozenset(),
) -> Suggestion:
    """Pick the most specific matching rule; raise NoRoute when none applies.

    ``exclude_body_ids`` removes e.g. the accused unit of a 检举控告 (§30 ¶3).
    """
    cats = tuple(category_path)
    divs = tuple(division_path)
    best: tuple[tuple[int, int, int], Rule] | None = None
    for r in rules:
        if r.body_id in exclude_body_ids:
            continue
        if cats[: len(r.category_path)] != r.category_path:
            continue
        if divs[: len(r.division_path)] != r.division_path:
            continue
        key = (-len(r.division_path), -len(r.category_path), r.priority)
        if best is None or key < best[0]:
            best = (key, r)
    if best is None:
        raise NoRoute("没有找到匹配的事权单位，请人工选择接收单位")
    rule = best[1]
    cn = category_names or {}
    dn = division_names or {}
    cat = cn.get(rule.category_path[-1], rule.category_path[-1]) if rule.category_path else "全部类别"
    div = dn.get(rule.division_path[-1], rule.division_path[-1]) if rule.division_path else "全部区划"
    reason = f"按“{cat}”类事项在“{div}”的事权划分，由{rule.body_name}办理（属地管理、分级负责，谁主管、谁负责，§22 ¶1）"
    if rule.note:
        reason += f"；{rule.note}"
    return Suggestion(rule.body_id, rule.body_name, reason)


# --------------------------------------------------------------------------- where a matter may go
#
# §22 ¶1: a 信访部门 转送/交办 a matter to the body with the power to handle it — at its own level
# ((一) 本级机关、单位或者其工作部门) or below ((二) 涉及下级…属地管理、分级负责). Nothing in §22
# sends a matter up or sideways into another place: a matter sent upward gets stuck, a matter sent
# to another county is outside the forwarder's 属地. The level is judged by the bodies' divisions
# (their place in the division tree), never by ``Body.parent`` (a 县纪委监委's parent may be the
# 市政府, a 县信访局's the 市信访局).
# §22 ¶2: 涉法涉诉 letters go to the 同级政法部门 (§28 ¶2 诉访分离); 检举控告 within the 纪检监察
# remit go to the 纪检监察机关 按照管理权限 (§30 ¶1) — each by its own act, never by a plain 转送.
# §30 ¶3: a report never goes to the accused unit or anyone in it.


class BodyKind(StrEnum):
    """The kinds of ``xinfang.org.models.Body`` (same values)."""

    XINFANG = "xinfang"  # 信访部门
    PARTY_GOV = "party_gov"  # 党委政府
    DEPARTMENT = "department"  # 职能部门（事权单位）
    TOWNSHIP = "township"  # 乡镇人民政府（街道办事处）
    DISCIPLINE = "discipline"  # 纪检监察机关
    POLITICAL_LEGAL = "political_legal"  # 政法部门


@dataclass(frozen=True)
class BodyFacts:
    """What the routing rule needs to know of a body."""

    id: int
    name: str
    kind: str
    division_path: tuple[str, ...]  # division codes from the root down to the body's division


# The acts that send a matter to another body, and the kinds each may reach.
PLAIN_KINDS = frozenset({BodyKind.XINFANG, BodyKind.PARTY_GOV, BodyKind.DEPARTMENT,
                         BodyKind.TOWNSHIP})
ACT_KINDS: dict[str, frozenset[str]] = {
    "forward": PLAIN_KINDS,
    "assign": PLAIN_KINDS,
    "refer_political_legal": frozenset({BodyKind.POLITICAL_LEGAL}),
    "refer_discipline": frozenset({BodyKind.DISCIPLINE}),
}
ROUTING_ACTS = frozenset(ACT_KINDS)
_ACT_LABELS = {"forward": "转送", "assign": "交办", "refer_political_legal": "转政法部门",
               "refer_discipline": "转纪检监察机关"}

SHIELDED = "检举控告类事项不得转送、交办给被检举控告的单位或其所属单位（§30 ¶3）"


def _within(inner: tuple[str, ...], outer: tuple[str, ...]) -> bool:
    """``inner`` is ``outer`` or lies below it in the division tree."""
    return inner[: len(outer)] == outer


def refusal(act: str, src: BodyFacts, dst: BodyFacts, *,
            shielded: frozenset[int] = frozenset()) -> str | None:
    """Why ``src`` may not send a matter to ``dst`` by ``act`` (a Chinese sentence naming the
    rule and its article), or None when it may."""
    if act not in ACT_KINDS:
        return None
    label = _ACT_LABELS[act]
    if dst.id == src.id:
        return f"不能{label}给本机关"
    if dst.id in shielded:
        return SHIELDED
    if dst.kind not in ACT_KINDS[act]:
        if act == "refer_political_legal":
            return f"“转政法部门”只能转给政法部门，{dst.name}不是政法部门（§22 ¶2、§28 ¶2）"
        if act == "refer_discipline":
            return f"“转纪检监察机关”只能转给纪检监察机关，{dst.name}不是纪检监察机关（§22 ¶2、§30 ¶1）"
        if dst.kind == BodyKind.DISCIPLINE:
            return (f"不能以{label}方式转给{dst.name}：属于纪检监察机关受理的检举控告类事项，"
                    "应通过“转纪检监察机关”按照管理权限转送（§22 ¶2、§30 ¶1）")
        if dst.kind == BodyKind.POLITICAL_LEGAL:
            return (f"不能以{label}方式转给{dst.name}：涉法涉诉事项应通过“转政法部门”"
                    "转送同级政法部门依法处理（§22 ¶2、§28 ¶2）")
        return f"{dst.name}不是有权处理信访事项的机关、单位（§22 ¶1）"
    up = _within(src.division_path, dst.division_path) and dst.division_path != src.division_path
    if act == "refer_political_legal":
        if dst.division_path != src.division_path:
            return (f"涉法涉诉信件应转送同级政法部门（§22 ¶2），{dst.name}不是本级政法部门")
        return None
    if act == "refer_discipline":
        # 按照管理权限 (§22 ¶2): the 纪检监察机关 of this level, a higher one for cadres it
        # manages, or a lower one — but one in this line, never another place's.
        if not (_within(dst.division_path, src.division_path) or up):
            return (f"{dst.name}不在本机关所在地区的管理权限范围内：检举控告应按照管理权限"
                    "转送有关纪检监察机关（§22 ¶2）")
        return None
    if up:
        return (f"不能向上级机关{label}：{dst.name}是上级机关，转送、交办只能转给本级或下级"
                "有权处理的机关、单位（§22 ¶1）")
    if not _within(dst.division_path, src.division_path):
        return (f"{dst.name}不在本机关的管辖区域内：转送、交办按照“属地管理、分级负责，"
                "谁主管、谁负责”的原则，转给本级或下级有权处理的机关、单位（§22 ¶1）")
    return None


def permitted(act: str, src: BodyFacts, candidates: Sequence[BodyFacts], *,
              shielded: frozenset[int] = frozenset()) -> list[BodyFacts]:
    """The candidates ``src`` may send a matter to by ``act``, in their order."""
    return [b for b in candidates if refusal(act, src, b, shielded=shielded) is None]
