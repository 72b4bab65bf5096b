"""联席会议 and monthly 研判 (§8, §13): the agenda from warnings and the backlog, minutes,
议定事项 and their 落实."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.domain.errors import Forbidden
from xinfang.org.models import Body
from xinfang.petitions import permissions
from xinfang.petitions.services import ValidationFailed

from .. import access
from .. import forms as f
from .. import services as svc
from ..models import Meeting, MeetingDecision
from ._common import _division, _render, _scope, _today, submit


def _meetings_ctx(request: AuthedRequest, **over: Any) -> dict[str, Any]:
    user = request.user
    scope = permissions.has_jurisdiction(user)
    today = _today()
    div = _division(user)
    decisions = svc.open_decisions(div, today) if scope else [
        {"decision": d, "overdue": d.due_on < today, "days_left": (d.due_on - today).days}
        for d in access.visible(user, MeetingDecision.objects.filter(done_on__isnull=True))
        .select_related("owner_body", "meeting")]
    for row in decisions:
        row["can_complete"] = svc.may_complete_decision(user, row["decision"])
    can_keep = permissions.may(user, "keep_meetings", path=div.path)
    ctx: dict[str, Any] = {
        "meetings": access.visible(user, Meeting.objects.select_related("body"))[:20],
        "agenda": svc.build_agenda(div, today) if scope else [],
        "decisions": decisions,
        "form": f.MeetingForm(division=div, initial={"held_on": today}) if can_keep else None,
        "complete_error": None,
    }
    ctx.update(over)
    return ctx


@login_required
def meetings(request: AuthedRequest) -> HttpResponse:
    return _render(request, "practice/meetings.html", _meetings_ctx(request))


@login_required
@require_POST
def meeting_add(request: AuthedRequest) -> HttpResponse:
    user = request.user
    div = _scope(user)
    form = f.MeetingForm(request.POST, division=div)

    def act(d: dict[str, Any]) -> tuple[str, str]:
        decisions = [svc.DecisionIn(d[f"d{i}_text"], d[f"d{i}_body"], d[f"d{i}_due"])
                     for i in range(f.DECISION_ROWS) if d.get(f"d{i}_text")]
        if user.body is None:
            raise Forbidden(gettext("您的账号未设置所在单位"))
        body = Body.objects.filter(division=div, kind=Body.Kind.PARTY_GOV).first() or user.body
        m = svc.record_meeting(user=user, kind=d["kind"], division=div, body=body,
                               held_on=d["held_on"], title=d["title"], minutes=d["minutes"],
                               decisions=decisions)
        return (gettext("已登记会议：%(title)s（议定事项 %(n)s 项）")
                % {"title": m.title, "n": len(decisions)},
                reverse("practice:meeting", args=[m.pk]))

    return submit(request, form, act, lambda form, status, _e: _render(
        request, "practice/meetings.html", _meetings_ctx(request, form=form), status))


@login_required
def meeting_page(request: AuthedRequest, pk: int) -> HttpResponse:
    m = access.get_for_user(request.user, Meeting, pk)
    return _render(request, "practice/meeting.html", {
        "m": m, "decisions": m.decisions.select_related("owner_body", "owner")})


@login_required
@require_POST
def decision_complete(request: AuthedRequest, pk: int) -> HttpResponse:
    d = access.get_for_user(request.user, MeetingDecision, pk)
    form = f.CompleteDecisionForm(request.POST)

    def act(_d: dict[str, Any]) -> tuple[str, str]:
        if not form.is_valid():
            raise ValidationFailed({"evidence": "请填写落实情况"})
        svc.complete_decision(d, user=request.user, evidence=form.cleaned_data["evidence"])
        return gettext("已报告落实情况"), reverse("practice:meetings")

    return submit(request, None, act, lambda _f, status, error: _render(
        request, "practice/meetings.html",
        _meetings_ctx(request, complete_error=(d.pk, error)), status))
