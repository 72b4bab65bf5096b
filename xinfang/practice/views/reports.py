"""日分析·周排名·月通报 (procedure.md §8.5) over the division in scope: a draft recomputed
from today's data with its templated prose until it is issued, then the stored snapshot
(issue 17: ``services.issued``); the monthly bulletin also as Excel and PDF."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from xinfang.audit import anchors
from xinfang.core.http import AuthedRequest
from xinfang.core.sheets import append_text_row
from xinfang.domain import practice as pr
from xinfang.domain.errors import DomainError
from xinfang.org.models import Division
from xinfang.petitions import permissions

from .. import forms as f
from .. import rankings
from ..models_assessment import IssuedReport
from ..services import issued
from ..services.reports import bulletin_rows
from ._common import _date_param, _month_param, _render, _scope, _today


def _report(kind: str, div: Division, period: str) -> dict[str, Any]:
    """The issued snapshot of the period (latest version) or, until it is issued, the draft
    recomputed now with its templated prose."""
    latest = issued.latest(kind, div, period)
    if latest is not None:
        r = issued.as_report(latest)
        r["versions"] = list(IssuedReport.objects.filter(kind=kind, division=div, period=period)
                             .order_by("version").values("version", "issued_at", "pk"))
        return r
    title, data = issued.build(kind, div, period)
    return {"kind": kind, "title": title, "period": period, "version": 0, "data": data,
            "text": issued.draft_text(kind, title, data), "anchor": anchors.latest(),
            "changes": [], "versions": []}


def _issue_ctx(request: AuthedRequest, div: Division, r: dict[str, Any]) -> dict[str, Any]:
    return {"report": r, "may_issue": permissions.may(request.user, "issue_report",
                                                      path=div.path)}


@login_required
def report_daily(request: AuthedRequest) -> HttpResponse:
    div = _scope(request.user)
    day = _date_param(request, "day", _today())
    r = _report("daily", div, day.isoformat())
    return _render(request, "practice/report_daily.html",
                   {"division": div, "day": day, "rows": r["data"]["rows"],
                    "prev": day - timedelta(days=1), "next": day + timedelta(days=1),
                    **_issue_ctx(request, div, r)})


@login_required
def report_weekly(request: AuthedRequest) -> HttpResponse:
    div = _scope(request.user)
    d = _date_param(request, "week", _today())
    ws, we = pr.period_window(pr.Period.WEEK, d)
    r = _report("weekly", div, ws.isoformat())
    return _render(request, "practice/report_weekly.html", {
        "division": div, "ws": ws, "we": we, "ranking": r["data"],
        "min_volume": rankings.assessment_settings()[1],
        "prev": ws - timedelta(days=7), "next": ws + timedelta(days=7),
        **_issue_ctx(request, div, r)})


def _bulletin(request: AuthedRequest) -> tuple[Division, str, dict[str, Any]]:
    div = _scope(request.user)
    month = _month_param(request)
    return div, month, _report("monthly", div, month)


@login_required
def report_monthly(request: AuthedRequest) -> HttpResponse:
    div, month, r = _bulletin(request)
    return _render(request, "practice/report_monthly.html", {
        "division": div, "month": month, "months": f.month_choices(back=12, ahead=1),
        "b": r["data"]["bulletin"], "rows": r["data"]["rows"], "anchor": r["anchor"],
        "min_volume": rankings.assessment_settings()[1], **_issue_ctx(request, div, r)})


DOC_KINDS = ("annual", "analysis")


def _doc(request: AuthedRequest, kind: str) -> tuple[Division, dict[str, Any]]:
    if kind not in DOC_KINDS:
        raise Http404(gettext("没有这种报告"))
    div = _scope(request.user)
    t = _today()
    default = str(t.year) if kind == "annual" else f"{t.year}-{t.month:02d}"
    period = request.GET.get("period", "").strip() or default
    try:
        issued.period_bounds(kind, period)
    except DomainError:
        period = default
    return div, _report(kind, div, period)


@login_required
def report_doc(request: AuthedRequest, kind: str) -> HttpResponse:
    """§41 信访情况年度报告 and 月度研判: draft or issued, like the other reports."""
    div, r = _doc(request, kind)
    return _render(request, "practice/report_doc.html",
                   {"division": div, **_issue_ctx(request, div, r)})


@login_required
def report_doc_pdf(request: AuthedRequest, kind: str) -> HttpResponse:
    div, r = _doc(request, kind)
    latest = issued.latest(kind, div, r["period"])
    pdf = bytes(latest.pdf) if latest is not None else issued.render_pdf(
        {**r, "issued_at": "（草稿）", "issued_by": str(request.user)})
    return _attachment(pdf, "application/pdf", f"{r['title']}.pdf", f"{kind}-{r['period']}.pdf")


@login_required
@require_POST
def report_issue(request: AuthedRequest) -> HttpResponse:
    """印发 (or 印发更正版) a report: the snapshot is stored and never changes."""
    div = _scope(request.user)
    kind, period = request.POST.get("kind", ""), request.POST.get("period", "")
    pages = {"annual": ("practice:report_doc", "period"),
             "analysis": ("practice:report_doc", "period"),
             "daily": ("practice:report_daily", "day"),
             "weekly": ("practice:report_weekly", "week"),
             "monthly": ("practice:report_monthly", "month")}
    if kind not in pages:
        return HttpResponse(gettext("没有这种报告"), status=400)
    name, param = pages[kind]
    url = (f"{reverse(name, args=[kind]) if kind in DOC_KINDS else reverse(name)}"
           f"?{param}={quote(period)}")
    try:
        r = issued.issue(kind, div, period, user=request.user,
                         text=request.POST.get("text", "")[:20000],
                         correction_note=request.POST.get("correction_note", "")[:2000])
    except DomainError as e:
        messages.error(request, gettext(e.message))
        return redirect(url)
    messages.success(request, gettext("已印发第 %(v)s 版，内容已固定") % {"v": r.version})
    return redirect(url)


def _attachment(data: bytes, content_type: str, name: str, ascii_name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                       f"filename*=UTF-8''{quote(name)}")
    return response


def report_workbook(title: str, rows: list[Any], figures: list[dict[str, Any]] | None = None,
                    ranking: list[dict[str, Any]] | None = None) -> bytes:
    """A report as a workbook: its figure rows, and (月通报) the indicators and the ranking."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "月通报"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["类别", "项目", "数据"])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        append_text_row(ws, row)  # topic titles are citizens' text: never a formula
    for col, w in (("A", 14), ("B", 26), ("C", 50)):
        ws.column_dimensions[col].width = w
    if figures is not None:
        sheet = wb.create_sheet("考核指标")
        sheet.append(["指标", "分子", "分母", "比率", "人次"])
        for fig in figures:
            append_text_row(sheet, [fig["label"], fig["numerator"], fig["denominator"],
                                    fig["text"], "" if fig["persons"] is None else fig["persons"]])
    if ranking is not None:
        sheet = wb.create_sheet("单位排名")
        sheet.append(["名次", "单位", "得分", "名次变化", "统计量"])
        for u in ranking:
            append_text_row(sheet, [u["rank"] or "不排名", u["unit"], u["score"], u["change"],
                                    u["volume"]])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def bulletin_xlsx(b: dict[str, Any]) -> bytes:
    """The 月通报's figure sheet from a bulletin (the scheduled reports job, ops.periodic)."""
    return report_workbook(f"{b['division']}{b['month']}信访工作通报", list(bulletin_rows(b)))


