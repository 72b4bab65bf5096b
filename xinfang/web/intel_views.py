"""Issue 5 pages: intake suggestions (htmx), hot topics, the leader dashboard. Thin views
over xinfang.petitions.intel; every query goes through access.visible_matters, so a user
sees topics, warnings and counts of their own scope only. The 查重 panel is
``views.register_repeats`` over ``intel.repeat_hints`` (the same gate).

This module imports nothing from ``views`` (nor ``views`` from it): what both need lives
one layer down, in ``xinfang.petitions``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.org.models import Body, Category, Division, User
from xinfang.petitions import access, intel
from xinfang.petitions.models import Matter
from xinfang.practice import dashboard as practice_dashboard

from .desk import require_registrar
from .forms import category_choices, division_choices, routing_suggestion

TOPICS_POLL_SECONDS = 5  # how often a page waiting for the topics job asks again


def _require_intel(request: AuthedRequest) -> None:
    if not intel.may_use(request.user):
        raise PermissionDenied(gettext("只有信访干部、领导和督查可以查看"))


def _form_place(request: AuthedRequest) -> tuple[Division | None, Body | None]:
    code = request.POST.get("division", "").strip()
    division = Division.objects.filter(code=code).first() if code else None
    accused = request.POST.get("accused_body", "").strip()
    body = Body.objects.filter(pk=int(accused)).first() if accused.isdigit() else None
    return division, body


# --------------------------------------------------------------------------- intake


@login_required
@require_POST
def register_suggest(request: AuthedRequest) -> HttpResponse:
    """htmx: top-3 categories for the typed title/content and the suggested unit (§22 ¶1)."""
    require_registrar(request)
    title = request.POST.get("title", "")
    content = request.POST.get("content", "")
    suggestions = intel.suggest_categories(title, content)
    division, accused = _form_place(request)
    chosen = request.POST.get("category", "").strip()
    cat_id = int(chosen) if chosen.isdigit() else next(
        (s["category_id"] for s in suggestions if s["category_id"]), None)
    category = Category.objects.filter(pk=cat_id).first() if cat_id else None
    route = None
    if category is not None and division is not None:
        probe = Matter(category=category, division=division, klass=request.POST.get("klass", ""),
                       accused_body=accused)
        route = routing_suggestion(probe)
    return render(request, "intel/_suggest.html", {
        "suggestions": suggestions, "route": route, "route_category": category,
        "from_model": not chosen.isdigit()})


# --------------------------------------------------------------------------- hot topics


def _topic_filters(request: AuthedRequest) -> dict[str, Any]:
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    days = days if days in intel.PERIODS else 30
    division = request.GET.get("division", "").strip()
    category = request.GET.get("category", "").strip()
    return {"days": days, "division": division, "category": category}


@login_required
def topics(request: AuthedRequest) -> HttpResponse:
    """The hot topics from the topics job's stored result. Without one the job is asked for
    (intel.snapshot) and the page says 正在计算 and polls (``?poll=1``, htmx): 204 while the
    run is not done, then the list, which replaces the notice."""
    _require_intel(request)
    f = _topic_filters(request)
    result = intel.topics_result(request.user, f["days"], f["division"], f["category"])
    query = f"days={f['days']}&division={f['division']}&category={f['category']}"
    poll = request.GET.get("poll") == "1"
    if poll and not result.ready:
        return HttpResponse(status=204)  # htmx swaps nothing and asks again
    context = {
        "nav": "topics", "topics": result.topics, "result": result, "f": f, "query": query,
        "periods": intel.PERIODS, "poll_seconds": TOPICS_POLL_SECONDS}
    if poll:
        return render(request, "intel/_topics_result.html", {**context, "arrived": True})
    return render(request, "intel/topics.html", {
        **context, "divisions": division_choices(request.user), "categories": [
            (v, label) for v, label in category_choices() if not label.startswith("　")],
    })


@login_required
def topic_detail(request: AuthedRequest, n: int) -> HttpResponse:
    _require_intel(request)
    f = _topic_filters(request)
    result = intel.topics_result(request.user, f["days"], f["division"], f["category"])
    if not result.ready:  # the list page says that the topics are being computed
        return redirect(reverse("topics") + "?" + urlencode(f))
    topic = next((t for t in result.topics if t.n == n), None)
    if topic is None:
        raise Http404(gettext("该热点已不在当前统计中"))
    rows = access.visible_matters(request.user).filter(pk__in=topic.ids).select_related(
        "division", "lead_body", "category").order_by("-received_at")
    return render(request, "intel/topic.html", {"nav": "topics", "topic": topic, "rows": rows,
                                                "f": f})


@login_required
def warnings(request: AuthedRequest) -> HttpResponse:
    """Every early warning of the user's scope, each with all the matters behind it."""
    _require_intel(request)
    return render(request, "intel/warnings.html", {"nav": "warnings",
                                                   "w": intel.warnings_for(request.user)})


# --------------------------------------------------------------------------- dashboard


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    _require_intel(request)
    return render(request, "intel/dashboard.html", {
        "nav": "dashboard", "data": _dashboard(request.user)})


@login_required
def dashboard_data(request: AuthedRequest) -> JsonResponse:
    _require_intel(request)
    return JsonResponse(_dashboard(request.user), json_dumps_params={"ensure_ascii": False})


def _dashboard(user: User) -> dict[str, Any]:
    """Volume charts and the indicators (the rates and the overdue bars, defined once for
    every page), from the indicator counters (practice.dashboard)."""
    return practice_dashboard.data(user)
