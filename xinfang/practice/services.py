"""Every write to a practice record: one transaction with an audit row (procedure.md §8).

Web pages and the API validate input and call these functions; reads go through the query
helpers below plus access.visible(). Domain rules live in xinfang.domain.practice; the
statutory clocks of a matter assigned at a reception come from xinfang.petitions.services.

Sections: configuration · leaders & schedule (§8.1) · portal & 预登记 · visits & the closed
loop · 首问负责 (§8.4) · 包案/积案 (§8.2) · reports · screening (§8.9) · 稳评 (§8.8) ·
meetings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from xinfang.audit import services as audit
from xinfang.core.crypto import blind_index
from xinfang.core.i18n import source_language, source_text
from xinfang.domain import idcard
from xinfang.domain import practice as pr
from xinfang.domain import states as st
from xinfang.domain.deadlines import GRADE_CODES
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.org.models import Body, Division, User
from xinfang.petitions import clocks
from xinfang.petitions import services as ps
from xinfang.petitions.models import Clock, Dispatch, Matter
from xinfang.petitions.services import PetitionerIn, Registration, ValidationFailed

from .models import (
    Case,
    CaseLog,
    CaseMilestone,
    DisputeEntry,
    DisputeFollowUp,
    Handover,
    LeaderProfile,
    Meeting,
    MeetingDecision,
    PracticeSettings,
    PreRegistration,
    ReceptionRule,
    ReceptionSlot,
    RiskAssessment,
    ScreeningRound,
    VisitRecord,
)

R = st.Role
DONE_STATES = frozenset({st.State.FINAL, st.State.CLOSED, st.State.ARCHIVED})
# A matter counts as 办结 for a visit item once the unit has answered it.
ANSWERED_STATES = DONE_STATES | {st.State.REPLIED, st.State.REVIEW_REQUESTED, st.State.REVIEWED,
                                 st.State.RECHECK_REQUESTED, st.State.RECHECK_HEARING}
SCHEDULERS = frozenset({R.LEADER, R.OFFICER, R.ADMIN})
CASE_OPENERS = frozenset({R.LEADER, R.OFFICER, R.SUPERVISOR, R.ADMIN})


def _today() -> date:
    return clocks.today()


def _role(user: User | None) -> st.Role | None:
    return st.Role(user.role) if user is not None else None


def _require(user: User | None, roles: Iterable[st.Role], what: str) -> User:
    if user is None or _role(user) not in set(roles):
        raise Forbidden(f"您无权{what}")
    return user


def _covers(user: User, path: str) -> bool:
    """The user's body has jurisdiction over ``path`` (its division or below)."""
    if user.is_superuser or user.role == R.ADMIN:
        return True
    if user.body is None:
        return False
    own = user.body.division.path
    return path == own or path.startswith(own + "/")


def _audit(action: str, user: User | None, obj: Any, *, matter_id: int | None = None,
           label: str = "", **data: Any) -> None:
    audit.record(action, actor=user, actor_label=label, object_type=obj._meta.model_name,
                 object_id=obj.pk, matter_id=matter_id, data=data)


def _subtree(path: str, field: str = "division_path") -> Q:
    return Q(**{field: path}) | Q(**{f"{field}__startswith": path + "/"})


# =========================================================================== configuration


def settings_for(division: Division) -> PracticeSettings | None:
    """The nearest PracticeSettings row on the division's path (itself first)."""
    codes = division.path_codes()
    rows = {s.division_id: s for s in PracticeSettings.objects.filter(division_id__in=codes)}
    for code in reversed(codes):
        if code in rows:
            return rows[code]
    return None


def frequency_rules() -> dict[pr.Tier, pr.FrequencyRule]:
    """Domain defaults, overridden by ReceptionRule rows (the admin's configuration)."""
    rules = dict(pr.DEFAULT_FREQUENCY)
    for r in ReceptionRule.objects.all():
        rules[pr.Tier(r.tier)] = pr.FrequencyRule(
            pr.Tier(r.tier), pr.Period(r.period), r.min_days, r.source or "本地配置",
            pr.Certainty(r.certainty), r.note)
    return rules


def reception_config(division: Division) -> pr.ReceptionConfig:
    s = settings_for(division)
    freq = frequency_rules()
    if s is None:
        return pr.ReceptionConfig(frequency=freq)
    return pr.ReceptionConfig(
        frequency=freq, daily_rota=s.daily_rota, principal_weekday=s.principal_weekday,
        principal_session=pr.Session(s.principal_session), fixed_monthly_day=s.fixed_monthly_day)


