"""Visits and the closed loop: 接谈记录, 现场交办, 访后 report, 首问负责 (§18 ¶2, §22 ¶1 (3), §8.3–§8.4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from xinfang.domain.deadlines import GRADE_CODES
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.org.models import Body, User
from xinfang.petitions import clocks, permissions
from xinfang.petitions import services as ps
from xinfang.petitions.models import Clock, Dispatch, Matter
from xinfang.petitions.sealing import seal_matter_rows
from xinfang.petitions.services import PetitionerIn, Registration

from ..models import (
    PreRegistration,
    ReceptionSlot,
    VisitRecord,
)
from ._common import ANSWERED_STATES, DONE_STATES, _audit, _today

# =========================================================================== visits (closed loop)


def registration_from_prereg(prereg: PreRegistration, **overrides: Any) -> Registration:
    base: dict[str, Any] = dict(
        channel="visit", title=prereg.title, request=prereg.request,
        content=prereg.content or prereg.request, division=prereg.division,
        received_at=timezone.now(), headcount=prereg.headcount,
        petitioners=[PetitionerIn(name=prereg.name, phone=prereg.phone,
                                  id_number=prereg.id_number)],
    )
    base.update(overrides)
    return Registration(**base)


def record_visit(slot: ReceptionSlot, *, leader: User, talk: str,
                 prereg: PreRegistration | None = None,
                 registration: Registration | None = None,
                 people_met: str = "") -> VisitRecord:
    """访中: the leader's 接谈记录. The visitor's matter is registered at the leader's body with
    the leader as first contact (首问负责, §8.4); the slot counts as held."""
    if leader.pk != slot.leader_id:
        raise Forbidden("接谈记录应由接访领导本人填写")
    permissions.require(leader, "record_visit")  # a leader at his own body (§18 ¶2)
    if slot.status == ReceptionSlot.Status.CANCELLED:
        raise GuardFailed("该接访安排已取消")
    if slot.day > _today():
        raise GuardFailed("接访日期未到")
    if not talk.strip():
        raise GuardFailed("请填写接谈记录")
    if prereg is not None and prereg.slot_id != slot.pk:
        raise GuardFailed("该预登记不属于本场接访")
    if registration is None:
        if prereg is None:
            raise GuardFailed("请登记来访人和反映的事项")
        registration = registration_from_prereg(prereg)
    if leader.body is None:
        raise GuardFailed("该领导未设置所在单位")
    with transaction.atomic():
        matter = ps.register(registration, holder=leader.body, user=leader)
        visit = VisitRecord.objects.create(
            slot=slot, prereg=prereg, leader=leader, matter=matter, talk=talk.strip(),
            people_met=people_met.strip(), division_path=matter.division_path)
        if prereg is not None:
            PreRegistration.objects.filter(pk=prereg.pk).update(
                status=PreRegistration.Status.VISITED)
            if matter.seals_text:  # registered as a confidential matter: seal what it said
                seal_matter_rows(matter)
        # A recorded 接谈 makes the day held; it is no longer a day "without visitors".
        ReceptionSlot.objects.filter(pk=slot.pk).update(status=ReceptionSlot.Status.HELD,
                                                        no_visitors=False)
        _audit("record_visit", leader, visit, matter_id=matter.pk, slot=slot.pk)
    return visit


def assign_on_the_spot(visit: VisitRecord, *, leader: User, to_body: Body | int,
                       report_due: date | str, grade: str = "",
                       assist_bodies: Sequence[Body | int] = (),
                       instructions: str = "") -> VisitRecord:
    """The leader 交办 the visitor's matter to a responsible unit with a 办结报告 deadline and,
    where configured, a three-colour feedback clock (§22 ¶1 (3), §18 ¶2, §8.3)."""
    if leader.pk != visit.leader_id:
        raise Forbidden("现场交办应由接访领导本人作出")
    if visit.dispatch_id is not None:
        raise GuardFailed("该事项已现场交办")
    with transaction.atomic():
        data: dict[str, Any] = {
            "to_body": to_body, "report_due": report_due, "grade": grade,
            "assist_bodies": [b.pk if isinstance(b, Body) else b for b in assist_bodies],
            "instructions": instructions,
        }
        matter = ps.transition(visit.matter, "assign", user=leader, data=data)
        visit.dispatch = (Dispatch.objects.filter(matter=matter, role=Dispatch.Role.LEAD,
                                                  kind=Dispatch.Kind.ASSIGN)
                          .order_by("-dispatched_at", "-id").first())
        visit.instructions = instructions.strip()
        visit.save(update_fields=["dispatch", "instructions"])
        _audit("assign_on_the_spot", leader, visit, matter_id=matter.pk,
               to_body=visit.dispatch.to_body_id if visit.dispatch else None, grade=grade)
    return visit


@dataclass
class VisitItem:
    """One item of the leader's 访后 report."""

    visit: VisitRecord
    status: str  # unassigned / open / overdue / done
    done_on: date | None
    clocks: list[dict[str, object]] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return {"unassigned": "待交办", "open": "办理中", "overdue": "已超期",
                "done": "已办结"}[self.status]

    @property
    def reported_back(self) -> bool:
        return self.visit.reported_back_at is not None


