"""包案 and 积案 (§8.2): 四定, 四包, 挂牌督办 (§40), 销号 and handover."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from xinfang.domain import practice as pr
from xinfang.domain import states as st
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.org.models import Division, User
from xinfang.petitions import permissions
from xinfang.petitions import services as ps
from xinfang.petitions.models import Matter
from xinfang.petitions.services import ValidationFailed

from ..models import (
    Case,
    CaseLog,
    CaseMilestone,
    Handover,
)
from ._common import R, _audit, _subtree, _today
from .config import backlog_policy

# =========================================================================== 包案 / 积案 (§8.2)


def _log(case: Case, action: str, user: User | None, note: str = "", **data: Any) -> CaseLog:
    return CaseLog.objects.create(case=case, action=action, note=note, actor=user,
                                  at=timezone.now(), data=data)


def open_case(matter: Matter, *, user: User, task: str, leader: User | None,
              handler: User | None, due_on: date | None, plan: str = "",
              team: Iterable[User] = (), kind: str = Case.Kind.OWNERSHIP,
              backlog_reason: str = "", trigger_matter: Matter | None = None) -> Case:
    """四定: task, owning leader, handler and deadline, all required (§8.2)."""
    permissions.require(user, "open_case")
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
    if not permissions.covers(user, matter.division_path) and user.body_id not in (
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


def is_case_member(case: Case, user: User) -> bool:
    return (user.pk in (case.leader_id, case.handler_id) or user.role == R.ADMIN
            or case.team.filter(pk=user.pk).exists())


@transaction.atomic
def record_milestone(case: Case, duty: str, *, user: User, evidence: str,
                     on: date | None = None) -> CaseMilestone:
    """A 四包 duty done, with its evidence (包调查、包处理、包疏导教育、包息诉罢访)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not is_case_member(case, user):
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
    if not is_case_member(case, user):
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
    permissions.require(user, "list_case", path=case.division_path)
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
    permissions.require(user, "sign_off_case", path=case.division_path)
    case = Case.objects.select_for_update().select_related("matter").get(pk=case.pk)
    if user.pk in (case.leader_id, case.handler_id):
        raise Forbidden("包案领导和承办人不能审核本人案件的销号")
    if case.status != Case.Status.CLOSING:
        raise GuardFailed("案件未提请销号")
    if approve and case.matter.state in pr.UNSETTLED_MATTER_STATES:
        # The matter may have been reopened (a 复查 request) since the proposal.
        raise GuardFailed("该事项尚未办理答复或正在复查、复核，不能销号")
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
    permissions.require(user, "handover_cases")
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
