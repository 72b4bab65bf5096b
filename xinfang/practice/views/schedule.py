"""接访安排 (§18 ¶2, procedure.md §8.1): the division's schedule, proposals by the rules,
publishing, cancelling, 已接访, and each leader's compliance."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.domain import practice as pr
from xinfang.petitions import permissions
from xinfang.petitions.services import ValidationFailed

from .. import access
from .. import forms as f
from .. import services as svc
from ..models import ReceptionSlot
from ._common import _month_param, _render, _scope, _today, submit


def _schedule_ctx(request: AuthedRequest, **over: Any) -> dict[str, Any]:
    user = request.user
    div = _scope(user)
    month = _month_param(request)
    start, end = f.month_range(month)
    slots = (access.visible(user, ReceptionSlot.objects.filter(day__range=(start, end)))
             .select_related("leader", "body").order_by("day", "session", "leader_id"))
    can_manage = permissions.may(user, "schedule_reception", path=div.path)
    ctx: dict[str, Any] = {
        "division": div, "month": month, "months": f.month_choices(),
        "start": start, "end": end, "slots": slots, "can_manage": can_manage,
        "proposed": sum(1 for s in slots if s.status == ReceptionSlot.Status.PROPOSED),
        "rules": svc.rule_sheet(div),
        "propose_form": f.ProposeForm(initial={"start": month}),
        "slot_form": f.SlotForm(division=div),
        "error": None,
    }
    ctx.update(over)
    return ctx


def _again(request: AuthedRequest, key: str = "") -> Any:
    """Re-render the schedule: the bound form under ``key``, or the refusal on top."""
    def rerender(form: Any, status: int, error: str) -> HttpResponse:
        over = {key: form} if key else {"error": error}
        return _render(request, "practice/schedule.html", _schedule_ctx(request, **over), status)
    return rerender


@login_required
def schedule(request: AuthedRequest) -> HttpResponse:
    return _render(request, "practice/schedule.html", _schedule_ctx(request))


def _schedule_url(request: AuthedRequest) -> str:
    month = request.POST.get("month") or request.GET.get("month") or ""
    return reverse("practice:schedule") + (f"?month={month}" if month else "")


@login_required
@require_POST
def schedule_propose(request: AuthedRequest) -> HttpResponse:
    div = _scope(request.user)
    form = f.ProposeForm(request.POST)

    def act(d: dict[str, Any]) -> tuple[str, str]:
        start, end = form.range()
        created = svc.propose_schedule(div, start, end, user=request.user, topics=d["topics"])
        msg = (gettext("已按规则拟安排 %(n)s 个接访日，请调整后公布") % {"n": len(created)} if created
               else gettext("现有安排已满足各项规则，未新增接访日"))
        return msg, reverse("practice:schedule") + f"?month={start:%Y-%m}"

    return submit(request, form, act, _again(request, "propose_form"))


@login_required
@require_POST
def slot_add(request: AuthedRequest) -> HttpResponse:
    div = _scope(request.user)
    form = f.SlotForm(request.POST, division=div)

    def act(d: dict[str, Any]) -> tuple[str, str]:
        svc.add_slot(d["leader"], d["day"], user=request.user, session=d["session"],
                     kind=d["kind"], place=d["place"], topics=d["topics"],
                     capacity=d["capacity"])
        return (gettext("已增加 %(leader)s %(day)s 的安排（拟安排，待公布）")
                % {"leader": d["leader"], "day": f"{d['day']:%Y-%m-%d}"},
                reverse("practice:schedule") + f"?month={d['day']:%Y-%m}")

    return submit(request, form, act, _again(request, "slot_form"))


@login_required
@require_POST
def slot_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    slot = access.get_for_user(request.user, ReceptionSlot, pk)
    form = f.CancelForm(request.POST)

    def act(_d: dict[str, Any]) -> tuple[str, str]:
        if not form.is_valid():
            raise ValidationFailed({"reason": "请说明取消原因"})
        svc.cancel_slot(slot, user=request.user, reason=form.cleaned_data["reason"])
        return (gettext("已取消 %(leader)s %(day)s 的接访安排")
                % {"leader": slot.leader, "day": f"{slot.day:%Y-%m-%d}"}, _schedule_url(request))

    return submit(request, None, act, _again(request))


@login_required
@require_POST
def schedule_publish(request: AuthedRequest) -> HttpResponse:
    _scope(request.user)
    ids = [int(x) for x in request.POST.getlist("slot") if x.isdigit()]

    def act(_d: dict[str, Any]) -> tuple[str, str]:
        slots = list(access.visible(request.user, ReceptionSlot.objects.filter(
            pk__in=ids, status=ReceptionSlot.Status.PROPOSED)))
        if not slots:
            raise ValidationFailed({"slot": gettext("请勾选要公布的拟安排")})
        n = svc.publish_slots(slots, user=request.user)
        return (gettext("已公布 %(n)s 个接访日，群众可在网上预登记") % {"n": n},
                _schedule_url(request))

    return submit(request, None, act, _again(request))


@login_required
@require_POST
def slot_held(request: AuthedRequest, pk: int) -> HttpResponse:
    slot = access.get_for_user(request.user, ReceptionSlot, pk)

    def act(_d: dict[str, Any]) -> tuple[str, str]:
        svc.mark_held(slot, user=request.user, people_met=request.POST.get("people_met", ""),
                      no_visitors=request.POST.get("no_visitors") == "on",
                      room_log=request.POST.get("room_log", "")[:2000])
        return gettext("已登记为已接访"), _schedule_url(request)

    return submit(request, None, act, _again(request))


@login_required
def compliance(request: AuthedRequest) -> HttpResponse:
    div = _scope(request.user)
    month = _month_param(request)
    period = "quarter" if request.GET.get("period") == "quarter" else "month"
    start, end = f.month_range(month, 3 if period == "quarter" else 1)
    view = svc.compliance_view(div, start, end)
    today = _today()
    return _render(request, "practice/compliance.html", {
        "division": div, "month": month, "months": f.month_choices(), "period": period,
        "start": start, "end": end, "view": view,
        "gaps_past": [d for d in view.rota_gaps if d < today],
        "gaps_ahead": [d for d in view.rota_gaps if d >= today],
        "tier_labels": {k.value: gettext(v) for k, v in pr.TIER_LABELS.items()},
    })
