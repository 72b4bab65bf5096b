"""预登记分办 (§18 ¶2): staff sort the citizens' 预登记 before the reception day."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.domain.errors import DomainError
from xinfang.petitions import permissions

from .. import access
from .. import forms as f
from .. import services as svc
from ..models import PreRegistration
from ._common import _done, _render, _today


def _prereg_row(p: PreRegistration, form: Any = None, error: str = "") -> dict[str, Any]:
    return {"p": p, "form": form or f.TriageForm(prefix=f"t{p.pk}"), "error": error}


@login_required
def preregs(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not permissions.may(user, "triage"):
        raise PermissionDenied(gettext("只有信访干部、登记员和领导可以分办预登记"))
    show_all = request.GET.get("all") == "1"
    qs = access.visible(user, PreRegistration.objects.select_related("slot__leader", "division"))
    if not show_all:
        qs = qs.filter(slot__day__gte=_today()).exclude(status=PreRegistration.Status.VISITED)
    groups: dict[int, dict[str, Any]] = {}
    for p in qs.order_by("slot__day", "slot_id", "created_at"):
        g = groups.setdefault(p.slot_id, {"slot": p.slot, "rows": []})
        g["rows"].append(_prereg_row(p))
    return _render(request, "practice/preregs.html",
                   {"groups": list(groups.values()), "show_all": show_all})


@login_required
@require_POST
def prereg_triage(request: AuthedRequest, pk: int) -> HttpResponse:
    """One row of the list: answered in place (htmx) with the row, or by a redirect."""
    p = access.get_for_user(request.user, PreRegistration, pk)
    form = f.TriageForm(request.POST, prefix=f"t{p.pk}")
    status, error = 200, ""
    if form.is_valid():
        try:
            p = svc.triage(p, user=request.user, decision=form.cleaned_data["decision"],
                           note=form.cleaned_data["note"])
        except DomainError as e:
            status, error = e.status, e.message
        else:
            form = None
            if not request.htmx:
                return _done(request, gettext("已分办：%(name)s · %(status)s")
                             % {"name": p.name, "status": p.get_status_display()},
                             reverse("practice:preregs"))
    else:
        status, error = 400, gettext("请选择分办意见")
    if request.htmx:
        return render(request, "practice/_prereg.html", {"row": _prereg_row(p, form, error)},
                      status=status)
    messages.error(request, error)
    return redirect("practice:preregs")
