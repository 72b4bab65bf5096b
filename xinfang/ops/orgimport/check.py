"""Check the whole organisation workbook against itself and the database, and resolve it into
a plan of rows keyed by their natural keys (division and category codes, body names,
usernames). Nothing is written here; every problem is collected with its sheet and line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from xinfang.org.models import Body, Category, Division

from .sheets import (
    BODIES,
    CATEGORIES,
    DIVISIONS,
    KIND_LABELS,
    NO,
    ROLE_LABELS,
    RULES,
    STAFF,
    YES,
    Row,
    Table,
    split_list,
)


@dataclass(frozen=True)
class Problem:
    sheet: str
    line: int
    reason: str

    def __str__(self) -> str:
        where = f"“{self.sheet}”第{self.line}行" if self.line else f"“{self.sheet}”"
        return f"{where}：{self.reason}"


@dataclass
class Item:
    """One row of the plan: its key, its line, and the values of the columns the file has
    (model field name → value; references by natural key)."""

    line: int
    key: str
    values: dict[str, Any]
    former: str = ""  # a body's name in the database when the row renames it


@dataclass
class Plan:
    filename: str
    sheets: set[str] = field(default_factory=set)
    divisions: list[Item] = field(default_factory=list)
    categories: list[Item] = field(default_factory=list)
    bodies: list[Item] = field(default_factory=list)
    rules: list[Item] = field(default_factory=list)
    staff: list[Item] = field(default_factory=list)


def division_code(text: str) -> str | None:
    """A GB/T 2260 code (6 digits), a township's 9 or the statistical 12, as 12 digits."""
    text = text.replace(" ", "")
    if not text.isdigit() or len(text) not in (6, 9, 12) or not text.strip("0"):
        return None
    return text.ljust(12, "0")


def division_level(code: str) -> int:
    """Province 1, city 2, county 3, township 4, village 5: from where the code's zeros start."""
    for level, end in ((1, 2), (2, 4), (3, 6), (4, 9)):
        if not code[end:].strip("0"):
            return level
    return 5


def _flag(text: str) -> bool | None:
    low = text.strip().lower()
    if not low:
        return True
    if low in YES:
        return True
    if low in NO:
        return False
    return None


