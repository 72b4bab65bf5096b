"""Read models: reception compliance, 日分析, 周排名, 月通报 (§8.1, §8.5)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import BooleanField, Value, When
from django.db.models import Case as SqlCase
from django.utils import timezone
from django.utils.translation import gettext

from xinfang.domain import indicators as ind
from xinfang.domain import practice as pr
from xinfang.domain import states as st
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
from .reception import _ref, held_q, leaders_in
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
    slots = (ReceptionSlot.objects.filter(leader_id__in=[p.user_id for p in profiles],
                                          day__range=(start - timedelta(days=190), end))
             .exclude(status=ReceptionSlot.Status.CANCELLED)
             .annotate(counts=SqlCase(When(held_q(), then=Value(True)), default=Value(False),
                                   output_field=BooleanField())))
    for s in slots:
        # Only a day with a recorded 接谈 (or a recorded empty day) is 已接访 (issue 17); a
        # day marked held with nothing recorded neither counts nor stays "planned".
        if s.counts:
            held[s.leader_id].append(s.day)
        elif s.status != ReceptionSlot.Status.HELD:
            planned[s.leader_id].append(s.day)
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
    # Deadlines of open matters only (issue 17): a closed matter's unmet clock is no task.
    for c in (Clock.objects.filter(in_div, met_on__isnull=True, owed_by_petitioner=False,
                                   due_on__lt=day, body__isnull=False,
                                   matter__state__in=[s.value for s in st.OPEN_STATES],
                                   paused_since__isnull=True)
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


def weekly_ranking(division: Division, week_start: date,
                   today: date | None = None) -> dict[str, Any]:
    """周排名: units by the weighted assessment score over the week (minimum volume, rank
    change; ``practice.rankings``), and 包案 leaders by cases cleared and deadlines kept."""
    from .. import indicators as I
    from .. import rankings

    ws, we = pr.period_window(pr.Period.WEEK, week_start)
    units = rankings.unit_ranking(I.Scope.for_division(division),
                                  I.Period(ws, we, today or _today()))
    leader: dict[int, Counter[str]] = defaultdict(Counter)
    names: dict[int, str] = {}
    cases = Case.objects.filter(_subtree(division.path)).select_related("leader")
    for c in cases:
        closed_in_week = c.closed_at is not None and ws <= timezone.localdate(c.closed_at) <= we
        met = c.closed_at is not None and timezone.localdate(c.closed_at) <= c.due_on
        names[c.leader_id] = str(c.leader)
        if closed_in_week:
            leader[c.leader_id]["cleared"] += 1
        if ws <= c.due_on <= we:
            leader[c.leader_id]["due"] += 1
            leader[c.leader_id]["met"] += met
        if c.status != Case.Status.CLOSED:
            leader[c.leader_id]["open"] += 1
    stats = [pr.OwnerStats(k, names[k], v["cleared"], v["due"], v["met"], v["open"])
             for k, v in leader.items()]
    return {"units": rankings.ranking_rows(units), "leaders": pr.rank(stats)}


def _ratio(num: int, den: int) -> str:
    from ..indicator_scope import rate_text

    return rate_text(num, den, 0)


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
                held_q(), _subtree(division.path), day__range=(start, end)).count(),
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
        "decisions": _decisions(decisions, today),
    }


def _decisions(decisions: Any, today: date) -> dict[str, Any]:
    """会议议定事项 due in the month: kept on time, done late, or overdue — a decision not yet
    done is late only once its due date has passed (issue 17 item 6)."""
    buckets: Counter[str] = Counter()
    for d in decisions:
        b = ind.clock_bucket(d.due_on, d.done_on, today)
        buckets[b or "pending"] += 1
    settled = buckets[ind.ON_TIME] + buckets[ind.LATE] + buckets[ind.MISSED]
    return {"due": sum(buckets.values()), "pending": buckets["pending"],
            "late": buckets[ind.MISSED] + buckets[ind.LATE],
            "kept": _ratio(buckets[ind.ON_TIME], settled)}


def bulletin_rows(b: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The monthly bulletin as (section, item, figure) rows: page, Excel and PDF alike."""
    def names(xs: list[str]) -> str:
        return gettext("、").join(xs) if xs else gettext("无")

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
        ("会议议定事项", "逾期未落实", str(d["late"])),
    ]
