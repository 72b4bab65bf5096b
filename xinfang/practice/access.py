"""Which practice records a user may see (mirrors xinfang.petitions.access).

- 信访部门, 党委政府, leaders and supervisors: records of their division and below.
- Other bodies (departments, townships, 纪检, 政法): records of their own division that
  involve them (their leader's slots, cases they own or handle, decisions they owe, disputes
  they are responsible for); a township body sees its township and villages below it.
- §30 ¶3: a record on a 检举控告 matter is never visible to the accused unit.
- Administrators see everything. Anonymous users see nothing here; the citizen portal uses
  services.published_schedule instead.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from xinfang.domain.states import Klass, Role
from xinfang.org.models import Body, User
from xinfang.petitions.access import JURISDICTION_KINDS, JURISDICTION_ROLES

from . import models as pm

M = TypeVar("M", bound=Model)


def _in_division(path: str, field: str = "division_path") -> Q:
    return Q(**{field: path}) | Q(**{f"{field}__startswith": path + "/"})


def _involved(user: User, model: type[Model]) -> Q:
    """Records of a non-jurisdiction body that concern it or the user."""
    b = user.body_id
    if model is pm.ReceptionSlot:
        return Q(body_id=b) | Q(leader_id=user.pk)
    if model is pm.PreRegistration:
        return Q(slot__body_id=b)
    if model is pm.VisitRecord:
        return Q(slot__body_id=b) | Q(dispatch__to_body_id=b) | Q(matter__lead_body_id=b)
    if model is pm.Case:
        return (Q(leader_id=user.pk) | Q(handler_id=user.pk) | Q(team=user)
                | Q(leader__body_id=b) | Q(handler__body_id=b) | Q(matter__lead_body_id=b))
    if model is pm.DisputeEntry:
        return Q(responsible_body_id=b) | Q(responsible_id=user.pk)
    if model in (pm.RiskAssessment, pm.Meeting):
        return Q(body_id=b) | (Q(decisions__owner_body_id=b) if model is pm.Meeting else Q())
    if model is pm.MeetingDecision:
        return Q(owner_body_id=b) | Q(owner_id=user.pk)
    return Q(pk__in=[])


_ON_A_MATTER: tuple[type[Model], ...] = (pm.VisitRecord, pm.Case, pm.DisputeEntry,
                                         pm.MeetingDecision)


def _path_field(model: type[Model]) -> str:
    if model is pm.MeetingDecision:
        return "meeting__division_path"
    return "division_path"


def visible(user: User, qs: QuerySet[M]) -> QuerySet[M]:
    """``qs`` narrowed to what ``user`` may see."""
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser or user.role == Role.ADMIN:
        return qs
    body: Body | None = user.body
    if body is None:
        return qs.none()
    model = qs.model
    path = body.division.path
    field = _path_field(model)
    if model in _ON_A_MATTER:
        # §30 ¶3: records on a 检举控告 are never visible to the accused unit.
        qs = qs.exclude(matter__klass=Klass.REPORT.value, matter__accused_body_id=body.pk)
    if body.kind in JURISDICTION_KINDS or Role(user.role) in JURISDICTION_ROLES:
        return qs.filter(_in_division(path, field))
    if body.kind == Body.Kind.TOWNSHIP:
        return qs.filter(_in_division(path, field) | _involved(user, model)).distinct()
    return qs.filter(_involved(user, model)).distinct()


def get_for_user(user: User, model: type[M], pk: int | str) -> M:
    """One record or Http404 ("missing" and "not yours" answer the same)."""
    try:
        return visible(user, model._default_manager.all()).get(pk=int(pk))  # type: ignore[attr-defined]
    except (model.DoesNotExist, ValueError, TypeError) as e:  # type: ignore[attr-defined]
        raise Http404("记录不存在") from e
