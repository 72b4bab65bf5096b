"""The 工作机制 hub: one's own cases and first contacts, and the division's figures."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from xinfang.core.http import AuthedRequest
from xinfang.domain import practice as pr
from xinfang.domain import states as st
from xinfang.petitions import permissions

from .. import access
from .. import services as svc
from ..models import Case, PreRegistration
from ._common import _division, _render, _today


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    user = request.user
    scope = permissions.has_jurisdiction(user)
    today = _today()
    ctx: dict[str, Any] = {
        "scope": scope,
        "my_cases": svc.open_cases_of(user)[:10],
        "is_leader": user.role == st.Role.LEADER,
        "first_contact": svc.first_contact_matters(user).count(),
        # A unit that assesses its own decisions (稳评, §10) without jurisdiction.
        "can_assess": permissions.may(user, "assess_risk") and user.body is not None,
    }
    if scope:
        div = _division(user)
        ctx.update({
            "division": div,
            "behind": svc.compliance_view(
                div, *pr.period_window(pr.Period.MONTH, today), today).behind,
            "preregs_waiting": access.visible(user, PreRegistration.objects.filter(
                status=PreRegistration.Status.SUBMITTED)).count(),
            "listed": access.visible(user, Case.objects.filter(listed=True)).exclude(
                status=Case.Status.CLOSED).count(),
        })
    return _render(request, "practice/index.html", ctx)