def rule_sheet(division: Division) -> list[dict[str, str]]:
    """Every reception rule in force with its source and certainty (admin UI, §8.1)."""
    cfg = reception_config(division)
    rows = [{"rule": r.label, "source": r.source, "certainty": pr.CERTAINTY_LABELS[r.certainty],
             "note": r.note} for r in cfg.frequency.values()]
    extra = [(cfg.daily_rota, pr.ROTA_NOTE), (cfg.principal_weekday is not None, pr.PRINCIPAL_NOTE),
             (cfg.fixed_monthly_day is not None, pr.FIXED_DAY_NOTE)]
    for on, note in extra:
        if on:
            rows.append({"rule": note.label, "source": note.source,
                         "certainty": pr.CERTAINTY_LABELS[note.certainty], "note": ""})
    return rows


def backlog_policy(division: Division) -> pr.BacklogPolicy:
    s = settings_for(division)
    return pr.BacklogPolicy(open_age_days=s.backlog_open_days) if s else pr.BacklogPolicy()


@transaction.atomic
def configure(division: Division, *, user: User, **values: Any) -> PracticeSettings:
    """Set a place's practice configuration (administrators and 信访部门 officers)."""
    _require(user, {R.ADMIN, R.OFFICER}, "修改工作机制配置")
    if not _covers(user, division.path):
        raise Forbidden("只能配置本辖区的工作机制")
    allowed = {"daily_rota", "principal_weekday", "principal_session", "fixed_monthly_day",
               "backlog_open_days", "screening_since"}
    unknown = set(values) - allowed
    if unknown:
        raise GuardFailed(f"未知的配置项：{'、'.join(sorted(unknown))}")
    s, _ = PracticeSettings.objects.get_or_create(division=division)
    for k, v in values.items():
        setattr(s, k, v)
    try:
        pr.ReceptionConfig(principal_weekday=s.principal_weekday,
                           fixed_monthly_day=s.fixed_monthly_day)
    except ValueError as e:
        raise GuardFailed("固定接访日应为每月1至28日，星期应为0至6") from e
    s.save()
    _audit("practice_configure", user, s, **{k: str(v) for k, v in values.items()})
    return s


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
    _require(user, SCHEDULERS, "维护接访领导名单")
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
    _require(user, SCHEDULERS, "编排接访计划")
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
    if _role(user) not in (R.OFFICER, R.LEADER) or user.body is None:
        return False
    if user.body_id == slot.body_id:
        return True  # the leader's office
    return user.body.kind in (Body.Kind.XINFANG, Body.Kind.PARTY_GOV) and _covers(
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


@transaction.atomic
def mark_held(slot: ReceptionSlot, *, user: User, people_met: str = "") -> ReceptionSlot:
    """The reception or 下访 took place (counts for compliance)."""
    slot = ReceptionSlot.objects.select_for_update().get(pk=slot.pk)
    if slot.status == ReceptionSlot.Status.HELD:
        return slot
    _manageable(slot, user)
    if slot.day > _today():
        raise GuardFailed("接访日期未到，不能登记为已接访")
    slot.status = ReceptionSlot.Status.HELD
    if people_met:
        slot.people_met = people_met
    slot.save(update_fields=["status", "people_met", "updated_at"])
    _audit("slot_held", user, slot)
    return slot


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
        pidx = blind_index(phone, "phone")
        if slot.preregs.filter(phone_index=pidx).exclude(
                status=PreRegistration.Status.DECLINED).exists():
            raise GuardFailed("您已预约该场次")
        p = PreRegistration.objects.create(
            slot=slot, code=_new_code(), name=name.strip(), phone=phone,
            id_number=idcard.normalize(id_number) if id_number else "", phone_index=pidx,
            id_index=blind_index(id_number, "id") if id_number else "", division=division,
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
        phone_index=blind_index((phone or "").strip(), "phone")).select_related("slot").first()


TRIAGE = {
    "accept": PreRegistration.Status.ACCEPTED,
    "redirect": PreRegistration.Status.REDIRECTED,
    "decline": PreRegistration.Status.DECLINED,
    "no_show": PreRegistration.Status.NO_SHOW,
}


@transaction.atomic
def triage(prereg: PreRegistration, *, user: User, decision: str, note: str = "") -> PreRegistration:
    """Staff sort a 预登记: accept (and prepare the 访前 brief), redirect, decline, no-show."""
    _require(user, {R.OFFICER, R.LEADER, R.REGISTRAR, R.ADMIN}, "分办预登记")
    prereg = PreRegistration.objects.select_for_update().select_related("slot").get(pk=prereg.pk)
    if not _can_manage(user, prereg.slot) and not _covers(user, prereg.slot.division_path):
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
    q = Q(petitioners__phone_index=prereg.phone_index)
    if prereg.id_index:
        q |= Q(petitioners__id_index=prereg.id_index)
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
        if slot.status != ReceptionSlot.Status.HELD:
            ReceptionSlot.objects.filter(pk=slot.pk).update(status=ReceptionSlot.Status.HELD)
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


# =========================================================================== 包案 / 积案 (§8.2)


def _log(case: Case, action: str, user: User | None, note: str = "", **data: Any) -> CaseLog:
    return CaseLog.objects.create(case=case, action=action, note=note, actor=user,
                                  at=timezone.now(), data=data)


def open_case(matter: Matter, *, user: User, task: str, leader: User | None,
              handler: User | None, due_on: date | None, plan: str = "",
              team: Iterable[User] = (), kind: str = Case.Kind.OWNERSHIP,
              backlog_reason: str = "", trigger_matter: Matter | None = None) -> Case:
    """四定: task, owning leader, handler and deadline, all required (§8.2)."""
    _require(user, CASE_OPENERS, "确定包案")
    errors = pr.four_fixes_missing({"task": task.strip(), "leader": leader, "handler": handler,
                                    "due_on": due_on})
    if errors:
        raise ValidationFailed(errors)
    assert leader is not None and handler is not None and due_on is not None
    if leader.role != R.LEADER:
        raise GuardFailed("包案领导应为领导干部（§18 ¶2）")
    if not leader.is_active or not handler.is_active:
        raise GuardFailed("包案领导和承办人应为在岗人员")
    if due_on <= _today():
        raise GuardFailed("办结时限应晚于今天")
    if not _covers(user, matter.division_path) and user.body_id not in (
            matter.holder_id, matter.lead_body_id):
        raise Forbidden("只能对本辖区的事项确定包案")
    try:
        with transaction.atomic():
            case = Case.objects.create(
                matter=matter, kind=kind, task=task.strip(), leader=leader, handler=handler,
                plan=plan.strip(), due_on=due_on, backlog_reason=backlog_reason,
                trigger_matter=trigger_matter, division_path=matter.division_path,
                created_by=user, created_at=timezone.now())
            case.team.set(list(team))
            _log(case, "open", user, task.strip(), leader=leader.pk, handler=handler.pk,
                 due_on=due_on.isoformat())
            _audit("open_case", user, case, matter_id=matter.pk, kind=kind, leader=leader.pk)
    except IntegrityError as e:
        raise GuardFailed("该事项已有在办的同类包案（积案）") from e
    return case


def _case_member(case: Case, user: User) -> bool:
    return (user.pk in (case.leader_id, case.handler_id) or user.role == R.ADMIN
            or case.team.filter(pk=user.pk).exists())


@transaction.atomic
def record_milestone(case: Case, duty: str, *, user: User, evidence: str,
                     on: date | None = None) -> CaseMilestone:
    """A 四包 duty done, with its evidence (包调查、包处理、包疏导教育、包息诉罢访)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not _case_member(case, user):
        raise Forbidden("只有包案领导、承办人和专班成员可以记录进展")
    if case.status != Case.Status.OPEN:
        raise GuardFailed("案件已提请销号或已销号")
    done = list(case.milestones.values_list("duty", flat=True))
    problem = pr.milestone_problem(duty, done, evidence)
    if problem:
        raise GuardFailed(problem)
    on = on or _today()
    if on > _today():
        raise GuardFailed("完成日期不能晚于今天")
    ms = CaseMilestone.objects.create(case=case, duty=duty, done_on=on, evidence=evidence.strip(),
                                      recorded_by=user, recorded_at=timezone.now())
    _log(case, "milestone", user, evidence.strip()[:200], duty=duty)
    _audit("case_milestone", user, ms, matter_id=case.matter_id, duty=duty)
    return ms


@transaction.atomic
def add_progress(case: Case, *, user: User, note: str) -> CaseLog:
    if not _case_member(case, user):
        raise Forbidden("只有包案领导、承办人和专班成员可以报告进展")
    if not note.strip():
        raise GuardFailed("请填写进展情况")
    entry = _log(case, "progress", user, note.strip())
    _audit("case_progress", user, case, matter_id=case.matter_id)
    return entry


def case_view(case: Case, today: date | None = None) -> dict[str, Any]:
    """四定 and 四包 at a glance."""
    today = today or _today()
    done = {m.duty: m for m in case.milestones.all()}
    return {
        "case": case,
        "fixes": {"task": case.task, "leader": case.leader, "handler": case.handler,
                  "due_on": case.due_on},
        "duties": [{"code": c, "label": label, "national": nat, "milestone": done.get(c)}
                   for c, label, nat in pr.FOUR_DUTIES],
        "days_left": (case.due_on - today).days,
        "overdue": case.status != Case.Status.CLOSED and case.due_on < today,
        "log": list(case.log.select_related("actor")),
    }


@dataclass
class BacklogCandidate:
    matter: Matter
    reason: pr.BacklogReason
    trigger: Matter | None = None

    @property
    def reason_label(self) -> str:
        return pr.BACKLOG_REASON_LABELS[self.reason]


def backlog_candidates(division: Division, today: date | None = None) -> list[BacklogCandidate]:
    """Matters that meet the 积案 criteria and are not yet an open backlog case."""
    today = today or _today()
    policy = backlog_policy(division)
    already = Case.objects.filter(kind=Case.Kind.BACKLOG).exclude(
        status=Case.Status.CLOSED).values("matter_id")
    base = Matter.objects.filter(_subtree(division.path)).exclude(pk__in=already)
    out: list[BacklogCandidate] = []
    cutoff = timezone.make_aware(datetime.combine(
        today - timedelta(days=policy.open_age_days), time.min))
    for m in base.filter(state__in=[s.value for s in st.OPEN_STATES], received_at__lt=cutoff):
        reason = pr.backlog_reason(received_on=timezone.localdate(m.received_at), is_open=True,
                                   is_final=False, repeats_after_final=0, today=today,
                                   policy=policy)
        if reason:
            out.append(BacklogCandidate(m, reason))
    if policy.repeat_after_final:
        for m in base.filter(state=st.State.FINAL.value).prefetch_related("repeats"):
            later = [r for r in m.repeats.all() if m.closed_at and r.received_at > m.closed_at]
            if later:
                out.append(BacklogCandidate(m, pr.BacklogReason.REPEAT_AFTER_FINAL,
                                            max(later, key=lambda r: r.received_at)))
    return out


def promote_backlog(matter: Matter, *, user: User, leader: User, handler: User, due_on: date,
                    plan: str, task: str = "", team: Iterable[User] = ()) -> Case:
    """Make a qualifying matter a 积案 with one leader, one team and one plan."""
    if not plan.strip():
        raise GuardFailed("积案应制定化解方案（一案一策）")
    cand = next((c for c in backlog_candidates(Division.objects.get(pk=matter.division_id))
                 if c.matter.pk == matter.pk), None)
    if cand is None:
        raise GuardFailed("该事项不符合积案认定标准或已列为积案")
    return open_case(matter, user=user, task=task or f"化解信访积案：{matter.title}",
                     leader=leader, handler=handler, due_on=due_on, plan=plan, team=team,
                     kind=Case.Kind.BACKLOG, backlog_reason=cand.reason.value,
                     trigger_matter=cand.trigger)


def list_for_supervision(case: Case, *, user: User, note: str) -> Case:
    """挂牌督办 (§40): the case is listed; an open matter also gets a 督办单."""
    _require(user, {R.SUPERVISOR, R.LEADER, R.ADMIN}, "挂牌督办")
    if not note.strip():
        raise GuardFailed("请填写督办要求")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status == Case.Status.CLOSED:
            raise GuardFailed("案件已销号")
        if case.listed:
            raise GuardFailed("该案件已挂牌督办")
        case.listed, case.listed_by, case.listed_at = True, user, timezone.now()
        case.listing_note = note.strip()
        case.save(update_fields=["listed", "listed_by", "listed_at", "listing_note"])
        if case.matter.state in st.OPEN_STATES:
            ps.supervise(case.matter, user=user, note=f"挂牌督办：{note.strip()}")
        _log(case, "listed", user, note.strip())
        _audit("list_case", user, case, matter_id=case.matter_id)
    return case


@transaction.atomic
def propose_closure(case: Case, *, user: User, criterion: str, statement: str,
                    resolved: bool = True) -> Case:
    """The owner proposes 销号 on a stated criterion (息诉罢访 or 终结)."""
    case = Case.objects.select_for_update().select_related("matter").get(pk=case.pk)
    if user.pk not in (case.leader_id, case.handler_id):
        raise Forbidden("销号应由包案领导或承办人提出")
    if case.status != Case.Status.OPEN:
        raise GuardFailed("案件不在化解中")
    problem = pr.closure_problem(criterion, matter_state=case.matter.state, statement=statement)
    if problem:
        raise GuardFailed(problem)
    if criterion == pr.ClosureCriterion.SETTLED and not case.milestones.filter(
            duty="settle").exists():
        raise GuardFailed("以息诉罢访销号，应先记录“包息诉罢访”的工作佐证")
    case.status, case.criterion = Case.Status.CLOSING, criterion
    case.closure_statement, case.resolved = statement.strip(), resolved
    case.proposed_at = timezone.now()
    case.save()
    _log(case, "propose_closure", user, statement.strip(), criterion=criterion)
    _audit("propose_case_closure", user, case, matter_id=case.matter_id, criterion=criterion)
    return case


@transaction.atomic
def sign_off(case: Case, *, user: User, approve: bool = True, note: str = "") -> Case:
    """The supervisor signs off the closure, or sends it back with a reason."""
    _require(user, {R.SUPERVISOR, R.ADMIN}, "审核销号")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if user.pk in (case.leader_id, case.handler_id):
        raise Forbidden("包案领导和承办人不能审核本人案件的销号")
    if case.status != Case.Status.CLOSING:
        raise GuardFailed("案件未提请销号")
    if approve:
        case.status, case.signed_off_by, case.closed_at = (Case.Status.CLOSED, user,
                                                           timezone.now())
    else:
        if not note.strip():
            raise GuardFailed("退回销号申请应说明理由")
        case.status = Case.Status.OPEN
    case.save()
    _log(case, "sign_off" if approve else "closure_returned", user, note.strip())
    _audit("case_sign_off", user, case, matter_id=case.matter_id, approve=approve)
    return case


def open_cases_of(user: User) -> QuerySet[Case]:
    return (Case.objects.exclude(status=Case.Status.CLOSED)
            .filter(Q(leader=user) | Q(handler=user) | Q(team=user)).distinct()
            .select_related("matter", "leader", "handler").order_by("due_on"))


@transaction.atomic
def handover(from_user: User, to_user: User, *, user: User, reason: str) -> Handover:
    """新官理旧账: every open case owned, handled or staffed by ``from_user`` passes to
    ``to_user`` explicitly, with a log entry per case."""
    _require(user, {R.ADMIN, R.OFFICER, R.SUPERVISOR, R.LEADER}, "办理包案交接")
    if from_user.pk == to_user.pk:
        raise GuardFailed("交接双方不能是同一人")
    if not to_user.is_active:
        raise GuardFailed("接手人应为在岗人员")
    if not reason.strip():
        raise GuardFailed("请说明交接原因（如职务调整）")
    ids = list(open_cases_of(from_user).values_list("pk", flat=True))
    cases = list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if any(c.leader_id == from_user.pk for c in cases) and to_user.role != R.LEADER:
        raise GuardFailed("包案领导的案件应交由领导干部接手")
    h = Handover.objects.create(from_user=from_user, to_user=to_user, by=user,
                                at=timezone.now(), reason=reason.strip())
    for c in cases:
        changed = []
        if c.leader_id == from_user.pk:
            c.leader, changed = to_user, [*changed, "leader"]
        if c.handler_id == from_user.pk:
            c.handler, changed = to_user, [*changed, "handler"]
        if changed:
            c.save(update_fields=changed)
        if c.team.filter(pk=from_user.pk).exists():
            c.team.remove(from_user)
            c.team.add(to_user)
            changed.append("team")
        _log(c, "handover", user, reason.strip(), **{"from": from_user.pk, "to": to_user.pk,
                                                     "roles": changed})
    h.cases.set(cases)
    _audit("handover", user, h, from_user=from_user.pk, to_user=to_user.pk, cases=len(cases))
    return h


def orphaned_cases(division: Division | None = None) -> QuerySet[Case]:
    """Open cases whose leader or handler has left (inactive, no longer a leader, or taken off
    the reception list): each needs a handover."""
    qs = Case.objects.exclude(status=Case.Status.CLOSED).filter(
        Q(leader__is_active=False) | Q(handler__is_active=False) | ~Q(leader__role=R.LEADER)
        | Q(leader__leader_profile__active=False))
    if division is not None:
        qs = qs.filter(_subtree(division.path))
    return qs.select_related("matter", "leader", "handler").distinct()


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
    closed = mq.filter(closed_at__date__range=(start, end)).count()
    clk = Clock.objects.filter(_subtree(division.path, "matter__division_path"),
                               owed_by_petitioner=False, due_on__range=(start, as_of))
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
        "matters": {"received": received, "closed": closed,
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


# =========================================================================== screening (§8.9)


def screening_rule(division: Division) -> pr.ScreeningRule | None:
    try:
        return pr.DEFAULT_SCREENING.get(pr.DivisionLevel(division.level))
    except ValueError:
        return None


def _screener(user: User, division: Division) -> None:
    _require(user, {R.OFFICER, R.HANDLER, R.UNIT_HEAD, R.LEADER, R.ADMIN}, "登记矛盾纠纷排查")
    # Screening is territorial (§10, §15 ¶3): townships, governments and 信访部门 keep the ledger.
    territorial = user.role == R.ADMIN or (user.body is not None and user.body.kind in (
        Body.Kind.TOWNSHIP, Body.Kind.PARTY_GOV, Body.Kind.XINFANG))
    if not territorial or not _covers(user, division.path):
        raise Forbidden("只能登记本辖区的矛盾纠纷排查")


def _dispute_worker(user: User, entry: DisputeEntry) -> None:
    """The ledger keepers, or the person or unit responsible for resolving the dispute."""
    if user.pk == entry.responsible_id or (
            user.body_id is not None and user.body_id == entry.responsible_body_id):
        return
    _screener(user, entry.division)


@transaction.atomic
def record_screening(division: Division, *, user: User, on: date | None = None,
                     note: str = "") -> ScreeningRound:
    """One periodic screening of a village, township, county or city (§10, §15 ¶3)."""
    _screener(user, division)
    on = on or _today()
    if on > _today():
        raise GuardFailed("排查日期不能晚于今天")
    r = ScreeningRound.objects.create(division=division, division_path=division.path,
                                      conducted_on=on, conducted_by=user, note=note.strip())
    _audit("record_screening", user, r, division=division.pk, on=on)
    return r


@transaction.atomic
def add_dispute(division: Division, *, user: User, title: str, parties: str, risk_grade: str,
                measures: str = "", description: str = "", responsible: User | None = None,
                responsible_body: Body | None = None,
                round: ScreeningRound | None = None) -> DisputeEntry:
    _screener(user, division)
    errors = {}
    if not title.strip():
        errors["title"] = "请填写矛盾纠纷"
    if not parties.strip():
        errors["parties"] = "请填写当事人"
    if risk_grade not in set(pr.RiskGrade):
        errors["risk_grade"] = "请选择风险等级（高、中、低）"
    if responsible is None and responsible_body is None:
        errors["responsible"] = "请确定化解责任人或责任单位"
    if errors:
        raise ValidationFailed(errors)
    e = DisputeEntry.objects.create(
        round=round, division=division, division_path=division.path, title=title.strip(),
        description=description.strip(), parties=parties.strip(), risk_grade=risk_grade,
        responsible=responsible, responsible_body=responsible_body or (
            responsible.body if responsible else None),
        measures=measures.strip(), created_by=user)
    _audit("add_dispute", user, e, risk=risk_grade)
    return e


@transaction.atomic
def follow_up_dispute(entry: DisputeEntry, *, user: User, note: str,
                      on: date | None = None) -> DisputeFollowUp:
    _dispute_worker(user, entry)
    if entry.status != DisputeEntry.Status.OPEN:
        raise GuardFailed("该矛盾纠纷已化解或已转为信访事项")
    if not note.strip():
        raise GuardFailed("请填写跟进情况")
    f = DisputeFollowUp.objects.create(entry=entry, on=on or _today(), note=note.strip(), by=user)
    _audit("follow_up_dispute", user, entry)
    return f


@transaction.atomic
def resolve_dispute(entry: DisputeEntry, *, user: User, resolution: str,
                    mediation_kind: str = "", agreement: str = "") -> DisputeEntry:
    """Closed as resolved; a 三调联动 outcome records the mediation kind and the agreement."""
    _dispute_worker(user, entry)
    entry = DisputeEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != DisputeEntry.Status.OPEN:
        raise GuardFailed("该矛盾纠纷已化解或已转为信访事项")
    if not resolution.strip():
        raise GuardFailed("请填写化解情况")
    if mediation_kind and mediation_kind not in set(pr.MediationKind):
        raise GuardFailed("调解方式应为人民调解、行政调解或司法调解（§37 ¶1）")
    if mediation_kind and not agreement.strip():
        raise GuardFailed("经调解化解的，请填写调解协议内容")
    entry.status, entry.resolution = DisputeEntry.Status.RESOLVED, resolution.strip()
    entry.mediation_kind, entry.agreement = mediation_kind, agreement.strip()
    entry.resolved_on = _today()
    entry.save()
    _audit("resolve_dispute", user, entry, mediation=mediation_kind)
    return entry


def convert_dispute(entry: DisputeEntry, *, user: User, holder: Body,
                    registration: Registration) -> Matter:
    """The dispute became a petition: register it (services.register) and link the entry."""
    _screener(user, entry.division)
    if entry.status != DisputeEntry.Status.OPEN:
        raise GuardFailed("该矛盾纠纷已化解或已转为信访事项")
    with transaction.atomic():
        matter = ps.register(registration, holder=holder, user=user)
        DisputeEntry.objects.filter(pk=entry.pk).update(status=DisputeEntry.Status.CONVERTED,
                                                        matter=matter)
        _audit("convert_dispute", user, entry, matter_id=matter.pk)
    entry.refresh_from_db()
    return matter


def screening_overview(division: Division, today: date | None = None) -> list[dict[str, Any]]:
    """Every division at or below ``division`` that screens, with its cadence status;
    overdue first."""
    today = today or _today()
    s = settings_for(division)
    since = (s.screening_since if s and s.screening_since else date(today.year, 1, 1))
    divs = [d for d in Division.objects.filter(_subtree(division.path, "path"))
            if screening_rule(d) is not None]
    dates: dict[str, list[date]] = defaultdict(list)
    for div_id, on in ScreeningRound.objects.filter(division__in=divs).values_list(
            "division_id", "conducted_on"):
        dates[div_id].append(on)
    rows = []
    for d in divs:
        rule = screening_rule(d)
        assert rule is not None
        status = pr.screening_status(rule.period, dates[d.pk], today, since)
        rows.append({"division": d, "rule": rule, "status": status,
                     "period_label": pr.PERIOD_LABELS[rule.period]})
    return sorted(rows, key=lambda r: (not r["status"].overdue, r["division"].path))


# =========================================================================== 稳评 (§8.8)


@transaction.atomic
def record_assessment(*, user: User, project: str, division: Division, body: Body,
                      assessed_on: date, risks: str, grade: str, measures: str,
                      decision: str) -> RiskAssessment:
    _require(user, {R.OFFICER, R.LEADER, R.UNIT_HEAD, R.ADMIN}, "登记稳评")
    if not project.strip():
        raise GuardFailed("请填写评估事项")
    problem = pr.assessment_problem(grade, decision, risks, measures)
    if problem:
        raise GuardFailed(problem)
    a = RiskAssessment.objects.create(
        project=project.strip(), division=division, division_path=division.path, body=body,
        assessed_on=assessed_on, risks=risks.strip(), grade=grade, measures=measures.strip(),
        decision=decision, created_by=user)
    _audit("record_assessment", user, a, grade=grade, decision=decision)
    return a


@transaction.atomic
def link_matter_to_assessment(assessment: RiskAssessment, matter: Matter, *,
                              user: User) -> RiskAssessment:
    """A matter that later arises from the assessed project."""
    _require(user, {R.OFFICER, R.LEADER, R.UNIT_HEAD, R.SUPERVISOR, R.ADMIN}, "关联稳评")
    assessment.matters.add(matter)
    _audit("link_assessment", user, assessment, matter_id=matter.pk)
    return assessment


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
    _require(user, {R.OFFICER, R.LEADER, R.ADMIN}, "登记会议")
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


@transaction.atomic
def complete_decision(decision: MeetingDecision, *, user: User, evidence: str,
                      on: date | None = None) -> MeetingDecision:
    if user.body_id != decision.owner_body_id and user.pk != decision.owner_id and \
            user.role != R.ADMIN:
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

