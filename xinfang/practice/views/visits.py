"""领导接访 (§18 ¶2, procedure.md §8.3–§8.4): the leader's reception days, the 接谈记录,
现场交办 with a 办结报告 deadline (§22 ¶1 (3)), the 访后 report and 首问负责."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.domain.errors import DomainError
from xinfang.petitions.models import Dispatch
from xinfang.petitions.services import PetitionerIn, Registration

from .. import access
from .. import forms as f
from .. import services as svc
from ..models import PreRegistration, ReceptionSlot, VisitRecord
from ._common import _done, _render, _today, submit


@login_required
def visits(request: AuthedRequest) -> HttpResponse:
    """The leader's page: reception days, 访后 report (items with state), 首问负责."""
    user = request.user
    today = _today()
    slots = (ReceptionSlot.objects.filter(leader=user, day__gte=today - timedelta(days=60),
                                          day__lte=today + timedelta(days=60))
             .exclude(status=ReceptionSlot.Status.CANCELLED).order_by("day", "session"))
    return _render(request, "practice/visits.html", {
        "slots": slots,
        "items": svc.leader_report(user),
        "first_contact": svc.first_contact_matters(user),
    })


def _slot_ctx(request: AuthedRequest, slot: ReceptionSlot, **over: Any) -> dict[str, Any]:
    user = request.user
    # 接谈记录 and 现场交办 are the leader's own (record_visit, §18 ¶2).
    is_leader = user.pk == slot.leader_id
    waiting = list(slot.preregs.exclude(status__in=[
        PreRegistration.Status.VISITED, PreRegistration.Status.DECLINED,
        PreRegistration.Status.REDIRECTED]).order_by("created_at"))
    can_record = (is_leader and slot.day <= _today()
                  and slot.status != ReceptionSlot.Status.CANCELLED)
    div = slot.body.division
    items = []
    assists = Prefetch("matter__dispatches", to_attr="assist_dispatches",
                       queryset=Dispatch.objects.filter(role="assist").select_related("to_body"))
    visits = svc.with_report_clocks(slot.visits.select_related(
        "matter", "dispatch__to_body", "prereg").prefetch_related(assists).order_by("id"))
    for v in visits:
        item = svc.item_status(v)
        form = over.pop(f"assign_{v.pk}", None)
        if form is None and is_leader and v.dispatch_id is None:
            form = f.AssignForm(division=div, prefix=f"a{v.pk}")
        items.append({"item": item, "form": form if is_leader and v.dispatch_id is None else None,
                      "assists": v.matter.assist_dispatches})
    ctx: dict[str, Any] = {
        "slot": slot, "is_leader": is_leader, "waiting": waiting, "can_record": can_record,
        "visit_form": f.VisitForm(slot=slot, preregs=waiting) if can_record else None,
        "items": items, "error": None,
    }
    ctx.update(over)
    return ctx


def _slot_again(request: AuthedRequest, slot: ReceptionSlot, key: str) -> Any:
    def rerender(form: Any, status: int, _error: str) -> HttpResponse:
        return _render(request, "practice/slot.html", _slot_ctx(request, slot, **{key: form}),
                       status)
    return rerender


@login_required
def slot_page(request: AuthedRequest, pk: int) -> HttpResponse:
    slot = access.get_for_user(request.user, ReceptionSlot, pk)
    return _render(request, "practice/slot.html", _slot_ctx(request, slot))


@login_required
@require_POST
def visit_record(request: AuthedRequest, pk: int) -> HttpResponse:
    slot = access.get_for_user(request.user, ReceptionSlot, pk)
    waiting = list(slot.preregs.exclude(status=PreRegistration.Status.VISITED))
    form = f.VisitForm(request.POST, slot=slot, preregs=waiting)

    def act(d: dict[str, Any]) -> tuple[str, str]:
        prereg = next((p for p in waiting if p.pk == d["prereg"]), None)
        reg = None
        if prereg is None:
            reg = Registration(
                channel="visit", title=d["title"], request=d["request"], content=d["request"],
                division=d["division"], received_at=timezone.now(),
                petitioners=[PetitionerIn(name=d["name"], phone=d["phone"])])
        v = svc.record_visit(slot, leader=request.user, talk=d["talk"], prereg=prereg,
                             registration=reg)
        return (gettext("接谈记录已保存，信访件编号 %(number)s；请现场交办责任单位")
                % {"number": v.matter.number},
                reverse("practice:slot", args=[slot.pk]) + f"#visit-{v.pk}")

    return submit(request, form, act, _slot_again(request, slot, "visit_form"))


@login_required
@require_POST
def visit_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    visit = access.get_for_user(request.user, VisitRecord, pk)
    slot = visit.slot
    form = f.AssignForm(request.POST, division=slot.body.division, prefix=f"a{visit.pk}")

    def act(d: dict[str, Any]) -> tuple[str, str]:
        svc.assign_on_the_spot(visit, leader=request.user, to_body=d["to_body"],
                               report_due=d["report_due"], grade=d["grade"],
                               assist_bodies=list(d["assist_bodies"]),
                               instructions=d["instructions"])
        names = "、".join([d["to_body"].name] + [gettext("%(name)s（协办）") % {"name": b.name}
                                                 for b in d["assist_bodies"]])
        return (gettext("已现场交办：%(names)s") % {"names": names},
                reverse("practice:slot", args=[slot.pk]) + f"#visit-{visit.pk}")

    return submit(request, form, act, _slot_again(request, slot, f"assign_{visit.pk}"))


@login_required
@require_POST
def visit_ack(request: AuthedRequest, pk: int) -> HttpResponse:
    visit = access.get_for_user(request.user, VisitRecord, pk)
    try:
        svc.acknowledge_item(visit, leader=request.user)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("practice:visits")
    return _done(request, gettext("已确认办结反馈：%(number)s") % {"number": visit.matter.number},
                 reverse("practice:visits"))
