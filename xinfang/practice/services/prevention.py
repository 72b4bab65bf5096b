"""Source prevention: screening and the dispute ledger (§10, §15 ¶3), 稳评 (§10, §8.8)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db import transaction

from xinfang.domain import practice as pr
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.org.models import Body, Division, User
from xinfang.petitions import permissions
from xinfang.petitions import services as ps
from xinfang.petitions.models import Matter
from xinfang.petitions.services import Registration, ValidationFailed

from .. import access
from ..models import (
    DisputeEntry,
    DisputeFollowUp,
    RiskAssessment,
    ScreeningRound,
)
from ._common import R, _audit, _subtree, _today
from .config import settings_for

# =========================================================================== screening (§8.9)


def screening_rule(division: Division) -> pr.ScreeningRule | None:
    try:
        return pr.DEFAULT_SCREENING.get(pr.DivisionLevel(division.level))
    except ValueError:
        return None


def _screener(user: User, division: Division) -> None:
    permissions.require(user, "screen_disputes")
    # Screening is territorial (§10, §15 ¶3): townships, governments and 信访部门 keep the ledger.
    territorial = user.role == R.ADMIN or (user.body is not None and user.body.kind in (
        Body.Kind.TOWNSHIP, Body.Kind.PARTY_GOV, Body.Kind.XINFANG))
    if not territorial or not permissions.covers(user, division.path):
        raise Forbidden("只能登记本辖区的矛盾纠纷排查")


def may_screen(user: User, division: Division) -> bool:
    """Whether the user keeps the screening ledger of ``division`` (what the pages offer)."""
    try:
        _screener(user, division)
    except Forbidden:
        return False
    return True


def _dispute_worker(user: User, entry: DisputeEntry) -> None:
    """The ledger keepers, or the person or unit responsible for resolving the dispute."""
    if user.pk == entry.responsible_id or (
            user.body_id is not None and user.body_id == entry.responsible_body_id):
        return
    _screener(user, entry.division)


def may_work_dispute(user: User, entry: DisputeEntry) -> bool:
    """Whether the user may follow up or resolve the dispute (what the pages offer)."""
    try:
        _dispute_worker(user, entry)
    except Forbidden:
        return False
    return True


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
    permissions.require(user, "assess_risk")
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
    permissions.require(user, "link_assessment")
    # Only an assessment the user can open: the assessing body's own, or one in the user's
    # jurisdiction (practice.access), as on the 稳评 page.
    if not access.visible(user, RiskAssessment.objects.filter(pk=assessment.pk)).exists():
        raise Forbidden("只能关联本单位或本辖区的稳评")
    assessment.matters.add(matter)
    _audit("link_assessment", user, assessment, matter_id=matter.pk)
    return assessment
