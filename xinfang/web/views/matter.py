"""The matter page and what every act posted from it shares: the page's context (what it
offers comes from permissions.may), re-rendering with a refusal, the redirect after success
and the POST-act helper for acts beside the state machine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django_htmx.http import HttpResponseClientRedirect

from xinfang.core.http import AuthedRequest
from xinfang.domain import idcard
from xinfang.domain import states as st
from xinfang.domain.errors import DomainError
from xinfang.domain.states import Role
from xinfang.org.models import User
from xinfang.petitions import (
    access,
    attachments,
    clocks,
    permissions,
    queries,
    redaction,
    services,
)
from xinfang.petitions.models import Dispatch, Matter

from ..forms import (
    ActionForm,
    AttachForm,
    LapseForm,
    NoteForm,
    PersonnelNoticeForm,
    SuperviseForm,
    active_bodies,
    routing_suggestion,
)


def redact_for(user: Any, matter: Matter, dispatches: list[Dispatch]) -> bool:
    return redaction.hides_identity(user, matter, dispatches)


def matter_context(request: AuthedRequest, matter_id: int | str, *,
                   failed: ActionForm | None = None, error: DomainError | None = None,
                   reveal: bool = False, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    data = queries.matter_page_data(request.user, matter_id)
    matter = data.matter
    user = request.user
    dispatches = data.dispatches
    show_identity = access.can_see_identity(user, matter, dispatches)
    transitions = services.allowed_actions(user, matter)
    needs_bodies = any("to_body" in t.required for t in transitions)
    bodies = list(active_bodies()) if needs_bodies else []
    suggestion = routing_suggestion(matter) if needs_bodies else None
    from xinfang.petitions import intel  # the repeat link and its refusal (§19 ¶3, §36 ¶3)

    link = intel.repeat_link(user, matter)  # masked unless the user may open it (§30 ¶3)
    for e in data.events:
        e.note = intel.mask_note(e.note, matter, link)
    from xinfang.notify import timeline  # each event's notifications and their delivery

    timeline.attach(matter, data.events)
    proposal = intel.matter_proposal(user, matter)
    actions = []
    for t in transitions:
        if failed is not None and failed.transition.name == t.name:
            actions.append(failed)
        else:
            initial = ({"reason_code": proposal.code, "reason": proposal.reason}
                       if t.name == "not_accept" and proposal is not None else None)
            actions.append(ActionForm(t, matter, suggestion=suggestion, bodies=bodies,
                                      initial=initial))
    lead = data.lead_dispatch
    # What the page offers is what the services allow (domain.acts); state guards beside.
    can_report = (permissions.may(user, "submit_report", matter=matter, dispatches=dispatches)
                  and lead is not None and not lead.reported_at
                  and matter.state in (st.State.HANDLING, st.State.REPLIED, st.State.CLOSED))
    assist = permissions.assist_dispatch(user, matter, dispatches)
    if assist is not None and assist.state == Dispatch.DState.REPLIED:
        assist = None  # its opinion is in: nothing more to offer
    can_supervise = permissions.may(user, "supervise", matter=matter)
    # A petitioner's window past an estimated end (待确认): a 督查 or admin may confirm it lapsed.
    can_confirm_lapse = (permissions.may(user, "confirm_lapse", matter=matter)
                         and bool(clocks.pending_lapses(matter)))
    # Issue 14 item 3: the free text outside the chain of a confidential matter, unless revealed.
    red = redaction.for_viewer(user, matter, dispatches, revealed=reveal)
    redaction.apply_to_page(red, events=data.events, dispatches=dispatches,
                            supervisions=data.supervisions, evaluations=data.evaluations)
    petitioners = []
    for p in data.petitioners:
        petitioners.append({
            "p": p,
            "id_number": p.id_number if reveal else idcard.mask(p.id_number),
            "phone": p.phone if reveal else idcard.mask_phone(p.phone),
            "address": p.address if reveal else (gettext("（已隐藏）") if p.address else ""),
            "name": p.name if (reveal or not matter.is_report) else idcard.mask_name(p.name),
        })
    ctx = {
        "data": data,
        "matter": matter,
        "dispatches": dispatches,
        "clock_views": [clocks.view(c) for c in data.clocks],
        "events": data.events,
        "repeat_link": link,
        "refusal_proposal": proposal,
        "documents": data.documents,
        "evaluations": data.evaluations,
        "supervisions": data.supervisions,
        "petitioner_rows": petitioners,
        "show_identity": show_identity or reveal,
        "may_reveal": permissions.may(user, "reveal_identity", matter=matter,
                                      dispatches=dispatches),
        "revealed": reveal,
        "text": {"title": red.text(matter.title), "request": red.text(matter.request),
                 "content": red.text(matter.content)},
        "redact_documents": redact_for(user, matter, dispatches),
        "actions": actions,
        "suggestion": suggestion,
        "error": error,
        "report_form": NoteForm(prefix="report") if can_report else None,
        # §32 ¶2: a supported opinion still to be carried out (an open F1 clock).
        "implementation_form": (NoteForm(prefix="implementation")
                                if any(c.code == "F1" and c.met_on is None for c in data.clocks)
                                and permissions.may(user, "record_implementation", matter=matter)
                                else None),
        "assist_dispatch": assist,
        "assist_form": NoteForm(prefix="assist") if assist else None,
        "supervise_form": SuperviseForm(prefix="supervise") if can_supervise else None,
        "lapse_form": LapseForm(prefix="lapse") if can_confirm_lapse else None,
        # §30 ¶2: the 通报 of a petition about a cadre, offered to its 信访部门.
        "handler_form": handler_form(user, matter),
        "recuse_form": recuse_form(user, matter),
        # 回访 after the answer (issue 16 item 2), and the calls recorded so far.
        "follow_up_form": _follow_up_form(user, matter),
        "follow_ups": list(matter.follow_ups.select_related("staff").order_by("contact_at", "id"))
        if matter.replied_on else [],
        "personnel_form": (PersonnelNoticeForm(prefix="personnel")
                           if services.may_notify_personnel(user, matter) else None),
        "can_correct": services.may_correct(user, matter),
        "attachments": data.attachments,
        "can_download": attachments.can_download(user, matter, dispatches),
        "attach_form": (AttachForm(prefix="attach")
                        if permissions.may(user, "attach", matter=matter, dispatches=dispatches)
                        else None),
    }
    from .citizen_side import context as citizen_side  # 补充材料, 息诉罢访 (issue 16 item 6)

    ctx.update(citizen_side(user, matter, data.events))
    ctx.update(extra or {})
    return ctx


@login_required
def matter_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return render(request, "web/matter.html", matter_context(request, pk))


def matter_error(request: AuthedRequest, pk: int, form: ActionForm | None,
                 error: DomainError | None, status: int,
                 extra: dict[str, Any] | None = None) -> HttpResponse:
    if form is not None and error is None:
        # An act the page does not offer (a crafted POST): its form is never shown, so say
        # why the act is refused (state, role) rather than re-render a page with no message.
        refusal = _refusal(request.user, pk, form.transition.name)
        if refusal is not None:
            error, status = refusal, refusal.status
    ctx = matter_context(request, pk, failed=form, error=error, extra=extra)
    if form is not None:
        ctx["open_action"] = form.transition.name
    return render(request, "web/matter.html", ctx, status=status)


def _refusal(user: User, pk: int, name: str) -> DomainError | None:
    """Why ``user`` may not take act ``name`` on the matter now (wrong state or not theirs),
    or None when the page offers it."""
    matter = access.get_matter_for_user(user, pk)
    if any(t.name == name for t in services.allowed_actions(user, matter)):
        return None
    try:
        st.check(name, state=st.State(matter.state), actor=services.actor_for(user, matter),
                 facts=services.facts_for(matter, name), data={})
    except DomainError as e:
        return e
    return None


def done(request: AuthedRequest, pk: int, message: str) -> HttpResponse:
    from django.contrib import messages

    messages.success(request, message)
    url = reverse("matter", args=[pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def post_act(request: AuthedRequest, pk: int, form: Any, invalid: Callable[[Any], str],
             run: Callable[[Matter, dict[str, Any]], object], message: str) -> HttpResponse:
    """An act beside the state machine: valid form → one service call → back to the matter;
    a refusal re-renders the matter page with the error's status."""
    matter = access.get_matter_for_user(request.user, pk)
    try:
        if not form.is_valid():
            raise DomainError(invalid(form))
        run(matter, form.cleaned_data)
    except DomainError as e:
        return matter_error(request, pk, None, e, e.status)
    return done(request, pk, message)