class Checker:
    def __init__(self, tables: dict[str, Table], filename: str) -> None:
        self.tables = tables
        self.problems: list[Problem] = []
        self.plan = Plan(filename, set(tables))
        self.db_divisions = {c: (p, lv) for c, p, lv in
                             Division.objects.values_list("code", "parent_id", "level")}
        self.db_categories = dict(Category.objects.values_list("code", "parent__code"))
        self.db_bodies = dict(Body.objects.values_list("name", "parent__name"))
        self.file_divisions: dict[str, int] = {}  # code → level
        self.file_categories: set[str] = set()
        self.file_bodies: set[str] = set()
        self.renamed: dict[str, str] = {}  # database name → new name

    def bad(self, sheet: str, row: Row, reason: str) -> None:
        self.problems.append(Problem(sheet, row.line, reason))

    def _text(self, sheet: str, row: Row, column: str, limit: int, *, required: bool = False
              ) -> str | None:
        value = row.get(column)
        if required and not value:
            self.bad(sheet, row, f"“{column}”不能为空")
            return None
        if len(value) > limit:
            self.bad(sheet, row, f"“{column}”超过{limit}个字")
            return None
        return value

    def _filled(self, sheet: str, row: Row, *columns: str) -> bool:
        """Report each of ``columns`` left empty; True when none is."""
        empty = [c for c in columns if not row.get(c)]
        for column in empty:
            self.bad(sheet, row, f"“{column}”不能为空")
        return not empty

    def _unique(self, sheet: str, seen: dict[str, int], key: str, row: Row, what: str) -> bool:
        if key in seen:
            self.bad(sheet, row, f"{what}“{key}”重复（第{seen[key]}行已有）")
            return False
        seen[key] = row.line
        return True

    # ------------------------------------------------------------------ sheets

    def divisions(self, t: Table) -> None:
        seen: dict[str, int] = {}
        rows: list[tuple[Row, str, str, str | None]] = []
        for row in t.rows:
            code = division_code(row.get("区划代码"))
            if code is None:
                self.bad(DIVISIONS, row, f"区划代码“{row.get('区划代码')}”应为6位、9位或12位数字")
                continue
            name = self._text(DIVISIONS, row, "名称", 64, required=True)
            parent_text = row.get("上级区划代码")
            parent = division_code(parent_text) if parent_text else None
            if parent_text and parent is None:
                self.bad(DIVISIONS, row, f"上级区划代码“{parent_text}”应为6位、9位或12位数字")
                continue
            if not self._unique(DIVISIONS, seen, code, row, "区划代码") or name is None:
                continue
            self.file_divisions[code] = division_level(code)
            rows.append((row, code, name, parent))
        for row, code, name, parent in rows:
            level = division_level(code)
            values: dict[str, Any] = {"name": name, "level": level}
            if t.has("上级区划代码"):
                values["parent"] = parent
                if parent is not None:
                    plevel = self.file_divisions.get(parent)
                    if plevel is None and parent in self.db_divisions:
                        plevel = self.db_divisions[parent][1]
                    if plevel is None:
                        self.bad(DIVISIONS, row, f"上级区划代码“{parent}”在本文件和系统中都没有")
                        continue
                    if plevel >= level:
                        self.bad(DIVISIONS, row, f"上级区划“{parent}”的层级不高于本区划"
                                                 "（上下级不能颠倒，也不能形成循环）")
                        continue
                stored = self.db_divisions.get(code)
                if stored is not None and stored[0] != parent:
                    self.bad(DIVISIONS, row, f"区划“{code}”已在系统中，上级为“{stored[0] or '无'}”，"
                                             "不能改为其他上级：事项和台账记录了区划路径；区划调整"
                                             "请按新的区划代码新增区划")
                    continue
            self.plan.divisions.append(Item(row.line, code, values))
        self.plan.divisions.sort(key=lambda i: i.values["level"])

    def categories(self, t: Table) -> None:
        seen: dict[str, int] = {}
        for row in t.rows:
            code = self._text(CATEGORIES, row, "分类代码", 32, required=True)
            if code and self._unique(CATEGORIES, seen, code, row, "分类代码"):
                self.file_categories.add(code)
        parents: dict[str, str | None] = dict(self.db_categories)
        items: list[Item] = []
        for row in t.rows:
            code = row.get("分类代码")
            if code not in self.file_categories or seen.get(code) != row.line:
                continue
            name = self._text(CATEGORIES, row, "名称", 64, required=True)
            if name is None:
                continue
            values: dict[str, Any] = {"name": name}
            if t.has("上级分类代码"):
                parent = row.get("上级分类代码") or None
                if parent and parent not in self.file_categories and parent not in self.db_categories:
                    self.bad(CATEGORIES, row, f"上级分类代码“{parent}”在本文件和系统中都没有")
                    continue
                values["parent"] = parent
                parents[code] = parent
            items.append(Item(row.line, code, values))
        self.plan.categories = self._acyclic(CATEGORIES, items, parents, "上级分类")

    def bodies(self, t: Table) -> None:
        seen: dict[str, int] = {}
        former_seen: dict[str, int] = {}
        rows: list[tuple[Row, str, str]] = []
        for row in t.rows:
            name = self._text(BODIES, row, "名称", 100, required=True)
            if not self._filled(BODIES, row, "类型", "所属区划代码"):
                continue
            if name is None or not self._unique(BODIES, seen, name, row, "机关单位名称"):
                continue
            former = row.get("原名称") if row.get("原名称") != name else ""
            if former:
                if not self._unique(BODIES, former_seen, former, row, "原名称"):
                    continue
                if former not in self.db_bodies:
                    self.bad(BODIES, row, f"原名称“{former}”在系统中没有")
                    continue
                if name in self.db_bodies:
                    self.bad(BODIES, row, f"不能改名为“{name}”：系统中已有同名机关单位")
                    continue
                self.renamed[former] = name
            self.file_bodies.add(name)
            rows.append((row, name, former))
        parents = {self.renamed.get(n, n): (self.renamed.get(p, p) if p else None)
                   for n, p in self.db_bodies.items()}
        items: list[Item] = []
        for row, name, former in rows:
            values = self._body_values(t, row, name)
            if values is None:
                continue
            if "parent" in values:
                parents[name] = values["parent"]
            items.append(Item(row.line, name, values, former))
        self.plan.bodies = self._acyclic(BODIES, items, parents, "上一级机关")

    def _acyclic(self, sheet: str, items: list[Item], parents: dict[str, str | None],
                 what: str) -> list[Item]:
        """``items`` parents first; each row caught in a cycle of ``parents`` reported."""
        cyclic = _cycles(parents, [i.key for i in items])
        for item in items:
            if item.key in cyclic:
                self.problems.append(Problem(sheet, item.line,
                                             f"{what}形成循环：{cyclic[item.key]}"))
        return _parents_first([i for i in items if i.key not in cyclic])

    def _body_values(self, t: Table, row: Row, name: str) -> dict[str, Any] | None:
        ok = True
        values: dict[str, Any] = {}
        kind_text = row.get("类型")
        kind = KIND_LABELS.get(kind_text) or (kind_text if kind_text in KIND_LABELS.values()
                                              else None)
        if kind is None:
            self.bad(BODIES, row, f"未知的类型“{kind_text}”（可用：{'、'.join(KIND_LABELS)}）")
            ok = False
        values["kind"] = kind
        code = division_code(row.get("所属区划代码"))
        if not self.division_known(code):
            self.bad(BODIES, row, f"所属区划代码“{row.get('所属区划代码')}”在本文件和系统中都没有")
            ok = False
        values["division"] = code
        if t.has("上一级机关"):
            parent = row.get("上一级机关") or None
            if parent == name:
                self.bad(BODIES, row, "上一级机关不能是本单位")
                ok = False
            elif parent and not self.body_known(parent):
                self.bad(BODIES, row, f"上一级机关“{parent}”在本文件和系统中都没有")
                ok = False
            values["parent"] = parent
        if t.has("主管类别"):
            codes = split_list(row.get("主管类别"))
            unknown = [c for c in codes if c not in self.file_categories
                       and c not in self.db_categories]
            if unknown:
                self.bad(BODIES, row, f"主管类别“{'、'.join(unknown)}”在本文件和系统中都没有")
                ok = False
            values["categories"] = sorted(set(codes))
        for column, attr, limit in (("简称", "short_name", 32), ("文号前缀", "doc_prefix", 16),
                                    ("地址", "address", 200), ("电话", "phone", 32),
                                    ("接待时间", "reception_hours", 100)):
            if t.has(column):
                value = self._text(BODIES, row, column, limit)
                ok = ok and value is not None
                values[attr] = value
        if t.has("在用"):
            values["active"] = self._flag(BODIES, row)
            ok = ok and values["active"] is not None
        return values if ok else None

    def rules(self, t: Table) -> None:
        seen: dict[str, int] = {}
        for row in t.rows:
            if not self._filled(RULES, row, "事项类别代码", "适用区划代码", "事权单位"):
                continue
            category, body = row.get("事项类别代码"), row.get("事权单位")
            division = division_code(row.get("适用区划代码"))
            ok = True
            if category not in self.file_categories and category not in self.db_categories:
                self.bad(RULES, row, f"事项类别代码“{category}”在本文件和系统中都没有")
                ok = False
            if not self.division_known(division):
                self.bad(RULES, row, f"适用区划代码“{row.get('适用区划代码')}”在本文件和系统中都没有")
                ok = False
            if not self.body_known(body):
                self.bad(RULES, row, f"事权单位“{body}”在本文件和系统中都没有")
                ok = False
            values: dict[str, Any] = {"category": category, "division": division, "body": body}
            if t.has("优先级"):
                text = row.get("优先级") or "100"
                if not text.isdigit() or int(text) > 32767:
                    self.bad(RULES, row, f"优先级“{text}”应为0–32767的整数")
                    ok = False
                else:
                    values["priority"] = int(text)
            if t.has("说明"):
                note = self._text(RULES, row, "说明", 200)
                ok = ok and note is not None
                values["note"] = note
            key = f"{category} @ {division} → {body}"
            if ok and self._unique(RULES, seen, key, row, "分流规则"):
                self.plan.rules.append(Item(row.line, key, values))

    def staff(self, t: Table) -> None:
        seen: dict[str, int] = {}
        for row in t.rows:
            ok = self._filled(STAFF, row, "所在单位", "角色")
            username = self._text(STAFF, row, "用户名", 150, required=True)
            if username:
                try:
                    UnicodeUsernameValidator()(username)
                except ValidationError:
                    self.bad(STAFF, row, f"用户名“{username}”只能包含字母、数字和 @ . + - _")
                    ok = False
            name = self._text(STAFF, row, "姓名", 32, required=True)
            body = row.get("所在单位")
            if body and not self.body_known(body):
                self.bad(STAFF, row, f"所在单位“{body}”在本文件和系统中都没有")
                ok = False
            roles = split_list(row.get("角色"))
            role = None
            if len(roles) > 1:
                self.bad(STAFF, row, f"每个账号只能有一个角色（填写了“{row.get('角色')}”）："
                                     "权限和可见范围按角色确定；兼任的请分设账号")
            elif roles and roles[0] not in ROLE_LABELS and roles[0] not in ROLE_LABELS.values():
                self.bad(STAFF, row, f"未知的角色“{row.get('角色')}”（可用：{'、'.join(ROLE_LABELS)}）")
            elif roles:
                role = ROLE_LABELS.get(roles[0], roles[0])
            values: dict[str, Any] = {"display_name": name, "body": body, "role": role}
            for column, attr, limit in (("职务", "title", 32), ("手机", "phone", 20),
                                        ("电子邮箱", "email", 254)):
                if t.has(column):
                    value = self._text(STAFF, row, column, limit)
                    ok = ok and value is not None
                    values[attr] = value
            if values.get("email"):
                try:
                    validate_email(values["email"])
                except ValidationError:
                    self.bad(STAFF, row, f"电子邮箱“{values['email']}”格式不正确")
                    ok = False
            if t.has("在用"):
                values["is_active"] = self._flag(STAFF, row)
                ok = ok and values["is_active"] is not None
            if not (ok and username and name and role):
                continue
            if self._unique(STAFF, seen, username, row, "用户名"):
                self.plan.staff.append(Item(row.line, username, values))

    # ------------------------------------------------------------------ helpers

    def _flag(self, sheet: str, row: Row) -> bool | None:
        value = _flag(row.get("在用"))
        if value is None:
            self.bad(sheet, row, f"“在用”应填“是”或“否”（填写了“{row.get('在用')}”）")
        return value

    def division_known(self, code: str | None) -> bool:
        return code is not None and (code in self.file_divisions or code in self.db_divisions)

    def body_known(self, name: str) -> bool:
        if not name:
            return False
        if name in self.file_bodies:
            return True
        return name in self.db_bodies and name not in self.renamed


