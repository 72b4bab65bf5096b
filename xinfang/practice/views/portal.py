"""The citizen portal's 领导接访日程 and 预登记 (§18 ¶2; no log-in)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from xinfang.core import attempts
from xinfang.core.security import client_address
from xinfang.org.models import Division

from .. import forms as f
from .. import services as svc
from ..models import PreRegistration, ReceptionSlot
from ._common import _today, submit

PORTAL_PREREG_KEY = "portal_prereg_id"


def _portal_slot(pk: int) -> ReceptionSlot:
    slot = (ReceptionSlot.objects.select_related("leader", "body", "division")
            .filter(pk=pk, status=ReceptionSlot.Status.PUBLISHED, day__gte=_today()).first())
    if slot is None:
        raise Http404(gettext("该接访场次不存在或已结束"))
    return slot


SLOTS_PER_PAGE = 6  # about three phone screens


def portal_schedule(request: HttpRequest) -> HttpResponse:
    """领导接访日程 (§18 ¶2): published days from today on, with the seats left; the citizen
    narrows them by day and place and reads them a page at a time (issue 20 item 7)."""
    from datetime import date
    from urllib.parse import urlencode

    from django.core.paginator import Paginator

    slots = [s for root in Division.objects.filter(parent__isnull=True)
             for s in svc.published_schedule(root).select_related("leader", "body")]
    slots.sort(key=lambda s: (s.day, s.session, s.pk))
    days = sorted({s.day for s in slots})
    places = sorted({s.place for s in slots if s.place})
    try:
        day: date | None = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = None
    day = day if day in days else None
    place = request.GET.get("place", "")
    place = place if place in places else ""
    chosen = [s for s in slots if (day is None or s.day == day) and (not place or s.place == place)]
    page = Paginator(chosen, SLOTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"slot": s, "seats": svc.seats_left(s)} for s in page.object_list]
    query = urlencode({k: v for k, v in (("day", day.isoformat() if day else ""),
                                         ("place", place)) if v})
    return render(request, "portal/reception.html", {
        "rows": rows, "page": page, "days": days, "places": places, "day": day,
        "place": place, "query": query, "filtered": bool(day or place), "any": bool(slots),
        "nav": "reception"})


def portal_preregister(request: HttpRequest, pk: int) -> HttpResponse:
    slot = _portal_slot(pk)
    seats = svc.seats_left(slot)
    form = f.PreRegisterForm(request.POST or None, slot=slot,
                             initial={"division": slot.division_id})

    def page(form: Any, status: int = 200, _error: str = "") -> HttpResponse:
        return render(request, "portal/reception_form.html", {
            "slot": slot, "seats": seats, "form": form, "error": "", "nav": "reception"},
            status=status)

    if request.method != "POST":
        return page(form)

    def act(d: dict[str, Any]) -> tuple[str, str]:
        p = svc.preregister(slot, name=d["name"], phone=d["phone"], title=d["title"],
                            request=d["request"], division=d["division"],
                            content=d["content"], id_number=d["id_number"])
        request.session.cycle_key()
        request.session[PORTAL_PREREG_KEY] = p.pk
        return "", reverse("practice:portal_done")  # the done page says it all

    return submit(request, form, act, page)


def portal_done(request: HttpRequest) -> HttpResponse:
    pk = request.session.get(PORTAL_PREREG_KEY)
    p = (PreRegistration.objects.select_related("slot__leader", "slot__body").filter(pk=pk).first()
         if pk else None)
    if p is None:
        return redirect("practice:portal_schedule")
    return render(request, "portal/reception_done.html", {"p": p, "nav": "reception"})


def portal_lookup(request: HttpRequest) -> HttpResponse:
    """A citizen checks their 预登记 with the code and the phone."""
    p = None
    error = ""
    status = 200
    if request.method == "POST":
        # Failed proofs count per address and per code (issue 14 item 7), as on /portal/track/.
        code, address = request.POST.get("code", ""), client_address(request)
        try:
            attempts.check("reception", address=address, code=code)
        except attempts.TooManyAttempts as e:
            error, status = e.message, e.status
        else:
            p = svc.preregistration_for_citizen(code, request.POST.get("phone", ""))
            if p is None:
                attempts.failed("reception", address=address, code=code)
                error, status = gettext("查询码或手机号不正确，请核对后重试"), 400
    return render(request, "portal/reception_lookup.html",
                  {"p": p, "error": error, "nav": "reception"}, status=status)
