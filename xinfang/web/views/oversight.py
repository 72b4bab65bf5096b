"""§40 at the web door: the three recommendations and the 督办/建议 answers from the matter
page (``matter_oversight``), and the page of what one's body owes in writing and what the
supervisors await (``oversight``) — the same acts and input as the API
(``services.oversight_act``, ``domain.fields.ACT_FIELDS``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.domain.errors import DomainError
from xinfang.petitions import clocks, oversight, permissions, services
from xinfang.petitions.services.oversight import OWED_ACTS

from ..forms_oversight import OversightForm
from ..templatetags.oversight_tags import watch_context
from .matter import post_act

DONE = {
    "supervision_feedback": gettext_noop("已书面反馈督办办理情况（§40 ¶1）"),
    "review_supervision_feedback": gettext_noop("督办反馈审核已登记"),
    "recommend_improve": gettext_noop("已提出改进工作建议，建议书已制作（§40 ¶1）"),
    "recommend_policy": gettext_noop("已提出完善政策建议，建议书已制作（§40 ¶2）"),
    "recommend_accountability": gettext_noop("已提出追究责任建议，建议书已制作（§40 ¶3）"),
    "recommendation_feedback": gettext_noop("已书面反馈建议采纳情况（§40 ¶4）"),
}


@login_required
@require_POST
def matter_oversight(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    if name not in services.OVERSIGHT_ACTS:
        raise Http404("未知的操作")
    return post_act(
        request, pk, OversightForm(name, request.POST, user=request.user),
        lambda f: f.first_error(),
        lambda m, d: services.oversight_act(name, user=request.user, data=d, matter=m),
        gettext(DONE[name]))


def _may_open(request: AuthedRequest) -> bool:
    user = request.user
    return user.body_id is not None or permissions.may(user, "view_supervision")


def page_context(request: AuthedRequest) -> dict[str, Any]:
    """What the user's body owes in writing, with the answer forms, and — for who may view
    督查督办 — the open 督办 and recommendations of the jurisdiction and this year's counts."""
    user = request.user
    owed = oversight.owed_by(user)
    return {
        "nav": "oversight",
        **watch_context(user),
        "today": clocks.today(),
        "owed_sups": [(s, OversightForm("supervision_feedback", user=user,
                                        initial={"supervision": s.pk}))
                      for s in owed.supervisions],
        "owed_recs": [(r, OversightForm("recommendation_feedback", user=user,
                                        initial={"recommendation": r.pk}))
                      for r in owed.recommendations],
    }


@login_required
def oversight_page(request: AuthedRequest) -> HttpResponse:
    if not _may_open(request):
        raise PermissionDenied(gettext("只有机关、单位的工作人员可以查看督办和建议反馈"))
    return render(request, "web/oversight.html", page_context(request))


@login_required
@require_POST
def oversight_act(request: AuthedRequest, name: str) -> HttpResponse:
    """An answer or a review from the oversight page (the body that owes it may not be able
    to open the matter: a 追究责任建议 goes to the body above the one at fault)."""
    if name not in OWED_ACTS:
        raise Http404("未知的操作")
    if not _may_open(request):
        raise PermissionDenied(gettext("只有机关、单位的工作人员可以查看督办和建议反馈"))
    form = OversightForm(name, request.POST, user=request.user)
    if not form.is_valid():  # bad input: 400 with the first problem in Chinese
        ctx = {**page_context(request), "error": DomainError(form.first_error())}
        return render(request, "web/oversight.html", ctx, status=400)
    try:
        services.oversight_act(name, user=request.user, data=form.cleaned_data)
    except DomainError as e:
        ctx = {**page_context(request), "error": e}
        return render(request, "web/oversight.html", ctx, status=e.status)
    messages.success(request, gettext(DONE[name]))
    return redirect("oversight")

