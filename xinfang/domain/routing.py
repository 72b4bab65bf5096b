"""Routing suggestion: (category, division) -> the competent unit, with the reason.

属地管理、分级负责，谁主管、谁负责 (§5 (3), §22 ¶1 (2)): the most specific rule wins — the
rule for the problem's own division beats one for a parent division, an exact category beats
its parent category, and a lower priority number beats a higher one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
