"""源头预防 (§10, §15 ¶3, procedure.md §8.8–§8.9): the screening ledger, the dispute ledger
with its follow-ups, 三调联动 resolutions and conversions into petitions, and 稳评."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.domain.errors import Forbidden
from xinfang.org.models import Division, User
from xinfang.petitions import permissions
from xinfang.petitions.services import PetitionerIn, Registration, ValidationFailed

from .. import access
from .. import forms as f
from .. import services as svc
from ..models import DisputeEntry, RiskAssessment
from ._common import _division, _matter_by_number, _render, _scope, _today, submit


def _prevention_ctx(request: AuthedRequest, **over: Any) -> dict[str, Any]:
    user = request.user
    div = _scope(user)
    can_keep = svc.may_screen(user, div)
    today = _today()
    ctx: dict[str, Any] = {
        "division": div,
        "ledger": svc.screening_overview(div, today),
        "disputes": access.visible(user, DisputeEntry.objects.select_related(
            "division", "responsible", "responsible_body")).order_by("status", "-created_at"),
        "screening_form": f.ScreeningForm(division=div, initial={"on": today}) if can_keep else None,
        "dispute_form": f.DisputeForm(division=div) if can_keep else None,
        "error": None,
    }
    ctx.update(over)
    return ctx


def _prevention_again(request: AuthedRequest, key: str) -> Any:
    def rerender(form: Any, status: int, _error: str) -> HttpResponse:
        return _render(request, "practice/prevention.html",
                       _prevention_ctx(request, **{key: form}), status)
    return rerender


@login_required
def prevention(request: AuthedRequest) -> HttpResponse:
    return _render(request, "practice/prevention.html", _prevention_ctx(request))


@login_required
@require_POST
def screening_add(request: AuthedRequest) -> HttpResponse:
    div = _scope(request.user)
    form = f.ScreeningForm(request.POST, division=div)

    def act(d: dict[str, Any]) -> tuple[str, str]:
        svc.record_screening(d["division"], user=request.user, on=d["on"], note=d["note"])
        return (gettext("已登记 %(division)s %(day)s 的排查")
                % {"division": d["division"].name, "day": f"{d['on']:%Y-%m-%d}"},
                reverse("practice:prevention"))

    return submit(request, form, act, _prevention_again(request, "screening_form"))


@login_required
@require_POST
def dispute_add(request: AuthedRequest) -> HttpResponse:
    div = _scope(request.user)
    form = f.DisputeForm(request.POST, division=div)

    def act(d: dict[str, Any]) -> tuple[str, str]:
        entry = svc.add_dispute(d["division"], user=request.user, title=d["title"],
                                parties=d["parties"], risk_grade=d["risk_grade"],
                                measures=d["measures"], description=d["description"],
                                responsible=d["responsible"],
                                responsible_body=d["responsible_body"])
        return (gettext("已登记矛盾纠纷：%(title)s") % {"title": entry.title},
                reverse("practice:dispute", args=[entry.pk]))

    return submit(request, form, act, _prevention_again(request, "dispute_form"))


def _dispute_ctx(request: AuthedRequest, entry: DisputeEntry, **over: Any) -> dict[str, Any]:
    user = request.user
    is_open = entry.status == DisputeEntry.Status.OPEN
    # Follow-up and resolution: the ledger keepers or those responsible; conversion into a
    # petition registers it at the user's body (§23 ¶1), so only the ledger keepers.
    works = is_open and svc.may_work_dispute(user, entry)
    ctx: dict[str, Any] = {
        "entry": entry, "follow_ups": entry.follow_ups.select_related("by"),
        "follow_form": f.NoteForm(prefix="follow") if works else None,
        "resolve_form": f.ResolveForm() if works else None,
        "convert_form": (f.ConvertForm(initial={"title": entry.title})
                         if is_open and user.body is not None
                         and svc.may_screen(user, entry.division) else None),
        "open_action": "",
    }
    ctx.update(over)
    return ctx


@login_required
def dispute_page(request: AuthedRequest, pk: int) -> HttpResponse:
    entry = access.get_for_user(request.user, DisputeEntry, pk)
    return _render(request, "practice/dispute.html", _dispute_ctx(request, entry))


DISPUTE_FORMS: dict[str, tuple[type, str, dict[str, str]]] = {
    "follow": (f.NoteForm, "follow_form", {"prefix": "follow"}),
    "resolve": (f.ResolveForm, "resolve_form", {}),
    "convert": (f.ConvertForm, "convert_form", {}),
}


@login_required
@require_POST
def dispute_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    entry = access.get_for_user(user, DisputeEntry, pk)
    if action not in DISPUTE_FORMS:
        raise Http404(gettext("未知的操作"))
    cls, key, kw = DISPUTE_FORMS[action]
    form = cls(request.POST, **kw)

    def act(d: dict[str, Any]) -> tuple[str, str]:
        if action == "follow":
            svc.follow_up_dispute(entry, user=user, note=d["note"])
            msg = gettext("已记录跟进情况")
        elif action == "resolve":
            svc.resolve_dispute(entry, user=user, resolution=d["resolution"],
                                mediation_kind=d["mediation_kind"], agreement=d["agreement"])
            msg = gettext("已登记化解")
        else:
            if user.body is None:
                raise Forbidden(gettext("您的账号未设置所在单位"))
            reg = Registration(
                channel="visit", title=d["title"], request=d["request"],
                content=entry.description or d["request"], division=entry.division,
                received_at=timezone.now(),
                petitioners=[PetitionerIn(name=d["name"], phone=d["phone"])])
            matter = svc.convert_dispute(entry, user=user, holder=user.body, registration=reg)
            msg = gettext("已转为信访事项 %(number)s") % {"number": matter.number}
        return msg, reverse("practice:dispute", args=[entry.pk])

    def rerender(form: Any, status: int, _error: str) -> HttpResponse:
        return _render(request, "practice/dispute.html",
                       _dispute_ctx(request, entry, **{key: form, "open_action": action}),
                       status)

    return submit(request, form, act, rerender)


def _assessment_division(user: User) -> Division:
    """稳评 is kept by the deciding body (§10): jurisdiction, or a body that may assess."""
    if permissions.has_jurisdiction(user):
        return _scope(user)
    if permissions.may(user, "assess_risk") or permissions.may(user, "link_assessment"):
        return _division(user)
    return _scope(user)  # refused with the jurisdiction message


def _assessments_ctx(request: AuthedRequest, **over: Any) -> dict[str, Any]:
    user = request.user
    div = _assessment_division(user)
    ctx: dict[str, Any] = {
        "assessments": access.visible(user, RiskAssessment.objects.select_related(
            "division", "body").prefetch_related("matters")),
        "form": f.AssessmentForm(division=div, initial={"assessed_on": _today()})
        if permissions.may(user, "assess_risk") else None,
        "link_form": f.LinkMatterForm() if permissions.may(user, "link_assessment") else None,
        "link_error": None,
    }
    ctx.update(over)
    return ctx


@login_required
def assessments(request: AuthedRequest) -> HttpResponse:
    return _render(request, "practice/assessments.html", _assessments_ctx(request))


@login_required
@require_POST
def assessment_add(request: AuthedRequest) -> HttpResponse:
    div = _assessment_division(request.user)
    form = f.AssessmentForm(request.POST, division=div)

    def act(d: dict[str, Any]) -> tuple[str, str]:
        svc.record_assessment(user=request.user, project=d["project"], division=d["division"],
                              body=d["body"], assessed_on=d["assessed_on"], risks=d["risks"],
                              grade=d["grade"], measures=d["measures"], decision=d["decision"])
        return (gettext("已登记稳评：%(project)s") % {"project": d["project"]},
                reverse("practice:assessments"))

    return submit(request, form, act, lambda form, status, _e: _render(
        request, "practice/assessments.html", _assessments_ctx(request, form=form), status))


@login_required
@require_POST
def assessment_link(request: AuthedRequest, pk: int) -> HttpResponse:
    a = access.get_for_user(request.user, RiskAssessment, pk)

    def act(_d: dict[str, Any]) -> tuple[str, str]:
        matter = _matter_by_number(request.user, request.POST.get("matter", ""))
        if matter is None:
            raise ValidationFailed({"matter": "未找到该信访件，或不在您的辖区"})
        svc.link_matter_to_assessment(a, matter, user=request.user)
        return gettext("已关联 %(number)s") % {"number": matter.number}, reverse(
            "practice:assessments")

    return submit(request, None, act, lambda _f, status, error: _render(
        request, "practice/assessments.html",
        _assessments_ctx(request, link_error=(a.pk, error)), status))