def bulletin_pdf(b: dict[str, Any]) -> bytes:
    """The 月通报's figure sheet as a PDF (the scheduled reports job, ops.periodic)."""
    from weasyprint import HTML  # ~0.4 s import: only when a PDF is asked for (recipes §4a)

    html = render_to_string("practice/bulletin_pdf.html",
                            {"b": b, "rows": bulletin_rows(b), "today": _today(),
                             "anchor": anchors.latest()})
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


@login_required
def report_monthly_xlsx(request: AuthedRequest) -> HttpResponse:
    """The issued report's figures (or the draft's) as a workbook."""
    _div, month, r = _bulletin(request)
    data = r["data"]
    return _attachment(report_workbook(r["title"], data["rows"], data["figures"],
                                       data["ranking"]),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       f"{r['title']}.xlsx", f"bulletin-{month}.xlsx")


@login_required
def report_monthly_pdf(request: AuthedRequest) -> HttpResponse:
    """The issued PDF as stored at issue (byte for byte), or the draft's."""
    div, month, r = _bulletin(request)
    latest = issued.latest("monthly", div, month)
    pdf = bytes(latest.pdf) if latest is not None else issued.render_pdf(
        {**r, "issued_at": "（草稿）", "issued_by": str(request.user)})
    return _attachment(pdf, "application/pdf", f"{r['title']}.pdf", f"bulletin-{month}.pdf")
