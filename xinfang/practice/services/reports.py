"""Read models: reception compliance, 日分析, 周排名, 月通报 (§8.1, §8.5)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from xinfang.domain import practice as pr
from xinfang.org.models import Division
from xinfang.petitions import clocks
from xinfang.petitions.models import Clock, Dispatch, Matter

from ..models import (
    Case,
    DisputeEntry,
    LeaderProfile,
    MeetingDecision,
    ReceptionSlot,
    VisitRecord,
)
from ._common import _subtree, _today
from .config import reception_config, rule_sheet
from .prevention import screening_overview
from .reception import _ref, leaders_in
from .visits import item_status


@dataclass
class LeaderCompliance:
    profile: LeaderProfile
    rows: list[pr.ComplianceRow]

    @property
    def behind(self) -> bool:
        return any(r.flagged for r in self.rows)


@dataclass
class ComplianceView:
    leaders: list[LeaderCompliance]
    rota_gaps: list[date]
    rules: list[dict[str, str]]

    @property
    def behind(self) -> list[LeaderProfile]:
        return [lc.profile for lc in self.leaders if lc.behind]


def compliance_view(division: Division, start: date, end: date,
                    today: date | None = None) -> ComplianceView:
    """Each leader's reception days against their rule, and the rota's uncovered days."""
    today = today or _today()
    cfg = reception_config(division)
    profiles = list(leaders_in(division))
    held: dict[int, list[date]] = defaultdict(list)
    planned: dict[int, list[date]] = defaultdict(list)
    covered: set[date] = set()
    rota_ids = {p.user_id for p in profiles if p.tier == cfg.rota_tier.value}
    for s in ReceptionSlot.objects.filter(leader_id__in=[p.user_id for p in profiles],
                                          day__range=(start - timedelta(days=190), end)
                                          ).exclude(status=ReceptionSlot.Status.CANCELLED):
        (held if s.status == ReceptionSlot.Status.HELD else planned)[s.leader_id].append(s.day)
        if s.leader_id in rota_ids and s.session == pr.Session.DAY:
            covered.add(s.day)
    rows = pr.compliance([_ref(p) for p in profiles], held, planned, start, end, today, cfg)
    by_leader: dict[int, list[pr.ComplianceRow]] = defaultdict(list)
    for r in rows:
        by_leader[r.leader_id].append(r)
    gaps = pr.rota_gaps(clocks.calendar(), start, end, covered) if cfg.daily_rota else []
    return ComplianceView([LeaderCompliance(p, by_leader[p.user_id]) for p in profiles], gaps,
                          rule_sheet(division))


# =========================================================================== reports


def daily_digest(division: Division, day: date | None = None) -> list[dict[str, Any]]:
    """日分析: per owner (unit or leader), the items new today and the items overdue."""
    day = day or _today()
    in_div = _subtree(division.path, "matter__division_path")
    owners: dict[tuple[str, int], dict[str, Any]] = {}

    def owner(kind: str, pk: int, name: str) -> dict[str, Any]:
        return owners.setdefault((kind, pk), {"kind": kind, "id": pk, "name": name,
                                              "new": [], "overdue": []})

    for d in (Dispatch.objects.filter(in_div, dispatched_at__date=day, role=Dispatch.Role.LEAD)
              .select_related("to_body", "matter")):
        owner("body", d.to_body_id, d.to_body.name)["new"].append(
            {"type": "dispatch", "matter": d.matter.number, "title": d.matter.title})
    for c in (Clock.objects.filter(in_div, met_on__isnull=True, owed_by_petitioner=False,
                                   due_on__lt=day, body__isnull=False)
              .select_related("body", "matter")):
        owner("body", c.body_id, c.body.name)["overdue"].append(  # type: ignore[union-attr]
            {"type": "clock", "matter": c.matter.number, "title": c.name,
             "due_on": c.due_on.isoformat(), "days": (day - c.due_on).days})
    cases = Case.objects.filter(_subtree(division.path)).select_related("leader", "matter")
    for c in cases.filter(created_at__date=day):
        owner("leader", c.leader_id, str(c.leader))["new"].append(
            {"type": "case", "matter": c.matter.number, "title": c.task})
    for c in cases.exclude(status=Case.Status.CLOSED).filter(due_on__lt=day):
        owner("leader", c.leader_id, str(c.leader))["overdue"].append(
            {"type": "case", "matter": c.matter.number, "title": c.task,
             "due_on": c.due_on.isoformat(), "days": (day - c.due_on).days})
    for dec in (MeetingDecision.objects.filter(_subtree(division.path, "meeting__division_path"),
                                               done_on__isnull=True, due_on__lt=day)
                .select_related("owner_body")):
        owner("body", dec.owner_body_id, dec.owner_body.name)["overdue"].append(
            {"type": "decision", "title": dec.text[:60], "due_on": dec.due_on.isoformat(),
             "days": (day - dec.due_on).days})
    rows = [o for o in owners.values() if o["new"] or o["overdue"]]
    return sorted(rows, key=lambda o: (-len(o["overdue"]), -len(o["new"]), o["name"]))


def weekly_ranking(division: Division, week_start: date) -> dict[str, list[pr.RankRow]]:
    """周排名: units and leaders by backlog cleared and deadlines kept in the week."""
    ws, we = pr.period_window(pr.Period.WEEK, week_start)
    in_div = _subtree(division.path, "matter__division_path")
    unit: dict[int, Counter[str]] = defaultdict(Counter)
    names: dict[tuple[str, int], str] = {}
    for c in (Clock.objects.filter(in_div, owed_by_petitioner=False, body__isnull=False,
                                   due_on__range=(ws, we)).select_related("body")):
        unit[c.body_id]["due"] += 1  # type: ignore[index]
        unit[c.body_id]["met"] += bool(c.met_on and c.met_on <= c.due_on)  # type: ignore[index]
        names[("body", c.body_id)] = c.body.name  # type: ignore[index, union-attr]
    leader: dict[int, Counter[str]] = defaultdict(Counter)
    cases = Case.objects.filter(_subtree(division.path)).select_related(
        "leader", "matter__lead_body")
    for c in cases:
        b = c.matter.lead_body
        closed_in_week = c.closed_at is not None and ws <= timezone.localdate(c.closed_at) <= we
        met = c.closed_at is not None and timezone.localdate(c.closed_at) <= c.due_on
        names[("leader", c.leader_id)] = str(c.leader)
        if closed_in_week:
            leader[c.leader_id]["cleared"] += 1
            if b is not None:
                unit[b.pk]["cleared"] += 1
                names[("body", b.pk)] = b.name
        if ws <= c.due_on <= we:
            leader[c.leader_id]["due"] += 1
            leader[c.leader_id]["met"] += met
        if c.status != Case.Status.CLOSED:
            leader[c.leader_id]["open"] += 1
            if b is not None:
                unit[b.pk]["open"] += 1
                names[("body", b.pk)] = b.name

    def stats(kind: str, data: dict[int, Counter[str]]) -> list[pr.OwnerStats]:
        return [pr.OwnerStats(k, names[(kind, k)], v["cleared"], v["due"], v["met"], v["open"])
                for k, v in data.items()]

    return {"units": pr.rank(stats("body", unit)), "leaders": pr.rank(stats("leader", leader))}


def _ratio(num: int, den: int) -> str:
    return "—（0/0）" if den == 0 else f"{100 * num / den:.0f}%（{num}/{den}）"


def monthly_bulletin(division: Division, year: int, month: int,
                     today: date | None = None) -> dict[str, Any]:
    """月通报: the month's figures, every rate with its numerator and denominator."""
    start, end = pr.period_window(pr.Period.MONTH, date(year, month, 1))
    today = today or _today()
    as_of = min(end, today)
    mq = Matter.objects.filter(_subtree(division.path))
    received = mq.filter(received_at__date__range=(start, end)).count()
    # 信访人撤回 is counted apart from 办结, and its closed clocks are not 按期 (issue 16 item 6).
    closed_qs = mq.filter(closed_at__date__range=(start, end))
    withdrawn = closed_qs.filter(closure_kind="withdrawn").count()
    closed = closed_qs.count() - withdrawn
    clk = Clock.objects.filter(_subtree(division.path, "matter__division_path"),
                               owed_by_petitioner=False, due_on__range=(start, as_of)).exclude(
        matter__closure_kind="withdrawn")
    due, kept = clk.count(), sum(1 for c in clk if c.met_on and c.met_on <= c.due_on)
    cases = Case.objects.filter(_subtree(division.path))
    backlog = cases.filter(kind=Case.Kind.BACKLOG)
    visits = VisitRecord.objects.filter(_subtree(division.path), slot__day__range=(start, end))
    items = [item_status(v, as_of) for v in visits.select_related("matter", "dispatch")]
    assigned = [i for i in items if i.status != "unassigned"]
    comp = compliance_view(division, start, end, as_of)
    screening = screening_overview(division, as_of)
    disputes = DisputeEntry.objects.filter(_subtree(division.path))
    decisions = MeetingDecision.objects.filter(
        _subtree(division.path, "meeting__division_path"), due_on__range=(start, end))
    resolved_cases = cases.filter(closed_at__date__range=(start, end))
    return {
        "division": division.name, "month": f"{year}年{month}月",
        "matters": {"received": received, "closed": closed, "withdrawn": withdrawn,
                    "deadlines_kept": _ratio(kept, due)},
        "reception": {
            "days_held": ReceptionSlot.objects.filter(
                _subtree(division.path), day__range=(start, end),
                status=ReceptionSlot.Status.HELD).count(),
            "visits": len(items),
            "items_done": _ratio(sum(i.status == "done" for i in assigned), len(assigned)),
            "leaders_behind": [str(p.user) for p in comp.behind],
            "rota_gaps": [d.isoformat() for d in comp.rota_gaps if d <= as_of],
        },
        "cases": {
            "opened": cases.filter(created_at__date__range=(start, end)).count(),
            "closed": resolved_cases.count(),
            "resolved": _ratio(resolved_cases.filter(resolved=True).count(),
                               resolved_cases.count()),
            "backlog_open": backlog.exclude(status=Case.Status.CLOSED).count(),
            "backlog_cleared": backlog.filter(closed_at__date__range=(start, end)).count(),
            "listed": backlog.filter(listed=True).exclude(status=Case.Status.CLOSED).count(),
        },
        "screening": {
            "divisions": len(screening),
            "overdue": [r["division"].name for r in screening if r["status"].overdue],
            "disputes_new": disputes.filter(created_at__date__range=(start, end)).count(),
            "disputes_resolved": disputes.filter(resolved_on__range=(start, end)).count(),
            "disputes_converted": disputes.filter(status=DisputeEntry.Status.CONVERTED).count(),
        },
        "decisions": {"due": decisions.count(),
                      "kept": _ratio(sum(1 for d in decisions
                                         if d.done_on and d.done_on <= d.due_on),
                                     decisions.count())},
    }
