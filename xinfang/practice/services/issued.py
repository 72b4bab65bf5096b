"""Issued reports (issue 17 item 3): a 日分析, 周排名 or 月通报 is a draft — recomputed from
today's data, its prose templated from the figures and edited by the officer — until it is
issued. Issuing stores a snapshot (the figures, the text as signed, the PDF and the audit
anchor at that moment) that never changes (``IssuedReport`` refuses updates); a correction is
a new version that names every figure that changed and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone

from xinfang.audit import anchors
from xinfang.core.i18n import source_language
from xinfang.domain import practice as pr
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import Division, User
from xinfang.petitions import permissions
from xinfang.petitions.models import Matter, Supervision

from ..indicator_scope import rate_text
from ..models_assessment import IssuedReport
from . import annual
from ._common import _audit, _subtree, _today
from .assessment import exemptions_for
from .reports import bulletin_rows, daily_digest, monthly_bulletin, weekly_ranking

KINDS = ("daily", "weekly", "monthly", "annual", "analysis")


def period_bounds(kind: str, period: str) -> tuple[date, date]:
    """"2026-09-07" (a day), "2026-09-07" as a week's Monday, "2026-09" (a month), "2026"
    (a year)."""
    try:
        if kind == "annual":
            y = int(period)
            if not 2000 <= y <= 2100:
                raise ValueError
            return date(y, 1, 1), date(y, 12, 31)
        if kind in ("monthly", "analysis"):
            y, m = (int(x) for x in period.split("-"))
            return pr.period_window(pr.Period.MONTH, date(y, m, 1))
        d = date.fromisoformat(period)
    except ValueError:
        raise GuardFailed("期间格式不正确") from None
    if kind == "weekly":
        return pr.period_window(pr.Period.WEEK, d)
    if kind == "daily":
        return d, d
    raise GuardFailed("没有这种报告")


# ============================================================================ the data


def _json(x: Any) -> Any:
    """Plain JSON: dates as ISO strings, tuples as lists, dataclass rows as dicts."""
    if isinstance(x, dict):
        return {str(k): _json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json(v) for v in x]
    if isinstance(x, date):
        return x.isoformat()
    if isinstance(x, pr.RankRow):
        return {"rank": x.rank, "name": x.stats.name, "cleared": x.stats.cleared,
                "met": rate_text(x.stats.due_met, x.stats.due_total, 0),
                "open_cases": x.stats.open_cases}
    return x


def _counted(qs: Any, field: str, n: int = 5) -> list[dict[str, Any]]:
    return [{"name": r[field] or "未指定", "count": r["n"]}
            for r in qs.values(field).annotate(n=Count("pk")).order_by("-n", field)[:n]]


def monthly_data(division: Division, start: date, today: date) -> dict[str, Any]:
    from .. import indicators as I
    from .. import rankings

    scope = I.Scope.for_division(division)
    period = I.Period(start, pr.period_window(pr.Period.MONTH, start)[1], today)
    a, b = period.datetimes()
    received = Matter.objects.filter(_subtree(division.path), received_at__gte=a, received_at__lt=b)
    sup = Supervision.objects.filter(_subtree(division.path, "matter__division_path"),
                                     created_at__gte=a, created_at__lt=b)
    bulletin = monthly_bulletin(division, start.year, start.month, today)
    return {
        "bulletin": bulletin,
        "rows": [list(r) for r in bulletin_rows(bulletin)],
        "figures": [f.as_dict() for f in I.figures(scope, period)],
        "ranking": rankings.ranking_rows(rankings.unit_ranking(scope, period)),
        "complained": _counted(received.filter(accused_body__isnull=False), "accused_body__name"),
        "handled_by": _counted(received.filter(lead_body__isnull=False), "lead_body__name"),
        "topics": _counted(received, "category__name"),
        "supervision": {"issued": sup.exclude(kind__in=["reminder"]).count(),
                        "answered": sup.filter(feedback_at__isnull=False).count(),
                        "resolved": sup.filter(resolved_at__isnull=False).count()},
        "exemptions": [{"matter": e.matter.number, "reason": e.reason_label, "note": e.note,
                        "by": str(e.decided_by), "at": timezone.localtime(e.decided_at)
                        .strftime("%Y-%m-%d")} for e in exemptions_for(division, period.end)],
    }


def build(kind: str, division: Division, period: str, today: date | None = None
          ) -> tuple[str, dict[str, Any]]:
    """The draft's title and data, computed now."""
    start, end = period_bounds(kind, period)
    today = today or _today()
    if kind == "daily":
        return (f"{division.name}{start:%Y年%-m月%-d日}信访工作日分析",
                {"rows": _json(daily_digest(division, start))})
    if kind == "weekly":
        return (f"{division.name}{start:%Y年%-m月%-d日}至{end:%-m月%-d日}信访工作周排名",
                _json(weekly_ranking(division, start, today)))
    if kind == "annual":
        return (f"{division.name}{start.year}年信访情况年度报告",
                _json(annual.annual_data(division, start.year, today)))
    if kind == "analysis":
        return (f"{division.name}{start.year}年{start.month}月信访形势研判",
                _json(annual.analysis_data(division, start.year, start.month, today)))
    return (f"{division.name}{start.year}年{start.month}月信访工作通报",
            _json(monthly_data(division, start, today)))


