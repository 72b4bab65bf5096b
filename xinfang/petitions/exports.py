"""The search results as an Excel workbook (综合查询 导出): identity masked, withheld where
§30 ¶3 protects it, every cell text. Used by the search page's export and by the queued export
job (ops.periodic), which has no row limit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from io import BytesIO
from pathlib import Path
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone

from xinfang.core.sheets import safe_cell
from xinfang.domain import idcard
from xinfang.org.models import User

from . import access, redaction
from .models import Matter

HEADERS = ["信访件编号", "收到时间", "信访形式", "事项类别", "内容分类", "问题属地", "标题", "诉求",
           "登记机关", "主办单位", "状态", "最近期限", "督办", "信访人", "身份证号码", "手机"]


def _identity(user: User, m: Matter) -> list[str]:
    """Masked identity columns only; none at all where the identity is protected (§30 ¶3)."""
    if not access.can_see_identity(user, m, m.dispatches.all()):
        return ["（保密）", "", ""]
    people = sorted(m.petitioners.all(), key=lambda p: (not p.is_lead, p.pk))
    if not people:
        return ["", "", ""]
    p = people[0]
    name = idcard.mask_name(p.name) + (f"等{len(people)}人" if len(people) > 1 else "")
    return [name, idcard.mask(p.id_number) if p.id_number else "",
            idcard.mask_phone(p.phone) if p.phone else ""]


WIDTHS = [20, 17, 10, 12, 12, 12, 30, 40, 18, 22, 10, 12, 6, 10, 22, 14]
CHUNK = 1000  # matters read (and prefetched) per round trip while the workbook streams


def _row(user: User, m: Matter) -> list[str]:
    # The matter page's redaction of free text (issue 14 item 3).
    red = redaction.for_viewer(user, m, m.dispatches.all())
    return [
        m.number, timezone.localtime(m.received_at).strftime("%Y-%m-%d %H:%M"),
        m.get_channel_display(), m.get_klass_display(),
        m.category.name if m.category else "", m.division.name, red.text(m.title),
        red.text(m.request),
        m.holder.name, m.lead_body.name if m.lead_body else "", m.state_label,
        m.next_due.isoformat() if m.next_due else "", "是" if m.supervised else "",
        *_identity(user, m),
    ]


def write_workbook(user: User, matters: Iterable[Matter], target: IO[bytes] | str | Path) -> int:
    """Stream the rows into an .xlsx at ``target`` (openpyxl's write-only mode: each row goes
    to a temporary file as it is written, so memory stays flat however many rows — issue 19
    item 5). ``matters`` may be a lazy iterator (``iter_matters``). Returns the row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("信访事项")
    for i, w in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    ws.freeze_panes = "A2"
    bold = Font(bold=True)

    def cells(values: Iterable[object], font: Font | None = None) -> list[WriteOnlyCell]:
        out = []
        for v in values:  # every cell text, none a formula (issue 14 item 14)
            cell = WriteOnlyCell(ws, value=safe_cell(v))
            cell.data_type = "s"
            if font is not None:
                cell.font = font
            out.append(cell)
        return out

    ws.append(cells(HEADERS, bold))
    n = 0
    for m in matters:
        ws.append(cells(_row(user, m)))
        n += 1
    wb.save(target)
    return n


def iter_matters(qs: QuerySet[Matter]) -> Iterator[Matter]:
    """The export's matters in chunks, each with its relations (no whole-list load)."""
    return (qs.select_related("holder", "lead_body", "division", "category", "accused_body")
            .prefetch_related("petitioners", "dispatches").iterator(chunk_size=CHUNK))


def workbook_bytes(user: User, matters: Iterable[Matter]) -> bytes:
    """The workbook in memory (small exports and tests)."""
    out = BytesIO()
    write_workbook(user, matters, out)
    return out.getvalue()
