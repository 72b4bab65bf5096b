"""Leaders, the reception schedule, the citizen portal's 预登记 and its triage (§18 ¶2, §8.1)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from xinfang.audit import services as audit
from xinfang.core.crypto import blind_indexes
from xinfang.core.i18n import source_language, source_text
from xinfang.domain import idcard
from xinfang.domain import practice as pr
from xinfang.domain import states as st
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.org.models import Body, Division, User
from xinfang.petitions import clocks, permissions
from xinfang.petitions import services as ps
from xinfang.petitions.models import Matter
from xinfang.petitions.services import ValidationFailed

from ..models import (
    Case,
    DisputeEntry,
    LeaderProfile,
    PreRegistration,
    ReceptionSlot,
    VisitRecord,
)
from ._common import R, _audit, _subtree, _today
from .config import reception_config

# =========================================================================== leaders & schedule


def tier_for(user: User) -> pr.Tier:
    """Default rule tier from the leader's body: departments quarterly, else by level."""
    body = user.body
    if body is None:
        raise GuardFailed("该领导未设置所在单位")
    if body.kind == Body.Kind.DEPARTMENT:
        return pr.Tier.DEPARTMENT
    return {1: pr.Tier.PROVINCE, 2: pr.Tier.CITY, 3: pr.Tier.COUNTY}.get(
        body.division.level, pr.Tier.TOWNSHIP)


@transaction.atomic
def set_leader_profile(leader: User, *, user: User, tier: str | None = None,
                       is_principal: bool = False, on_rota: bool = True,
                       active: bool = True) -> LeaderProfile:
    permissions.require(user, "schedule_reception",
                        path=leader.body.division.path if leader.body else None)
    if leader.role != R.LEADER:
        raise GuardFailed("只有领导干部可以列入接访安排")
    t = pr.Tier(tier) if tier else tier_for(leader)
    p, _ = LeaderProfile.objects.update_or_create(user=leader, defaults=dict(
        tier=t.value, is_principal=is_principal, on_rota=on_rota, active=active))
    _audit("leader_profile", user, p, leader=leader.pk, tier=t.value, principal=is_principal)
    return p


def leaders_in(division: Division) -> QuerySet[LeaderProfile]:
    """Active reception leaders whose body sits in ``division`` or below."""
    return (LeaderProfile.objects.filter(active=True, user__is_active=True)
            .filter(_subtree(division.path, "user__body__division__path"))
            .select_related("user__body__division").order_by("-is_principal", "user_id"))


def _ref(p: LeaderProfile) -> pr.LeaderRef:
    return pr.LeaderRef(p.user_id, str(p.user), pr.Tier(p.tier), p.is_principal, p.on_rota)


def default_place(division: Division) -> str:
    xf = Body.objects.filter(division=division, kind=Body.Kind.XINFANG).first()
    return (xf.address if xf and xf.address else (xf.name if xf else "")) or f"{division.name}群众来访接待场所"


def _slot(leader: User, day: date, *, session: str, source: str, kind: str, place: str,
          topics: str, user: User | None, status: str = ReceptionSlot.Status.PROPOSED,
          capacity: int = 10, people_met: str = "") -> ReceptionSlot:
    body = leader.body
    if body is None:
        raise GuardFailed("该领导未设置所在单位")
    return ReceptionSlot.objects.create(
        leader=leader, body=body, division=body.division, division_path=body.division.path,
        kind=kind, day=day, session=session, place=place or default_place(body.division),
        topics=topics, source=source, status=status, capacity=capacity,
        people_met=people_met, created_by=user)