# ============================================================================ the prose


def _names(rows: list[dict[str, Any]], n: int = 3) -> str:
    return "、".join(r["name"] if "name" in r else r["unit"] for r in rows[:n]) or "无"


def draft_text(kind: str, title: str, data: dict[str, Any]) -> str:
    """The templated prose of a report, from its figures; the officer edits it before issue."""
    if kind == "daily":
        overdue = sum(len(r["overdue"]) for r in data["rows"])
        lagging = [r for r in data["rows"] if r["overdue"]]
        return (f"{title}：当日新交办、新包案和逾期事项分单位列后。逾期未办 {overdue} 项，"
                f"涉及 {_names(lagging)} 等 {len(lagging)} 个单位（领导），请抓紧办理。")
    if kind == "annual":
        return annual.annual_text(title, data)
    if kind == "analysis":
        f = data["figures"]
        worse = [x for x in f if x["previous"]["percent"] is not None and x["percent"] is not None
                 and x["percent"] < x["previous"]["percent"] and x["code"] != "overdue"]
        return (f"{title}：" + "；".join(f"{x['label']}{x['text']}（上月{x['previous']['text']}）"
                                       for x in f if x["code"] in ("timely_acceptance",
                                                                   "on_time_reply", "repeat"))
                + f"。较上月下降的指标：{'、'.join(x['label'] for x in worse) or '无'}。"
                + f"上升较快的问题：{'、'.join(r['name'] for r in data['rising']) or '无'}；"
                + f"来信来访较多的地方：{_names(data['places'])}。建议在月度研判会上重点研究。")
    if kind == "weekly":
        units = data["units"]
        ranked = [u for u in units if u["rank"]]
        up = [u for u in ranked if (u["change"] or 0) > 0]
        return (f"{title}：本周参加排名单位 {len(ranked)} 个，"
                f"位列前三的是{_names(ranked)}；排名靠后的是{_names(list(reversed(ranked)))}。"
                f"名次上升的有{_names(up)}。期限件数不足最低统计量的单位列出但不排名。")
    b, f = data["bulletin"], {x["code"]: x for x in data["figures"]}
    ranked = [u for u in data["ranking"] if u["rank"]]
    improved = [u for u in ranked if (u["change"] or 0) > 0]
    lagging = list(reversed(ranked))[:3]
    sup = data["supervision"]
    parts = [
        f"一、总体情况。本月全县（市、区）登记信访事项 {b['matters']['received']} 件，"
        f"办结 {b['matters']['closed']} 件。及时受理率 {f['timely_acceptance']['text']}，"
        f"按期答复率 {f['on_time_reply']['text']}，群众参评率 {f['participation_handling']['text']}，"
        f"参评满意率 {f['satisfaction_handling']['text']}；重复信访 {f['repeat']['numerator']} 件次、"
        f"{f['repeat']['persons'] or 0} 人次，越级走访 {f['level_skip']['numerator']} 件次。",
        f"二、单位排名。按考核权重计分，排名前列的是{_names(ranked)}；"
        f"排名靠后、需加大工作力度的是{_names(lagging)}；较上月名次上升的有{_names(improved)}。",
        f"三、反映集中的问题和单位。本月反映较多的问题是{_names(data['topics'])}；"
        f"被反映较多的机关单位是{_names(data['complained'])}；承办件数较多的单位是"
        f"{_names(data['handled_by'])}。",
        f"四、督查督办。本月发出督办 {sup['issued']} 件，收到书面反馈 {sup['answered']} 件，"
        f"审核办结 {sup['resolved']} 件。领导包案化解率 {f['case_resolution']['text']}，"
        f"信访积案化解率 {f['backlog_resolution']['text']}。",
    ]
    if data["exemptions"]:
        parts.append(f"五、不纳入考核事项 {len(data['exemptions'])} 件，见附件。")
    return "\n\n".join(parts)


