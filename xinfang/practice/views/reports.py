"""日分析·周排名·月通报 (procedure.md §8.5): read-only pages over the division in scope; the
monthly bulletin also as Excel and PDF."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template.loader import render_to_string

from xinfang.audit import anchors
from xinfang.core.http import AuthedRequest
from xinfang.core.sheets import append_text_row
from xinfang.domain import practice as pr
from xinfang.org.models import Division

from .. import forms as f
from .. import services as svc
from ._common import _date_param, _month_param, _render, _scope, _today


@login_required
def report_daily(request: AuthedRequest) -> HttpResponse:
    div = _scope(request.user)
    day = _date_param(request, "day", _today())
    return _render(request, "practice/report_daily.html",
                   {"division": div, "day": day, "rows": svc.daily_digest(div, day),
                    "prev": day - timedelta(days=1), "next": day + timedelta(days=1)})


@login_required
def report_weekly(request: AuthedRequest) -> HttpResponse:
    div = _scope(request.user)
    d = _date_param(request, "week", _today())
    ws, we = pr.period_window(pr.Period.WEEK, d)
    return _render(request, "practice/report_weekly.html", {
        "division": div, "ws": ws, "we": we, "ranking": svc.weekly_ranking(div, ws),
        "prev": ws - timedelta(days=7), "next": ws + timedelta(days=7)})


def bulletin_rows(b: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The monthly bulletin as (section, item, figure) rows: page, Excel and PDF alike."""
    def names(xs: list[str]) -> str:
        return "、".join(xs) if xs else "无"

    m, r, c, s, d = b["matters"], b["reception"], b["cases"], b["screening"], b["decisions"]
    return [
        ("信访事项", "本月登记", str(m["received"])),
        ("信访事项", "本月办结", str(m["closed"])),
        ("信访事项", "本月信访人撤回", str(m["withdrawn"])),
        ("信访事项", "按期办理率", m["deadlines_kept"]),
        ("领导接访", "已接访天数", str(r["days_held"])),
        ("领导接访", "接谈人次", str(r["visits"])),
        ("领导接访", "交办事项办结率", r["items_done"]),
        ("领导接访", "未达接访要求的领导", names(r["leaders_behind"])),
        ("领导接访", "无县领导轮值的工作日", names(r["rota_gaps"])),
        ("包案积案", "新确定包案", str(c["opened"])),
        ("包案积案", "本月销号", str(c["closed"])),
        ("包案积案", "销号案件实际化解率", c["resolved"]),
        ("包案积案", "在办积案", str(c["backlog_open"])),
        ("包案积案", "本月化解积案", str(c["backlog_cleared"])),
        ("包案积案", "挂牌督办积案", str(c["listed"])),
        ("源头预防", "排查单位数", str(s["divisions"])),
        ("源头预防", "未按期排查", names(s["overdue"])),
        ("源头预防", "新排查矛盾纠纷", str(s["disputes_new"])),
        ("源头预防", "本月化解矛盾纠纷", str(s["disputes_resolved"])),
        ("源头预防", "转为信访事项（累计）", str(s["disputes_converted"])),
        ("会议议定事项", "本月到期", str(d["due"])),
        ("会议议定事项", "按期落实率", d["kept"]),
    ]


def _bulletin(request: AuthedRequest) -> tuple[Division, str, dict[str, Any]]:
    div = _scope(request.user)
    month = _month_param(request)
    y, m = (int(x) for x in month.split("-"))
    return div, month, svc.monthly_bulletin(div, y, m)


@login_required
def report_monthly(request: AuthedRequest) -> HttpResponse:
    div, month, b = _bulletin(request)
    return _render(request, "practice/report_monthly.html", {
        "division": div, "month": month, "months": f.month_choices(back=12, ahead=1),
        "b": b, "rows": bulletin_rows(b), "anchor": anchors.latest()})


def _attachment(data: bytes, content_type: str, name: str, ascii_name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                       f"filename*=UTF-8''{quote(name)}")
    return response


def bulletin_xlsx(b: dict[str, Any]) -> bytes:
    """The 月通报 as a workbook (the page's download and the scheduled reports job)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "月通报"
    ws.append([f"{b['division']}{b['month']}信访工作通报"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["类别", "项目", "数据"])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in bulletin_rows(b):
        append_text_row(ws, row)  # topic titles are citizens' text: never a formula
    for col, w in (("A", 14), ("B", 26), ("C", 50)):
        ws.column_dimensions[col].width = w
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def bulletin_pdf(b: dict[str, Any]) -> bytes:
    """The 月通报 as a PDF (the page's download and the scheduled reports job)."""
    from weasyprint import HTML  # ~0.4 s import: only when a PDF is asked for (recipes §4a)

    html = render_to_string("practice/bulletin_pdf.html",
                            {"b": b, "rows": bulletin_rows(b), "today": _today(),
                             "anchor": anchors.latest()})
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


@login_required
def report_monthly_xlsx(request: AuthedRequest) -> HttpResponse:
    _div, month, b = _bulletin(request)
    return _attachment(bulletin_xlsx(b),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       f"{b['division']}{b['month']}信访工作通报.xlsx", f"bulletin-{month}.xlsx")


@login_required
def report_monthly_pdf(request: AuthedRequest) -> HttpResponse:
    _div, month, b = _bulletin(request)
    return _attachment(bulletin_pdf(b), "application/pdf",
                       f"{b['division']}{b['month']}信访工作通报.pdf", f"bulletin-{month}.pdf")
