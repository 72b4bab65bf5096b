"""The citizen portal (no login): published channels (§18 ¶1) and progress tracking (§21 ¶2).

A citizen proves a matter is theirs with the query code and the phone on file; the proof is
kept in the session. They see only public events, unit names (never staff names), the
documents served on them, and — when the procedure allows — the evaluation and the
复查/复核 request forms.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from xinfang.domain import states as st
from xinfang.domain.errors import DomainError
from xinfang.org.models import Body
from xinfang.petitions import access, services
from xinfang.petitions.models import Document, Evaluation, Event, Matter

SESSION_KEY = "portal_matter_id"
CITIZEN_ACTIONS = {
    "rate_satisfied": {st.State.REPLIED},
    "rate_unsatisfied": {st.State.REPLIED},
    "request_review": {st.State.REPLIED},
    "request_recheck": {st.State.REVIEWED},
}


def index(request: HttpRequest) -> HttpResponse:
    offices = (Body.objects.filter(kind=Body.Kind.XINFANG, active=True).exclude(address="")
               .select_related("division").order_by("-division__level", "name"))
    return render(request, "portal/index.html", {"offices": offices, "nav": "index"})


def track(request: HttpRequest) -> HttpResponse:
    from .forms import TrackForm

    if request.method != "POST":
        return render(request, "portal/track.html", {"form": TrackForm(), "nav": "track"})
    form = TrackForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            matter = access.get_matter_for_citizen(form.cleaned_data["code"],
                                                   form.cleaned_data["phone"])
        except Http404:
            error = "查询码或手机号不正确，请核对后重试"
        else:
            request.session.cycle_key()
            request.session[SESSION_KEY] = matter.pk
            return redirect("portal:matter")
    return render(request, "portal/track.html", {"form": form, "error": error, "nav": "track"},
                  status=400)


def _proven_matter(request: HttpRequest) -> Matter | None:
    pk = request.session.get(SESSION_KEY)
    if not pk:
        return None
    return (Matter.objects.select_related("holder", "lead_body", "division", "review_body",
                                          "recheck_body").filter(pk=pk).first())


def _context(matter: Matter, *, error: DomainError | None = None,
             failed: str = "") -> dict[str, Any]:
    events = (Event.objects.filter(matter=matter, public=True)
              .select_related("actor_body").order_by("at", "id"))
    steps = []
    for e in events:
        # Unit names only: staff names never reach the citizen.
        if e.actor_label == "信访人":
            who = "信访人"
        elif e.actor_body is not None:
            who = e.actor_body.name
        else:
            who = "系统" if e.actor_label == "系统" else ""
        steps.append({"at": e.at, "label": e.label, "who": who, "note": e.note})
    documents = Document.objects.filter(matter=matter, to_petitioner=True).select_related("issued_by")
    state = st.State(matter.state)
    rated = Evaluation.objects.filter(matter=matter, round=matter.redo_count).exists()
    can = {name for name, states in CITIZEN_ACTIONS.items() if state in states}
    if rated:
        can -= {"rate_satisfied", "rate_unsatisfied"}
    return {
        "matter": matter,
        "steps": steps,
        "documents": documents,
        "can": can,
        "error": error,
        "failed": failed,
        "state_label": st.STATE_LABELS[state],
    }


def matter(request: HttpRequest) -> HttpResponse:
    m = _proven_matter(request)
    if m is None:
        return redirect("portal:track")
    return render(request, "portal/matter.html", _context(m))


@require_POST
def act(request: HttpRequest, name: str) -> HttpResponse:
    m = _proven_matter(request)
    if m is None:
        return redirect("portal:track")
    if name not in CITIZEN_ACTIONS:
        raise Http404("未知的操作")
    data: dict[str, Any] = {}
    for key in ("rating", "comment", "reason", "late_reason"):
        value = request.POST.get(key, "").strip()
        if value:
            data[key] = value
    if name == "rate_unsatisfied":
        data["rating"] = Evaluation.Rating.UNSATISFIED.value
    try:
        services.transition(m, name, data=data, citizen=True)
    except DomainError as e:
        return render(request, "portal/matter.html", _context(m, error=e, failed=name),
                      status=e.status)
    from django.contrib import messages

    messages.success(request, "已提交，感谢您的评价" if name.startswith("rate") else "申请已提交")
    return redirect("portal:matter")


def document(request: HttpRequest, doc_id: int) -> HttpResponse:
    from xinfang.documents import render_html

    m = _proven_matter(request)
    if m is None:
        return redirect("portal:track")
    doc = get_object_or_404(Document.objects.select_related("issued_by"), pk=doc_id,
                            matter_id=m.pk, to_petitioner=True)
    doc.matter = m
    return HttpResponse(render_html(doc))


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("portal:track")
