"""包案 and 积案 (procedure.md §8.2): 四定 when a case is opened, 四包 progress, 挂牌督办
(§40), 销号 and its sign-off, 积案认定 and the handover of a leaver's cases."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.domain import practice as pr
from xinfang.petitions import access as matter_access
from xinfang.petitions import permissions
from xinfang.petitions.services import ValidationFailed

from .. import access
from .. import forms as f
from .. import services as svc
from ..models import Case
from ._common import _division, _matter_by_number, _render, _scope, _today, submit

LOG_LABELS = {"open": _("确定包案"), "milestone": _("四包进展"), "progress": _("报告进展"),
              "listed": _("挂牌督办"), "propose_closure": _("提请销号"), "sign_off": _("审核销号"),
              "closure_returned": _("退回销号申请"), "handover": _("包案交接")}


@login_required
def cases(request: AuthedRequest, form: Any = None, status: int = 200) -> HttpResponse:
    user = request.user
    kind = request.GET.get("kind", "")
    state = request.GET.get("status", "open")
    qs = access.visible(user, Case.objects.select_related("matter", "leader", "handler"))
    if kind in Case.Kind.values:
        qs = qs.filter(kind=kind)
    if state == "open":
        qs = qs.exclude(status=Case.Status.CLOSED)
    can_open = permissions.may(user, "open_case") and user.body is not None
    if form is None and can_open:
        form = f.OpenCaseForm(division=_division(user))
    return _render(request, "practice/cases.html", {
        "cases": qs.order_by("due_on", "id"), "kind": kind, "state": state,
        "kinds": f.CASE_KIND_CHOICES, "form": form if can_open else None}, status)


@login_required
@require_POST
def case_open(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not permissions.may(user, "open_case"):
        raise PermissionDenied(gettext("您无权确定包案"))
    form = f.OpenCaseForm(request.POST, division=_division(user))

    def act(d: dict[str, Any]) -> tuple[str, str]:
        matter = _matter_by_number(user, d["matter"])
        if matter is None:
            raise ValidationFailed({"matter": gettext("未找到该信访件，或不在您的辖区")})
        case = svc.open_case(matter, user=user, task=d["task"], leader=d["leader"],
                             handler=d["handler"], due_on=d["due_on"], plan=d["plan"])
        return (gettext("已确定包案：%(number)s") % {"number": matter.number},
                reverse("practice:case", args=[case.pk]))

    return submit(request, form, act, lambda form, status, _e: cases(request, form, status))


def _case_ctx(request: AuthedRequest, case: Case, **over: Any) -> dict[str, Any]:
    user = request.user
    member = svc.is_case_member(case, user)
    is_open = case.status == Case.Status.OPEN
    owner = user.pk in (case.leader_id, case.handler_id)
    view = svc.case_view(case)
    ctx: dict[str, Any] = {
        "view": view, "case": case, "member": member,
        "log": [{"e": e, "label": LOG_LABELS.get(e.action, e.action)} for e in view["log"]],
        "team": list(case.team.all()),
        "milestone_form": f.MilestoneForm() if member and is_open else None,
        "progress_form": f.NoteForm(prefix="progress") if member else None,
        "list_form": (f.NoteForm(prefix="list")
                      if permissions.may(user, "list_case", path=case.division_path)
                      and not case.listed and case.status != Case.Status.CLOSED else None),
        # 销号: proposed by the owner, signed off by someone else (§40).
        "closure_form": f.ClosureForm() if owner and is_open else None,
        "signoff_form": (f.SignOffForm()
                         if permissions.may(user, "sign_off_case", path=case.division_path)
                         and case.status == Case.Status.CLOSING and not owner else None),
        "error": None,
    }
    ctx.update(over)
    return ctx


@login_required
def case_page(request: AuthedRequest, pk: int) -> HttpResponse:
    case = access.get_for_user(request.user, Case, pk)
    return _render(request, "practice/case.html", _case_ctx(request, case))


CASE_FORMS: dict[str, tuple[type, str, dict[str, str]]] = {
    "milestone": (f.MilestoneForm, "milestone_form", {}),
    "progress": (f.NoteForm, "progress_form", {"prefix": "progress"}),
    "list": (f.NoteForm, "list_form", {"prefix": "list"}),
    "closure": (f.ClosureForm, "closure_form", {}),
    "signoff": (f.SignOffForm, "signoff_form", {}),
}


@login_required
@require_POST
def case_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    case = access.get_for_user(request.user, Case, pk)
    if action not in CASE_FORMS:
        raise Http404(gettext("未知的操作"))
    cls, key, kw = CASE_FORMS[action]
    form = cls(request.POST, **kw)

    def act(d: dict[str, Any]) -> tuple[str, str]:
        if action == "milestone":
            svc.record_milestone(case, d["duty"], user=user, evidence=d["evidence"], on=d["on"])
            msg = gettext("已记录：%(duty)s") % {"duty": gettext(pr.DUTY_LABELS[d["duty"]])}
        elif action == "progress":
            svc.add_progress(case, user=user, note=d["note"])
            msg = gettext("已报告进展")
        elif action == "list":
            svc.list_for_supervision(case, user=user, note=d["note"])
            msg = gettext("已挂牌督办")
        elif action == "closure":
            svc.propose_closure(case, user=user, criterion=d["criterion"],
                                statement=d["statement"], resolved=d["resolved"])
            msg = gettext("已提请销号，待督查审核")
        else:
            svc.sign_off(case, user=user, approve=d["decision"] == "approve", note=d["note"])
            msg = gettext("已审核销号") if d["decision"] == "approve" else gettext("已退回销号申请")
        return msg, reverse("practice:case", args=[case.pk])

    def rerender(form: Any, status: int, _error: str) -> HttpResponse:
        case.refresh_from_db()
        return _render(request, "practice/case.html",
                       _case_ctx(request, case, **{key: form, "open_action": action}), status)

    return submit(request, form, act, rerender)


@login_required
def backlog(request: AuthedRequest, forms: dict[int, Any] | None = None,
            status: int = 200) -> HttpResponse:
    user = request.user
    div = _scope(user)
    can_promote = permissions.may(user, "open_case")  # a 积案 is a case (promote_backlog)
    rows = []
    for c in svc.backlog_candidates(div):
        form = (forms or {}).get(c.matter.pk) or (
            f.PromoteForm(division=div, prefix=f"m{c.matter.pk}") if can_promote else None)
        rows.append({"c": c, "form": form})
    return _render(request, "practice/backlog.html",
                   {"rows": rows, "policy": svc.backlog_policy(div)}, status)


@login_required
@require_POST
def backlog_promote(request: AuthedRequest, matter_pk: int) -> HttpResponse:
    user = request.user
    div = _scope(user)
    if not permissions.may(user, "open_case"):
        raise PermissionDenied(gettext("您无权认定积案"))
    matter = matter_access.get_matter_for_user(user, matter_pk)
    form = f.PromoteForm(request.POST, division=div, prefix=f"m{matter.pk}")

    def act(d: dict[str, Any]) -> tuple[str, str]:
        case = svc.promote_backlog(matter, user=user, leader=d["leader"], handler=d["handler"],
                                   due_on=d["due_on"], plan=d["plan"])
        return (gettext("已列为信访积案：%(number)s") % {"number": matter.number},
                reverse("practice:case", args=[case.pk]))

    return submit(request, form, act,
                  lambda form, status, _e: backlog(request, {matter.pk: form}, status))


@login_required
def listed(request: AuthedRequest) -> HttpResponse:
    """挂牌督办 cases and closures waiting for a supervisor's sign-off."""
    user = request.user
    if not permissions.may(user, "view_listed"):
        raise PermissionDenied(gettext("只有督查、信访干部和领导可以查看挂牌督办"))
    qs = access.visible(user, Case.objects.select_related("matter", "leader", "handler",
                                                          "listed_by"))
    today = _today()
    rows = [{"case": c, "days_left": (c.due_on - today).days}
            for c in qs.filter(listed=True).exclude(status=Case.Status.CLOSED)
            .order_by("due_on", "id")]
    return _render(request, "practice/listed.html", {
        "rows": rows,
        "closing": qs.filter(status=Case.Status.CLOSING).order_by("proposed_at"),
    })


@login_required
def handover_page(request: AuthedRequest, form: Any = None, status: int = 200) -> HttpResponse:
    user = request.user
    div = _scope(user)
    can = permissions.may(user, "handover_cases")
    return _render(request, "practice/handover.html", {
        "form": (form or f.HandoverForm(division=div)) if can else None,
        "orphaned": svc.orphaned_cases(div),
    }, status)


@login_required
@require_POST
def handover_submit(request: AuthedRequest) -> HttpResponse:
    user = request.user
    div = _scope(user)
    form = f.HandoverForm(request.POST, division=div)

    def act(d: dict[str, Any]) -> tuple[str, str]:
        h = svc.handover(d["from_user"], d["to_user"], user=user, reason=d["reason"])
        return (gettext("已交接 %(n)s 件在办包案：%(from)s → %(to)s")
                % {"n": h.cases.count(), "from": d["from_user"], "to": d["to_user"]},
                reverse("practice:handover"))

    return submit(request, form, act,
                  lambda form, status, _e: handover_page(request, form, status))