# ============================================================================ issue


def latest(kind: str, division: Division, period: str) -> IssuedReport | None:
    return (IssuedReport.objects.filter(kind=kind, division=division, period=period)
            .order_by("-version").first())


def _flatten(x: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _flatten(v, f"{path}.{k}" if path else str(k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _flatten(v, f"{path}[{i}]")
    else:
        yield path, x


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What a correction changed: every figure whose value differs, by its path."""
    a, b = dict(_flatten(before)), dict(_flatten(after))
    return [{"path": k, "before": a.get(k), "after": b.get(k)}
            for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def render_pdf(report: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # ~0.4 s import: only when a PDF is made (recipes §4a)

    with source_language():  # the document is a record: Chinese
        html = render_to_string("practice/issued_pdf.html", {"r": report})
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


@transaction.atomic
def issue(kind: str, division: Division, period: str, *, user: User, text: str,
          correction_note: str = "") -> IssuedReport:
    """Freeze the report as it stands now; a second issue is a correction (version n + 1)."""
    permissions.require(user, "issue_report", path=division.path)
    if kind not in KINDS:
        raise GuardFailed("没有这种报告")
    start, _end = period_bounds(kind, period)
    if start > _today():
        raise GuardFailed("报告期间尚未开始，不能印发")
    if not text.strip():
        raise GuardFailed("请填写报告正文")
    prev = (IssuedReport.objects.select_for_update()
            .filter(kind=kind, division=division, period=period).order_by("-version").first())
    if prev is not None and not correction_note.strip():
        raise GuardFailed("该报告已印发；印发更正版须说明更正原因")
    with source_language():  # an issued report is a Chinese record, whoever issues it
        title, data = build(kind, division, period)
    changes = diff(prev.data, data) if prev is not None else []
    if prev is not None and prev.text != text.strip():
        changes.append({"path": "text", "before": "（原正文）", "after": "（正文已修改）"})
    now = timezone.now()
    version = prev.version + 1 if prev else 1
    _audit("issue_report", user, division, kind=kind, period=period, version=version)
    anchors.write_anchor()
    anchor = anchors.latest() or {}
    snapshot = {"kind": kind, "title": title, "period": period, "version": version,
                "data": data, "text": text.strip(), "anchor": anchor,
                "issued_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
                "issued_by": str(user), "changes": changes,
                "correction_note": correction_note.strip()}
    return IssuedReport.objects.create(
        kind=kind, division=division, period=period, version=version, title=title, data=data,
        text=text.strip(), pdf=render_pdf(snapshot), anchor=anchor, issued_by=user,
        issued_at=now, supersedes=prev, changes=changes,
        correction_note=correction_note.strip())


def as_report(r: IssuedReport) -> dict[str, Any]:
    """The stored snapshot in the shape the pages and the PDF template read."""
    return {"kind": r.kind, "title": r.title, "period": r.period, "version": r.version,
            "data": r.data, "text": r.text, "anchor": r.anchor,
            "issued_at": timezone.localtime(r.issued_at).strftime("%Y-%m-%d %H:%M"),
            "issued_by": str(r.issued_by), "changes": r.changes,
            "correction_note": r.correction_note}
