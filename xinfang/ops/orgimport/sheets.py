"""The organisation workbook: its sheets and columns, reading it, and the blank template.

One ``.xlsx`` file with up to five sheets (any may be left out; a sheet that is there is the
truth for the columns it has): 行政区划, 内容分类, 机关单位, 分流规则, 工作人员, plus a 说明
sheet that the import ignores. Row 1 holds the column names (any order); rows below are data,
blank rows are skipped. Line numbers in reports are the spreadsheet's row numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xinfang.core.sheets import append_text_row
from xinfang.domain.states import Role
from xinfang.org.models import Body

DIVISIONS = "行政区划"
CATEGORIES = "内容分类"
BODIES = "机关单位"
RULES = "分流规则"
STAFF = "工作人员"
README = "说明"


@dataclass(frozen=True)
class Sheet:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


SHEETS: dict[str, Sheet] = {s.name: s for s in (
    Sheet(DIVISIONS, ("区划代码", "名称"), ("上级区划代码",)),
    Sheet(CATEGORIES, ("分类代码", "名称"), ("上级分类代码",)),
    Sheet(BODIES, ("名称", "类型", "所属区划代码"),
          ("原名称", "简称", "上一级机关", "主管类别", "文号前缀", "地址", "电话", "接待时间",
           "在用")),
    Sheet(RULES, ("事项类别代码", "适用区划代码", "事权单位"), ("优先级", "说明")),
    Sheet(STAFF, ("用户名", "姓名", "所在单位", "角色"), ("职务", "手机", "电子邮箱", "在用")),
)}

# Body kinds and roles: the Chinese label the admin shows, or the stored value.
KIND_LABELS: dict[str, str] = {str(label): str(value) for value, label in Body.Kind.choices}
ROLE_LABELS: dict[str, str] = {
    "登记员": Role.REGISTRAR.value, "信访干部": Role.OFFICER.value, "承办人": Role.HANDLER.value,
    "单位负责人": Role.UNIT_HEAD.value, "领导": Role.LEADER.value, "督查": Role.SUPERVISOR.value,
    "管理员": Role.ADMIN.value,
}
YES = frozenset({"是", "在用", "y", "yes", "true", "1"})
NO = frozenset({"否", "停用", "n", "no", "false", "0"})
LIST_SEPARATORS = ("、", "，", ",", "；", ";", " ")


class WorkbookProblem(Exception):
    """The file cannot be read as a workbook at all."""


@dataclass
class Row:
    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass
class Table:
    sheet: Sheet
    columns: tuple[str, ...]  # the columns present in the file
    rows: list[Row] = field(default_factory=list)

    def has(self, column: str) -> bool:
        return column in self.columns


def cell_text(value: object) -> str:
    """A cell as text: a whole number typed into Excel (a division code, a phone) without
    ``.0``; everything stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def split_list(text: str) -> list[str]:
    for sep in LIST_SEPARATORS[1:]:
        text = text.replace(sep, LIST_SEPARATORS[0])
    return [part for part in (p.strip() for p in text.split(LIST_SEPARATORS[0])) if part]


def read_workbook(path: Path) -> tuple[dict[str, Table], list[tuple[str, int, str]]]:
    """The workbook's known sheets as tables, and the problems of its layout (an unknown
    sheet, a missing or unknown column, a repeated column) as (sheet, line, reason)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not xlsx
        raise WorkbookProblem(f"无法作为 Excel（.xlsx）工作簿读取：{exc}") from exc
    tables: dict[str, Table] = {}
    problems: list[tuple[str, int, str]] = []
    try:
        for ws in wb.worksheets:
            name = ws.title.strip()
            if name == README:
                continue
            sheet = SHEETS.get(name)
            if sheet is None:
                # An empty "Sheet1" that Excel or WPS added is no mistake; a misnamed one is.
                if any(cell_text(v) for r in ws.iter_rows(values_only=True) for v in r):
                    problems.append((name, 0, "未知的工作表（应为：" + "、".join(SHEETS) + "、说明）"))
                continue
            rows = ws.iter_rows(values_only=True)
            header = [cell_text(v) for v in next(rows, ())]
            while header and not header[-1]:
                header.pop()
            bad = False
            seen: set[str] = set()
            for col in header:
                if col and col not in sheet.columns:
                    problems.append((name, 1, f"未知的列“{col}”（可用的列：{'、'.join(sheet.columns)}）"))
                    bad = True
                if col in seen:
                    problems.append((name, 1, f"列“{col}”重复"))
                    bad = True
                seen.add(col)
            for col in sheet.required:
                if col not in seen:
                    problems.append((name, 1, f"缺少必填列“{col}”"))
                    bad = True
            if bad:
                continue
            table = Table(sheet, tuple(c for c in header if c))
            for line, values in enumerate(rows, start=2):
                cells = {col: cell_text(v) for col, v in zip(header, values, strict=False) if col}
                if any(cells.values()):
                    table.rows.append(Row(line, cells))
            tables[name] = table
    finally:
        wb.close()
    return tables, problems


README_LINES = [
    ("工作表", "说明"),
    (DIVISIONS, "区划代码：GB/T 2260 的6位代码或统计用区划的12位代码（6位的补足为12位），"
                "层级由代码得出；上级区划代码：本文件或系统中已有的区划，根区划留空。"),
    (CATEGORIES, "分类代码、名称、上级分类代码（一级分类留空）。"),
    (BODIES, "名称唯一；改名时在“原名称”填写系统中的旧名称。类型：" + "、".join(KIND_LABELS) +
             "。信访部门和党委政府按所属区划管辖（看得到本区划及下级的事项），其他类型只看本单位"
             "承办、受转送交办的事项。上一级机关：复查、复核向其提出（§35、§36）。主管类别："
             "分类代码，以顿号分隔。在用：是/否，留空为是。"),
    (RULES, "事项类别代码 × 适用区划代码（含下级）→ 事权单位（名称）；优先级小者优先，留空为100。"),
    (STAFF, "用户名唯一；所在单位填机关单位名称；角色（每人一个）：" + "、".join(ROLE_LABELS) +
            "。管理员可登录后台管理。新账号没有密码：导入时用 --links 生成一次性设置密码链接。"
            "在用：是/否，留空为是。"),
    ("通则", "缺少的工作表不处理；有的列以文件为准，没有的列保持系统中的值；文件中没有的"
             "记录只列出，不删除。任何一行有误则整个文件不导入。"),
]


def write_template(path: Path, rows: dict[str, list[list[object]]] | None = None) -> None:
    """A workbook with every sheet's columns (and ``rows`` under them, in column order)."""
    from openpyxl import Workbook

    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for sheet in SHEETS.values():
        ws = wb.create_sheet(sheet.name)
        append_text_row(ws, sheet.columns)
        for values in (rows or {}).get(sheet.name, []):
            append_text_row(ws, values)
        for i, col in enumerate(sheet.columns):
            ws.column_dimensions[chr(ord("A") + i)].width = max(12, 3 * len(col) + 4)
    ws = wb.create_sheet(README)
    for line in README_LINES:
        ws.append(list(line))
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 120
    wb.save(path)


def table_of(path: Path, name: str) -> Any:
    """For tests and the docs: a sheet's cells as text rows (header first)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return [[cell_text(v) for v in r] for r in wb[name].iter_rows(values_only=True)]
    finally:
        wb.close()