def propose_schedule(division: Division, start: date, end: date, *, user: User,
                     place: str = "", topics: str = "") -> list[ReceptionSlot]:
    """Create PROPOSED slots so the schedule for [start, end] meets every rule (§8.1).

    Slots already on the schedule count; leaders and their offices then adjust the proposal
    (update_slot, cancel_slot, add_slot) and publish it."""
    permissions.require(user, "schedule_reception", path=division.path)
    if end < start:
        raise GuardFailed("结束日期不能早于开始日期")
    if (end - start).days > 366:
        raise GuardFailed("一次最多编排一年的接访计划")
    cfg = reception_config(division)
    profiles = {p.user_id: p for p in leaders_in(division)}
    # Period windows straddling the range: their days outside it count as well.
    lo = min([pr.period_window(r.period, start)[0] for r in cfg.frequency.values()] + [start])
    hi = max([pr.period_window(r.period, end)[1] for r in cfg.frequency.values()] + [end])
    existing = [
        pr.Slot(s.leader_id, s.day, pr.Session(s.session), pr.SlotSource(s.source))
        for s in ReceptionSlot.objects.filter(leader_id__in=profiles, day__range=(lo, hi))
        .exclude(status=ReceptionSlot.Status.CANCELLED)
    ]
    proposal = pr.propose_schedule([_ref(p) for p in profiles.values()], start, end,
                                   clocks.calendar(), cfg, existing)
    with transaction.atomic():
        created = [
            _slot(profiles[s.leader_id].user, s.day, session=s.session.value,
                  source=s.source.value, kind=ReceptionSlot.Kind.RECEPTION, place=place,
                  topics=topics, user=user)
            for s in proposal
        ]
        audit.record("propose_schedule", actor=user, object_type="division",
                     object_id=division.pk, data={"start": start, "end": end,
                                                  "slots": len(created)})
    return created


def _can_manage(user: User, slot: ReceptionSlot) -> bool:
    if user.is_superuser or user.role == R.ADMIN or user.pk == slot.leader_id:
        return True
    if not permissions.may(user, "schedule_reception") or user.body is None:
        return False
    if user.body_id == slot.body_id:
        return True  # the leader's office
    return user.body.kind in (Body.Kind.XINFANG, Body.Kind.PARTY_GOV) and permissions.covers(
        user, slot.division_path)


def _manageable(slot: ReceptionSlot, user: User) -> None:
    if not _can_manage(user, slot):
        raise Forbidden("只有接访领导本人及其办公室、本级信访部门可以调整接访安排")
    if slot.status in (ReceptionSlot.Status.HELD, ReceptionSlot.Status.CANCELLED):
        raise GuardFailed(f"该接访安排{source_text(ReceptionSlot.Status(slot.status).label)}，不能再调整")


@transaction.atomic
def add_slot(leader: User, day: date, *, user: User, session: str = "day",
             kind: str = ReceptionSlot.Kind.RECEPTION, place: str = "", topics: str = "",
             capacity: int = 10, people_met: str = "", publish: bool = False) -> ReceptionSlot:
    """A reception day or a 下访 (kind="field", place = where the leader goes)."""
    if leader.role != R.LEADER:
        raise GuardFailed("接访下访应由领导干部进行")
    probe = ReceptionSlot(leader=leader, body_id=leader.body_id,
                          division_path=leader.body.division.path if leader.body else "")
    if not _can_manage(user, probe):
        raise Forbidden("只有接访领导本人及其办公室、本级信访部门可以安排接访")
    if kind == ReceptionSlot.Kind.FIELD and not place.strip():
        raise GuardFailed("领导下访请填写下访地点")
    try:
        with transaction.atomic():
            slot = _slot(leader, day, session=session, source=pr.SlotSource.MANUAL.value,
                         kind=kind, place=place, topics=topics, user=user, capacity=capacity,
                         people_met=people_met,
                         status=ReceptionSlot.Status.PUBLISHED if publish
                         else ReceptionSlot.Status.PROPOSED)
    except IntegrityError as e:
        raise GuardFailed("该领导在该时段已有接访安排") from e
    _audit("add_slot", user, slot, leader=leader.pk, day=day, kind=kind)
    return slot


SLOT_FIELDS = {"day", "session", "place", "topics", "capacity", "kind", "people_met", "note",
               "leader"}


