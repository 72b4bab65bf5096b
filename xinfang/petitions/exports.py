"""The search results as an Excel workbook (综合查询 导出): identity masked, withheld where
§30 ¶3 protects it, every cell text. Used by the search page's export and by the queued export
job (ops.periodic), which has no row limit."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone

from xinfang.core.sheets import append_text_row
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


def workbook_bytes(user: User, matters: list[Matter]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "信访事项"
    append_text_row(ws, HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for m in matters:  # every cell text, none a formula (issue 14 item 14)
        # The matter page's redaction of free text (issue 14 item 3).
        red = redaction.for_viewer(user, m, m.dispatches.all())
        append_text_row(ws, [
            m.number, timezone.localtime(m.received_at).strftime("%Y-%m-%d %H:%M"),
            m.get_channel_display(), m.get_klass_display(),
            m.category.name if m.category else "", m.division.name, red.text(m.title),
            red.text(m.request),
            m.holder.name, m.lead_body.name if m.lead_body else "", m.state_label,
            m.next_due.isoformat() if m.next_due else "", "是" if m.supervised else "",
            *_identity(user, m),
        ])
    widths = [20, 17, 10, 12, 12, 12, 30, 40, 18, 22, 10, 12, 6, 10, 22, 14]
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    ws.freeze_panes = "A2"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