def _follow_up_form(user: User, matter: Matter) -> forms.Form | None:
    from .follow_up import follow_up_form

    return follow_up_form(user, matter)


def handler_form(user: User, matter: Matter, data: Any = None) -> forms.Form | None:
    """指定承办人 (§28): the head or a leader of the unit handling the matter picks one of
    its active staff who has not stepped aside."""
    if not permissions.may(user, "assign_handler", matter=matter):
        return None
    staff = (User.objects.filter(body_id=matter.lead_body_id or 0, is_active=True)
             .exclude(pk__in=matter.recused_ids or []).order_by("role", "username"))
    form = forms.Form(data, prefix="handler")
    form.fields["handler_user"] = forms.TypedChoiceField(
        label=gettext("承办人"), coerce=int, initial=matter.handler_user_id,
        choices=[(u.pk, u.display_name or u.username) for u in staff])
    return form


def recuse_form(user: User, matter: Matter, data: Any = None) -> forms.Form | None:
    """回避 (§28 ¶3): staff declare their own; a head or leader records one for their staff."""
    if not permissions.may(user, "recuse", matter=matter):
        return None
    form = forms.Form(data, prefix="recuse")
    if user.role in (Role.UNIT_HEAD, Role.LEADER):
        staff = User.objects.filter(body_id=user.body_id or 0, is_active=True).order_by("username")
        choices = [(u.pk, u.display_name or u.username) for u in staff]
    else:
        choices = [(user.pk, gettext("本人"))]
    form.fields["recused_user"] = forms.TypedChoiceField(
        label=gettext("回避人员"), coerce=int, choices=choices, initial=user.pk)
    form.fields["reason"] = forms.CharField(
        label=gettext("理由（与事项或信访人有直接利害关系）"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}))
    return form