@transaction.atomic
def update_slot(slot: ReceptionSlot, *, user: User, **changes: Any) -> ReceptionSlot:
    """Move or edit a slot (day, session, place, topics, capacity, leader …)."""
    slot = ReceptionSlot.objects.select_for_update().get(pk=slot.pk)
    _manageable(slot, user)
    unknown = set(changes) - SLOT_FIELDS
    if unknown:
        raise GuardFailed(f"不能修改：{'、'.join(sorted(unknown))}")
    if "leader" in changes:
        leader = changes.pop("leader")
        if leader.role != R.LEADER or leader.body is None:
            raise GuardFailed("接访领导应为领导干部")
        slot.leader, slot.body = leader, leader.body
        slot.division, slot.division_path = leader.body.division, leader.body.division.path
    for k, v in changes.items():
        setattr(slot, k, v)
    if changes.get("capacity") is not None and slot.preregs.exclude(
            status__in=[PreRegistration.Status.DECLINED, PreRegistration.Status.REDIRECTED]
    ).count() > slot.capacity:
        raise GuardFailed("预约名额不能少于已预约人数")
    try:
        with transaction.atomic():
            slot.save()
    except IntegrityError as e:
        raise GuardFailed("该领导在该时段已有接访安排") from e
    _audit("update_slot", user, slot, **{k: str(v) for k, v in changes.items()})
    return slot


@transaction.atomic
def cancel_slot(slot: ReceptionSlot, *, user: User, reason: str) -> ReceptionSlot:
    slot = ReceptionSlot.objects.select_for_update().get(pk=slot.pk)
    _manageable(slot, user)
    if not reason.strip():
        raise GuardFailed("请说明取消原因")
    slot.status, slot.note = ReceptionSlot.Status.CANCELLED, reason.strip()[:200]
    slot.save(update_fields=["status", "note", "updated_at"])
    _audit("cancel_slot", user, slot, reason=reason)
    return slot


@transaction.atomic
def publish_slots(slots: Iterable[ReceptionSlot], *, user: User) -> int:
    """Proposed → published (visible on the citizen portal, open for 预登记)."""
    n = 0
    for slot in slots:
        if slot.status != ReceptionSlot.Status.PROPOSED:
            continue
        _manageable(slot, user)
        ReceptionSlot.objects.filter(pk=slot.pk).update(status=ReceptionSlot.Status.PUBLISHED)
        slot.status = ReceptionSlot.Status.PUBLISHED
        n += 1
    audit.record("publish_slots", actor=user, object_type="reception_slot", object_id="*",
                 data={"count": n})
    return n


def held_q() -> Q:
    """A held day that counts for compliance: a 接谈 recorded on it, or "no visitors" recorded
    with the reception room's log entry, or for a 下访 the people met (issue 17 item 6)."""
    return Q(status=ReceptionSlot.Status.HELD) & (
        Q(Exists(VisitRecord.objects.filter(slot=OuterRef("pk"))))
        | (Q(no_visitors=True) & ~Q(room_log=""))
        | (Q(kind=ReceptionSlot.Kind.FIELD) & ~Q(people_met="")))


@transaction.atomic
def mark_held(slot: ReceptionSlot, *, user: User, people_met: str = "",
              no_visitors: bool = False, room_log: str = "") -> ReceptionSlot:
    """The reception or 下访 took place (counts for compliance): with its 接谈 records, or
    "no visitors" and the room log's entry, or (下访) the people met."""
    slot = ReceptionSlot.objects.select_for_update().get(pk=slot.pk)
    if slot.status == ReceptionSlot.Status.HELD:
        return slot
    _manageable(slot, user)
    if slot.day > _today():
        raise GuardFailed("接访日期未到，不能登记为已接访")
    has_visits = VisitRecord.objects.filter(slot=slot).exists()
    if slot.kind == ReceptionSlot.Kind.FIELD:
        if not (has_visits or people_met.strip()):
            raise GuardFailed("登记已下访，应填写接触群众情况或接谈记录")
    elif not has_visits and not (no_visitors and room_log.strip()):
        raise GuardFailed("尚无接谈记录：请先填写接谈记录，或登记“当日无群众来访”并填写接待室登记簿记载")
    slot.status = ReceptionSlot.Status.HELD
    if people_met:
        slot.people_met = people_met
    if no_visitors and not has_visits:
        slot.no_visitors, slot.room_log = True, room_log.strip()
    slot.save(update_fields=["status", "people_met", "no_visitors", "room_log", "updated_at"])
    _audit("slot_held", user, slot, no_visitors=slot.no_visitors)
    return slot