REPORT_CLOCK_CODES = ("D5", *GRADE_CODES.values())


def with_report_clocks(qs: QuerySet[VisitRecord]) -> QuerySet[VisitRecord]:
    """Prefetch each visit's 办结报告/三色 clocks, so a list of items costs one query."""
    return qs.prefetch_related(Prefetch(
        "dispatch__clocks", to_attr="report_clocks",
        queryset=Clock.objects.filter(code__in=REPORT_CLOCK_CODES).order_by("due_on")))


def item_status(visit: VisitRecord, today: date | None = None) -> VisitItem:
    """Done once the unit's 办结报告 is in or the matter has been answered."""
    today = today or _today()
    m, d = visit.matter, visit.dispatch
    if d is None:
        return VisitItem(visit, "unassigned", None)
    done_on: date | None = None
    if d.reported_at is not None:
        done_on = timezone.localdate(d.reported_at)
    elif m.state in ANSWERED_STATES:
        done_on = m.replied_on or (timezone.localdate(m.closed_at) if m.closed_at else today)
    report_clocks = getattr(d, "report_clocks", None)  # with_report_clocks() on lists
    if report_clocks is None:
        report_clocks = Clock.objects.filter(
            matter=m, dispatch=d, code__in=REPORT_CLOCK_CODES).order_by("due_on")
    views = [clocks.view(c, today) for c in report_clocks]
    if done_on is not None:
        return VisitItem(visit, "done", done_on, views)
    overdue = any(v["state"] == "overdue" for v in views)
    return VisitItem(visit, "overdue" if overdue else "open", None, views)


def leader_report(leader: User, *, today: date | None = None, since: date | None = None
                  ) -> list[VisitItem]:
    """访后限期办结: every item the leader received or assigned, overdue first, then open,
    then done but not yet acknowledged, then acknowledged."""
    qs = (VisitRecord.objects.filter(leader=leader)
          .select_related("matter", "dispatch__to_body", "slot").order_by("created_at"))
    if since:
        qs = qs.filter(slot__day__gte=since)
    items = [item_status(v, today) for v in with_report_clocks(qs)]
    order = {"overdue": 0, "unassigned": 1, "open": 2, "done": 3}
    return sorted(items, key=lambda i: (order[i.status], i.reported_back,
                                        i.visit.slot.day, i.visit.pk))


@transaction.atomic
def acknowledge_item(visit: VisitRecord, *, leader: User) -> VisitRecord:
    """The leader has seen the result (the loop is closed)."""
    if leader.pk != visit.leader_id:
        raise Forbidden("只有接访领导本人可以确认办结反馈")
    visit = VisitRecord.objects.select_related("matter", "dispatch").get(pk=visit.pk)
    if item_status(visit).status != "done":
        raise GuardFailed("事项尚未办结")
    visit.reported_back_at = timezone.now()
    visit.save(update_fields=["reported_back_at"])
    _audit("acknowledge_item", leader, visit, matter_id=visit.matter_id)
    return visit


# =========================================================================== 首问负责 (§8.4)


def first_contact_matters(user: User) -> QuerySet[Matter]:
    """Matters the user first received and that are not yet 办结 (首问负责, ⚠ practice)."""
    return (Matter.objects.filter(first_contact=user)
            .exclude(state__in=[s.value for s in DONE_STATES])
            .select_related("lead_body").order_by("next_due", "received_at"))
