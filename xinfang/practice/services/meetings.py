"""联席会议 and monthly 研判: agenda, minutes and decisions (§8, §13)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from xinfang.domain import practice as pr
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.org.models import Body, Division, User
from xinfang.petitions import permissions
from xinfang.petitions.models import Clock, Matter

from ..models import (
    Case,
    DisputeEntry,
    Meeting,
    MeetingDecision,
)
from ._common import R, _audit, _subtree, _today
from .prevention import screening_overview
from .reports import compliance_view

# =========================================================================== meetings


def build_agenda(division: Division, today: date | None = None) -> list[dict[str, Any]]:
    """Agenda for 联席会议 / monthly 研判, from warnings and the backlog."""
    today = today or _today()
    items: list[dict[str, Any]] = []
    clk = (Clock.objects.filter(_subtree(division.path, "matter__division_path"),
                                met_on__isnull=True, owed_by_petitioner=False,
                                due_on__lt=today, body__isnull=False)
           .values_list("body__name", flat=True))
    for name, n in Counter(clk).most_common():
        items.append({"kind": "overdue", "title": f"{name}：{n}项期限已超期", "count": n})
    for c in (Case.objects.filter(_subtree(division.path), kind=Case.Kind.BACKLOG)
              .exclude(status=Case.Status.CLOSED).select_related("matter", "leader")
              .order_by("-listed", "due_on")):
        items.append({"kind": "backlog", "case_id": c.pk,
                      "title": f"{'【挂牌】' if c.listed else ''}积案 {c.matter.number}"
                               f" {c.matter.title}（包案领导：{c.leader}，时限{c.due_on:%Y-%m-%d}）"})
    for e in DisputeEntry.objects.filter(_subtree(division.path), status=DisputeEntry.Status.OPEN,
                                         risk_grade=pr.RiskGrade.HIGH):
        items.append({"kind": "dispute", "dispute_id": e.pk,
                      "title": f"高风险矛盾纠纷：{e.title}（{e.division.name}）"})
    for r in screening_overview(division, today):
        if r["status"].overdue:
            items.append({"kind": "screening",
                          "title": f"{r['division'].name}未按期排查（应于{r['status'].next_due:%m-%d}前）"})
    for d in MeetingDecision.objects.filter(_subtree(division.path, "meeting__division_path"),
                                            done_on__isnull=True, due_on__lt=today):
        items.append({"kind": "decision", "decision_id": d.pk,
                      "title": f"上次议定事项逾期未落实：{d.text[:40]}（{d.owner_body.name}）"})
    month = pr.period_window(pr.Period.MONTH, today)
    for p in compliance_view(division, month[0], month[1], today).behind:
        items.append({"kind": "reception", "title": f"{p.user}接访未达要求"})
    return items


@dataclass
class DecisionIn:
    text: str
    owner_body: Body
    due_on: date
    owner: User | None = None
    matter: Matter | None = None


@transaction.atomic
def record_meeting(*, user: User, kind: str, division: Division, body: Body, held_on: date,
                   title: str, minutes: str = "", agenda: list[dict[str, Any]] | None = None,
                   decisions: Sequence[DecisionIn] = ()) -> Meeting:
    permissions.require(user, "keep_meetings", path=division.path)
    if kind not in Meeting.Kind.values:
        raise GuardFailed("请选择会议类型")
    if not title.strip():
        raise GuardFailed("请填写议题")
    for d in decisions:
        if not d.text.strip():
            raise GuardFailed("议定事项内容不能为空")
        if d.due_on < held_on:
            raise GuardFailed("议定事项的完成时限不能早于会议日期")
    m = Meeting.objects.create(
        kind=kind, division=division, division_path=division.path, body=body, held_on=held_on,
        title=title.strip(), minutes=minutes.strip(),
        agenda=agenda if agenda is not None else build_agenda(division, held_on),
        created_by=user)
    for d in decisions:
        MeetingDecision.objects.create(meeting=m, text=d.text.strip(), owner_body=d.owner_body,
                                       owner=d.owner, due_on=d.due_on, matter=d.matter)
    _audit("record_meeting", user, m, kind=kind, decisions=len(decisions))
    return m


def may_complete_decision(user: User, decision: MeetingDecision) -> bool:
    """The responsible unit or person reports a decision done (administrators too)."""
    return (user.body_id == decision.owner_body_id or user.pk == decision.owner_id
            or user.role == R.ADMIN)


@transaction.atomic
def complete_decision(decision: MeetingDecision, *, user: User, evidence: str,
                      on: date | None = None) -> MeetingDecision:
    if not may_complete_decision(user, decision):
        raise Forbidden("只有责任单位可以报告落实情况")
    if decision.done_on is not None:
        raise GuardFailed("该议定事项已落实")
    if not evidence.strip():
        raise GuardFailed("请填写落实情况")
    decision.done_on, decision.evidence = on or _today(), evidence.strip()
    decision.save(update_fields=["done_on", "evidence"])
    _audit("complete_decision", user, decision)
    return decision


def open_decisions(division: Division, today: date | None = None) -> list[dict[str, Any]]:
    today = today or _today()
    return [{"decision": d, "overdue": d.due_on < today, "days_left": (d.due_on - today).days}
            for d in MeetingDecision.objects.filter(
                _subtree(division.path, "meeting__division_path"), done_on__isnull=True)
            .select_related("owner_body", "meeting")]
