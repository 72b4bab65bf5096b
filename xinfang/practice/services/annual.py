"""§41 信访情况年度报告 and the monthly 研判 for leaders (issue 17 item 5).

§41 ¶1: the 信访部门 reports yearly to its 党委 and government and to the 信访部门 above: (1)
the statistics, the fields concerned and the bodies most complained about; (2) its 转送, 交办
and 督办; (3) its recommendations and whether they were adopted; (4) anything else. §41 ¶2:
on request, material for 巡视巡察 — the petitions and reports about the leading group, its
members and the principal leaders one level down, how the responsibility system is carried
out, and trend-setting problems. The extract never names a reporter (§30 ¶3) nor the accused
person: it counts by the accused body.

The data are plain JSON (an issued report stores them); the prose is templated from them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q

from xinfang.domain import states as st
from xinfang.org.models import Body, Division
from xinfang.petitions.models import Channel, Dispatch, Matter, Recommendation, Supervision

from ._common import _subtree


def _top(qs: Any, field: str, n: int = 10) -> list[dict[str, Any]]:
    return [{"name": r[field] or "未指定", "count": r["n"]}
            for r in qs.values(field).annotate(n=Count("pk")).order_by("-n", field)[:n]]


def annual_data(division: Division, year: int, today: date) -> dict[str, Any]:
    from .. import indicators as I

    period = I.Period(date(year, 1, 1), date(year, 12, 31), today)
    a, b = period.datetimes()
    matters = Matter.objects.filter(_subtree(division.path), received_at__gte=a,
                                    received_at__lt=b)
    channels = dict(Channel.choices)
    klass = {k.value: str(v) for k, v in st.KLASS_LABELS.items()}
    in_div = _subtree(division.path, "matter__division_path")
    dispatches = Dispatch.objects.filter(in_div, dispatched_at__gte=a, dispatched_at__lt=b,
                                         role=Dispatch.Role.LEAD)
    sup = Supervision.objects.filter(in_div, created_at__gte=a, created_at__lt=b).exclude(
        kind=Supervision.Kind.REMINDER)
    recs = Recommendation.objects.filter(in_div, issued_at__gte=a, issued_at__lt=b)
    scope = I.Scope.for_division(division)
    # §41 ¶2: reports (检举控告) about the bodies of this division's leading group and the
    # bodies one level down, counted by the accused body — no person is named.
    leading = Body.objects.filter(Q(division=division) | Q(division__parent=division),
                                  kind__in=["party_gov", "xinfang", "department", "township"])
    reports = matters.filter(klass="report", accused_body__in=leading)
    return {
        "year": year, "division": division.name,
        "statistics": {
            "received": matters.count(),
            "persons": sum(matters.values_list("headcount", flat=True)),
            "by_channel": [{"name": str(channels.get(r["channel"], r["channel"])),
                            "count": r["n"]} for r in matters.values("channel")
                           .annotate(n=Count("pk")).order_by("-n", "channel")],
            "by_klass": [{"name": klass.get(r["klass"], r["klass"]), "count": r["n"]}
                         for r in matters.values("klass").annotate(n=Count("pk"))
                         .order_by("-n", "klass")],
            "fields": _top(matters, "category__parent__name"),
            "topics": _top(matters, "category__name"),
            "complained": _top(matters.filter(accused_body__isnull=False), "accused_body__name"),
            "handled_by": _top(matters.filter(lead_body__isnull=False), "lead_body__name"),
            "figures": [f.as_dict() for f in I.figures(scope, period) if f.code != "overdue"],
        },
        "work": {
            "forwarded": dispatches.filter(kind=Dispatch.Kind.FORWARD).count(),
            "assigned": dispatches.filter(kind=Dispatch.Kind.ASSIGN).count(),
            "referred": dispatches.filter(kind__in=[Dispatch.Kind.REFER_POLITICAL_LEGAL,
                                                    Dispatch.Kind.REFER_DISCIPLINE]).count(),
            "supervised": sup.count(),
            "supervision_answered": sup.filter(feedback_at__isnull=False).count(),
            "supervision_resolved": sup.filter(resolved_at__isnull=False).count(),
        },
        "recommendations": {
            "total": recs.count(),
            "by_kind": [{"name": str(Recommendation.Kind(r["kind"]).label), "count": r["n"]}
                        for r in recs.values("kind").annotate(n=Count("pk")).order_by("kind")],
            "adopted": recs.filter(adoption=Recommendation.Adoption.ADOPTED).count(),
            "partial": recs.filter(adoption=Recommendation.Adoption.PARTIAL).count(),
            "rejected": recs.filter(adoption=Recommendation.Adoption.REJECTED).count(),
            "pending": recs.filter(adoption="").count(),
        },
        "inspection_extract": {
            "reports_total": reports.count(),
            "by_body": _top(reports, "accused_body__name", 20),
            "open": reports.filter(state__in=[s.value for s in st.OPEN_STATES]).count(),
        },
    }


def _names(rows: list[dict[str, Any]], n: int = 3) -> str:
    return "、".join(f"{r['name']}（{r['count']}件）" for r in rows[:n]) or "无"


def annual_text(title: str, d: dict[str, Any]) -> str:
    s, w, r, x = d["statistics"], d["work"], d["recommendations"], d["inspection_extract"]
    f = {i["code"]: i for i in s["figures"]}
    return "\n\n".join([
        f"{title}",
        f"一、信访事项的数据统计、涉及领域和被投诉较多的机关单位（§41 ¶1（一））。{d['year']}年"
        f"共登记信访事项 {s['received']} 件、{s['persons']} 人次，其中"
        f"{'、'.join(c['name'] + str(c['count']) + '件' for c in s['by_channel']) or '无'}。"
        f"涉及较多的领域是{_names(s['fields'])}；反映较多的问题是{_names(s['topics'])}；"
        f"被投诉较多的机关单位是{_names(s['complained'])}。全年及时受理率"
        f"{f['timely_acceptance']['text']}，按期答复率{f['on_time_reply']['text']}，"
        f"群众参评率{f['participation_handling']['text']}，参评满意率"
        f"{f['satisfaction_handling']['text']}，重复信访{f['repeat']['numerator']}件次。",
        f"二、转送、督办情况（§41 ¶1（二））。全年转送 {w['forwarded']} 件、交办 {w['assigned']} 件、"
        f"转政法或纪检监察机关 {w['referred']} 件；发出督办 {w['supervised']} 件，收到书面反馈 "
        f"{w['supervision_answered']} 件，审核办结 {w['supervision_resolved']} 件。",
        f"三、提出政策性建议及其被采纳情况（§41 ¶1（三））。全年提出建议 {r['total']} 件，已采纳 "
        f"{r['adopted']} 件、部分采纳 {r['partial']} 件、不采纳 {r['rejected']} 件，尚未反馈 "
        f"{r['pending']} 件。",
        "四、其他事项（§41 ¶1（四））。",
        f"附：向巡视巡察机构提供的材料摘要（§41 ¶2）。反映本级领导班子、其成员和下一级主要负责人所在"
        f"机关单位的检举控告 {x['reports_total']} 件（按被反映机关单位统计，不列检举人和被反映人姓名），"
        f"其中尚在办理 {x['open']} 件；涉及较多的是{_names(x['by_body'])}。",
    ])


def analysis_data(division: Division, year: int, month: int, today: date) -> dict[str, Any]:
    """月度研判: this month against the last, by figure, with the topics and the places that
    rose — what a leader reads before the monthly analysis meeting."""
    from .. import indicators as I

    this = I.Period.month(year, month, today)
    prev = this.previous()
    scope = I.Scope.for_division(division)
    a, b = this.datetimes()
    pa, pb = prev.datetimes()
    base = Matter.objects.filter(_subtree(division.path))
    now_topics = {r["name"]: r["count"] for r in _top(base.filter(
        received_at__gte=a, received_at__lt=b), "category__name", 50)}
    before = {r["name"]: r["count"] for r in _top(base.filter(
        received_at__gte=pa, received_at__lt=pb), "category__name", 50)}
    rising = sorted(({"name": k, "count": v, "before": before.get(k, 0)}
                     for k, v in now_topics.items() if v > before.get(k, 0)),
                    key=lambda r: (-(r["count"] - r["before"]), r["name"]))[:5]
    figures = []
    for f_now, f_prev in zip(I.figures(scope, this), I.figures(scope, prev), strict=True):
        figures.append({**f_now.as_dict(), "previous": f_prev.as_dict()})
    return {"month": f"{year}-{month:02d}", "figures": figures, "rising": rising,
            "places": _top(base.filter(received_at__gte=a, received_at__lt=b),
                           "division__name", 5)}