def _cycles(parents: dict[str, str | None], keys: list[str]) -> dict[str, str]:
    """The keys (of ``keys``) that lie on a cycle of ``parents``, each with the cycle as text."""
    out: dict[str, str] = {}
    for key in keys:
        chain, node = [key], parents.get(key)
        while node is not None and node not in chain and len(chain) <= len(parents):
            chain.append(node)
            node = parents.get(node)
        if node == key:
            out[key] = " → ".join([*chain, key])
    return out


def _parents_first(items: list[Item]) -> list[Item]:
    """Rows whose parent is in the file come after that parent (no cycles remain)."""
    by_key = {i.key: i for i in items}
    done: set[str] = set()
    out: list[Item] = []

    def visit(item: Item) -> None:
        if item.key in done:
            return
        done.add(item.key)
        parent = item.values.get("parent")
        if parent in by_key:
            visit(by_key[parent])
        out.append(item)

    for item in items:
        visit(item)
    return out


STEPS: tuple[tuple[str, Callable[[Checker, Table], None]], ...] = (
    (DIVISIONS, Checker.divisions), (CATEGORIES, Checker.categories), (BODIES, Checker.bodies),
    (RULES, Checker.rules), (STAFF, Checker.staff),
)


def check(tables: dict[str, Table], filename: str) -> tuple[Plan, list[Problem]]:
    """The plan and every problem; the plan may be written only when there is no problem."""
    checker = Checker(tables, filename)
    for sheet, step in STEPS:
        if sheet in tables:
            step(checker, tables[sheet])
    order = {sheet: i for i, (sheet, _) in enumerate(STEPS)}
    checker.problems.sort(key=lambda p: (order.get(p.sheet, -1), p.line))
    return checker.plan, checker.problems