# =========================================================================== portal & 预登记


def published_schedule(division: Division, start: date | None = None,
                       end: date | None = None) -> QuerySet[ReceptionSlot]:
    """The citizen portal's list: leader, date, session, place, topics (published only)."""
    start = start or _today()
    qs = ReceptionSlot.objects.filter(_subtree(division.path), day__gte=start,
                                      status=ReceptionSlot.Status.PUBLISHED)
    if end:
        qs = qs.filter(day__lte=end)
    return qs.select_related("leader", "body").order_by("day", "session")


def seats_left(slot: ReceptionSlot) -> int:
    taken = slot.preregs.exclude(status__in=[PreRegistration.Status.DECLINED,
                                             PreRegistration.Status.REDIRECTED]).count()
    return max(0, slot.capacity - taken)


def preregister(slot: ReceptionSlot, *, name: str, phone: str, title: str, request: str,
                division: Division, content: str = "", id_number: str = "",
                headcount: int = 1) -> PreRegistration:
    """A citizen's 预登记 for a published reception day; returns it with its 查询码."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "请填写姓名"
    phone = phone.strip()
    if not (phone.isdigit() and 7 <= len(phone) <= 12):
        errors["phone"] = "请填写正确的联系电话"
    if id_number and (problem := idcard.validate(id_number)):
        errors["id_number"] = problem
    if not title.strip():
        errors["title"] = "请简要填写反映的事项"
    if not request.strip():
        errors["request"] = "请填写诉求（§19 ¶1）"
    if headcount > ps.MAX_REPRESENTATIVES:
        errors["headcount"] = f"多人走访应推选代表，代表人数不得超过{ps.MAX_REPRESENTATIVES}人（§20 ¶3）"
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        slot = ReceptionSlot.objects.select_for_update().get(pk=slot.pk)
        if slot.status != ReceptionSlot.Status.PUBLISHED or slot.day < _today():
            raise GuardFailed("该接访场次不接受预约")
        if seats_left(slot) <= 0:
            raise GuardFailed("该接访场次预约已满，请选择其他场次")
        if slot.preregs.filter(phone_index__in=blind_indexes(phone, "phone")).exclude(
                status=PreRegistration.Status.DECLINED).exists():
            raise GuardFailed("您已预约该场次")
        p = PreRegistration.objects.create(
            slot=slot, code=_new_code(), name=name.strip(), phone=phone,
            # phone_index and id_index derive themselves (BlindIndexField.pre_save).
            id_number=idcard.normalize(id_number) if id_number else "", division=division,
            division_path=division.path, title=title.strip(), request=request.strip(),
            content=content.strip(), headcount=headcount)
        _audit("preregister", None, p, label="信访人", slot=slot.pk)
    return p


def _new_code() -> str:
    for _ in range(10):
        code = ps.new_query_code()
        if not PreRegistration.objects.filter(code=code).exists():
            return code
    raise GuardFailed("请稍后再试")


def preregistration_for_citizen(code: str, phone: str) -> PreRegistration | None:
    return PreRegistration.objects.filter(
        code=(code or "").strip().upper(),
        phone_index__in=blind_indexes((phone or "").strip(), "phone")).select_related("slot").first()


TRIAGE = {
    "accept": PreRegistration.Status.ACCEPTED,
    "redirect": PreRegistration.Status.REDIRECTED,
    "decline": PreRegistration.Status.DECLINED,
    "no_show": PreRegistration.Status.NO_SHOW,
}


@transaction.atomic
def triage(prereg: PreRegistration, *, user: User, decision: str, note: str = "") -> PreRegistration:
    """Staff sort a 预登记: accept (and prepare the 访前 brief), redirect, decline, no-show."""
    permissions.require(user, "triage")
    prereg = PreRegistration.objects.select_for_update().select_related("slot").get(pk=prereg.pk)
    if not (_can_manage(user, prereg.slot)
            or permissions.covers(user, prereg.slot.division_path)):
        raise Forbidden("只能分办本辖区的预登记")
    if decision not in TRIAGE:
        raise GuardFailed("请选择分办意见")
    if decision in ("redirect", "decline") and not note.strip():
        raise GuardFailed("引导或不予安排应说明理由和有权处理机关")
    if prereg.status == PreRegistration.Status.VISITED:
        raise GuardFailed("已接谈的预登记不能再分办")
    prereg.status, prereg.triage_note = TRIAGE[decision], note.strip()
    prereg.triaged_by, prereg.triaged_at = user, timezone.now()
    if decision == "accept":
        with source_language():  # the stored brief is a record: Chinese
            prereg.brief = build_brief(prereg)
    prereg.save()
    _audit("triage_prereg", user, prereg, decision=decision)
    return prereg


def _history(prereg: PreRegistration) -> list[Matter]:
    # From the plain values, not the stored tokens: during a key rotation the two tables
    # may carry a person's index under different keys.
    q = Q(petitioners__phone_index__in=blind_indexes(prereg.phone, "phone"))
    if prereg.id_number:
        q |= Q(petitioners__id_index__in=blind_indexes(prereg.id_number, "id"))
    return list(Matter.objects.filter(q).distinct().select_related("lead_body", "holder")
                .order_by("-received_at")[:20])


def build_brief(prereg: PreRegistration) -> dict[str, Any]:
    """访前 brief: the visitor's history, repeat status, related matters, units concerned."""
    hist = _history(prereg)
    hist_ids = {m.pk for m in hist}
    finals = [m for m in hist if m.state == st.State.FINAL]
    open_ = [m for m in hist if m.state in st.OPEN_STATES]
    if not hist:
        repeat = "初信初访"
    elif finals:
        repeat = f"重复信访（{len(hist)}件），其中{len(finals)}件已终结：同一事实和理由不再受理（§36 ¶3）"
    elif open_:
        repeat = f"重复信访（{len(hist)}件），{len(open_)}件在办：向办理机关了解进展（§19 ¶3）"
    else:
        repeat = f"重复信访（{len(hist)}件），均已办结"
    related = (Matter.objects.filter(division_path=prereg.division_path,
                                     state__in=[s.value for s in st.OPEN_STATES])
               .exclude(pk__in=hist_ids).select_related("lead_body").order_by("-received_at")[:5])
    units: dict[int, str] = {}
    for m in [*hist, *related]:
        if m.lead_body_id:
            units[m.lead_body_id] = m.lead_body.name  # type: ignore[union-attr]
    cases = Case.objects.filter(matter_id__in=hist_ids).exclude(status=Case.Status.CLOSED)
    disputes = DisputeEntry.objects.filter(division_path=prereg.division_path,
                                           status=DisputeEntry.Status.OPEN)
    for d in disputes:
        if d.responsible_body_id:
            units[d.responsible_body_id] = d.responsible_body.name  # type: ignore[union-attr]

    def row(m: Matter) -> dict[str, Any]:
        return {"id": m.pk, "number": m.number, "title": m.title, "state": m.state_label,
                "received_on": timezone.localdate(m.received_at).isoformat(),
                "lead_body": m.lead_body.name if m.lead_body else ""}

    return {
        "prepared_on": _today().isoformat(),
        "history": [row(m) for m in hist],
        "repeat_status": repeat,
        "related": [row(m) for m in related],
        "cases": [{"id": c.pk, "kind": c.get_kind_display(), "leader": str(c.leader),
                   "due_on": c.due_on.isoformat()} for c in cases],
        "disputes": [{"id": d.pk, "title": d.title, "risk": d.get_risk_grade_display()}
                     for d in disputes[:5]],
        "units": sorted(units.values()),
    }
