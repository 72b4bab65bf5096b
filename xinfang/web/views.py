"""Staff pages (issue 2 §9): my queue, the matter page with its actions, registration.

Views are thin: parse a form → access helper → one service call → redirect or re-render.
Every DomainError becomes its Chinese message with the error's own status (400/403/409).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from xinfang.domain import idcard
from xinfang.domain import states as st
from xinfang.domain.errors import DomainError, Forbidden
from xinfang.org.models import Body, Category, Division
from xinfang.petitions import access, attachments, clocks, permissions, queries, services
from xinfang.petitions.models import Attachment, Dispatch, Document, Matter

from .forms import (
    MAX_PETITIONER_ROWS,
    ActionForm,
    AttachForm,
    NoteForm,
    RegistrationForm,
    SuperviseForm,
    active_bodies,
    routing_suggestion,
)

# --------------------------------------------------------------------------- queue


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "all")
    if tab not in queries.TABS:
        tab = "all"
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    sort = request.GET.get("sort", "due")
    if sort not in queries.SORTS:
        sort = "due"
    page = queries.queue_page(request.user, tab, number, sort=sort)
    ctx = {
        "nav": "queue",
        "tab": tab,
        "sort": sort,
        "tab_label": gettext(queries.TABS[tab].label),
        "page": page,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "web/_queue_table.html", ctx)
    counts = queries.queue_counts(request.user)
    ctx["tabs"] = [(t.key, gettext(t.label), _count_label(counts.get(t.key)))
                   for t in queries.TABS.values()]
    return render(request, "web/queue.html", ctx)


def _count_label(n: int | None) -> str | None:
    if n is None:
        return None
    return f"{queries.COUNT_CAP}+" if n > queries.COUNT_CAP else str(n)


# --------------------------------------------------------------------------- matter page


def _redact_for(user: Any, matter: Matter, dispatches: list[Dispatch]) -> bool:
    return not access.can_see_identity(user, matter, dispatches)


def _matter_context(request: HttpRequest, matter_id: int | str, *,
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
    actions = []
    for t in transitions:
        if failed is not None and failed.transition.name == t.name:
            actions.append(failed)
        else:
            actions.append(ActionForm(t, matter, suggestion=suggestion, bodies=bodies))
    lead = data.lead_dispatch
    # What the page offers is what the services allow (domain.acts); state guards beside.
    can_report = (permissions.may(user, "submit_report", matter=matter, dispatches=dispatches)
                  and lead is not None and not lead.reported_at
                  and matter.state in (st.State.HANDLING, st.State.REPLIED, st.State.CLOSED))
    assist = permissions.assist_dispatch(user, matter, dispatches)
    if assist is not None and assist.state == Dispatch.DState.REPLIED:
        assist = None  # its opinion is in: nothing more to offer
    can_supervise = permissions.may(user, "supervise", matter=matter)
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
        "documents": data.documents,
        "evaluations": data.evaluations,
        "supervisions": data.supervisions,
        "petitioner_rows": petitioners,
        "show_identity": show_identity,
        "revealed": reveal,
        "redact_documents": _redact_for(user, matter, dispatches),
        "actions": actions,
        "suggestion": suggestion,
        "error": error,
        "report_form": NoteForm(prefix="report") if can_report else None,
        "assist_dispatch": assist,
        "assist_form": NoteForm(prefix="assist") if assist else None,
        "supervise_form": SuperviseForm(prefix="supervise") if can_supervise else None,
        "attachments": data.attachments,
        "can_download": attachments.can_download(user, matter, dispatches),
        "attach_form": (AttachForm(prefix="attach")
                        if permissions.may(user, "attach", matter=matter, dispatches=dispatches)
                        else None),
    }
    ctx.update(extra or {})
    return ctx


@login_required
def matter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "web/matter.html", _matter_context(request, pk))


@login_required
@require_POST
def matter_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    matter = access.get_matter_for_user(request.user, pk)
    t = st.TRANSITIONS.get(name)
    if t is None:
        raise Http404("未知的操作")
    form = ActionForm(t, matter, request.POST, bodies=list(active_bodies()))
    if not form.is_valid():
        return _matter_error(request, pk, form, None, 400)
    try:
        services.transition(matter, name, user=request.user, data=form.to_data())
    except DomainError as e:
        return _matter_error(request, pk, form, e, e.status)
    return _done(request, pk, gettext("已%(action)s") % {"action": gettext(t.label)})


def _matter_error(request: HttpRequest, pk: int, form: ActionForm | None,
                  error: DomainError | None, status: int,
                  extra: dict[str, Any] | None = None) -> HttpResponse:
    ctx = _matter_context(request, pk, failed=form, error=error, extra=extra)
    if form is not None:
        ctx["open_action"] = form.transition.name
    return render(request, "web/matter.html", ctx, status=status)


def _done(request: HttpRequest, pk: int, message: str) -> HttpResponse:
    from django.contrib import messages

    messages.success(request, message)
    url = reverse("matter", args=[pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _post_act(request: HttpRequest, pk: int, form: Any, invalid: Callable[[Any], str],
              run: Callable[[Matter, dict[str, Any]], object], done: str) -> HttpResponse:
    """An act beside the state machine: valid form → one service call → back to the matter;
    a refusal re-renders the matter page with the error's status."""
    matter = access.get_matter_for_user(request.user, pk)
    try:
        if not form.is_valid():
            raise DomainError(invalid(form))
        run(matter, form.cleaned_data)
    except DomainError as e:
        return _matter_error(request, pk, None, e, e.status)
    return _done(request, pk, done)


@login_required
@require_POST
def matter_report(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_act(
        request, pk, NoteForm(request.POST, prefix="report"),
        lambda f: gettext("请填写办结报告内容"),
        lambda m, d: services.submit_report(m, user=request.user, text=d["text"]),
        gettext("办结报告已提交"))


@login_required
@require_POST
def matter_supervise(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_act(
        request, pk, SuperviseForm(request.POST, prefix="supervise"),
        lambda f: gettext("请填写督办意见") if "note" in f.errors else gettext("反馈期限应为1至90天"),
        lambda m, d: services.supervise(m, user=request.user, note=d["note"],
                                        feedback_days=d["feedback_days"]),
        gettext("已督办"))


@login_required
@require_POST
def matter_assist(request: HttpRequest, pk: int) -> HttpResponse:
    def run(m: Matter, d: dict[str, Any]) -> object:
        dispatch = permissions.assist_dispatch(request.user, m)
        if dispatch is None:
            raise Forbidden(gettext("只有协办单位可以提交协办意见"))
        return services.assist_reply(dispatch, user=request.user, text=d["text"])

    return _post_act(request, pk, NoteForm(request.POST, prefix="assist"),
                     lambda f: gettext("请填写协办意见"), run, gettext("协办意见已提交"))


@login_required
@require_POST
def reveal_identity(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the petitioners' full identity; every view is audited (issue 2 §8, §30 ¶3)."""
    matter = access.get_matter_for_user(request.user, pk)
    try:
        services.log_identity_view(matter, request.user, "web:matter")
    except DomainError as e:
        raise PermissionDenied(gettext("您无权查看信访人身份信息（§30 ¶3）")) from e
    ctx = _matter_context(request, pk, reveal=True)
    if request.htmx:
        return render(request, "web/_petitioners.html", ctx)
    return render(request, "web/matter.html", ctx)


def _document_for(request: HttpRequest, pk: int, doc_id: int) -> tuple[Document, bool]:
    matter = access.get_matter_for_user(request.user, pk)
    document = get_object_or_404(Document.objects.select_related("issued_by"), pk=doc_id,
                                 matter_id=matter.pk)
    document.matter = matter
    redact = _redact_for(request.user, matter, list(matter.dispatches.all()))
    return document, redact


@login_required
def document_html(request: HttpRequest, pk: int, doc_id: int) -> HttpResponse:
    from xinfang.documents import render_html

    document, redact = _document_for(request, pk, doc_id)
    response = HttpResponse(render_html(document, redact_identity=redact))
    response.csp_allow_inline_styles = True  # type: ignore[attr-defined]  # the A4 print CSS
    return response


@login_required
def document_pdf(request: HttpRequest, pk: int, doc_id: int) -> HttpResponse:
    from xinfang.documents import render_pdf

    document, redact = _document_for(request, pk, doc_id)
    response = HttpResponse(render_pdf(document, redact_identity=redact),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="document-{document.pk}.pdf"'
    return response


@login_required
def attachment_download(request: HttpRequest, pk: int, att_id: int) -> HttpResponse:
    """A file of the matter, only through the matter's access check (no public media URL)."""
    from django.http import FileResponse

    matter = access.get_matter_for_user(request.user, pk)
    att = get_object_or_404(Attachment, pk=att_id, matter_id=matter.pk)
    if not attachments.can_download(request.user, matter):
        raise PermissionDenied(gettext("附件含信访人身份信息，仅办理单位可以查看（§30 ¶3）"))
    try:
        handle = att.file.open("rb")
    except OSError as e:
        raise Http404("附件文件不存在") from e
    from xinfang.audit import services as audit

    audit.record("download_attachment", actor=request.user, object_type="attachment",
                 object_id=att.pk, matter_id=matter.pk, data={"name": att.name})
    return FileResponse(handle, as_attachment=True, filename=att.name,
                        content_type=att.content_type)


@login_required
@require_POST
def matter_attach(request: HttpRequest, pk: int) -> HttpResponse:
    """Add files to a matter (the handling chain): e.g. a retry after a failed upload."""
    matter = access.get_matter_for_user(request.user, pk)
    if not permissions.may(request.user, "attach", matter=matter):
        raise PermissionDenied(gettext("只有办理单位可以上传附件"))
    form = AttachForm(request.POST, request.FILES, prefix="attach")
    try:
        if not form.is_valid():
            raise attachments.AttachmentError("；".join(form.errors.get("files", [])))
        attachments.add_attachments(matter, form.cleaned_data["files"], request.user)
    except DomainError as e:
        return _matter_error(request, pk, None, e, e.status)
    return _done(request, pk, gettext("附件已上传"))


# --------------------------------------------------------------------------- registration


def _build_registration(form: RegistrationForm) -> tuple[services.Registration, list[int]]:
    """The form as a services.Registration; also the form row of each petitioner."""
    d = form.cleaned_data
    rows: list[int] = []
    petitioners: list[services.PetitionerIn] = []
    collective = bool(d.get("is_collective"))
    for i in range(MAX_PETITIONER_ROWS):
        name = (d.get(f"p{i}_name") or "").strip()
        if not name:
            continue
        phone = (d.get(f"p{i}_phone") or "").strip()
        if i == 0 and not phone and d.get("channel") == "phone":
            phone = (d.get("caller_number") or "").strip()
        petitioners.append(services.PetitionerIn(
            name=name, id_number=(d.get(f"p{i}_id_number") or "").strip(), phone=phone,
            address=(d.get(f"p{i}_address") or "").strip(), is_representative=collective))
        rows.append(i)
    division = Division.objects.filter(code=d.get("division")).first()
    category = Category.objects.filter(pk=d["category"]).first() if d.get("category") else None
    accused = Body.objects.filter(pk=d["accused_body"]).first() if d.get("accused_body") else None
    reg = services.Registration(
        channel=d["channel"], title=d["title"], request=d["request"], content=d["content"],
        division=division,  # type: ignore[arg-type]
        received_at=d["received_at"], petitioners=petitioners, klass=d["klass"],
        category=category, source_doc_no=d.get("source_doc_no", ""),
        source_body_name=d.get("source_body_name", ""), accused_name=d.get("accused_name", ""),
        channel_details={
            "reception_room": (d.get("reception_room") or "").strip(),
            "postmark_on": d["postmark_on"].isoformat() if d.get("postmark_on") else "",
        },  # the caller's number is personal data: it goes to the encrypted petitioner phone
        accused_body=accused, headcount=d.get("headcount") or 1,
        is_anonymous=bool(d.get("is_anonymous")), is_urgent=bool(d.get("is_urgent")),
        confidential=bool(d.get("confidential")), legal_litigation=bool(d.get("legal_litigation")),
    )
    return reg, rows


def _attach_errors(form: RegistrationForm, errors: dict[str, str], rows: list[int]) -> None:
    for key, message in errors.items():
        field: str | None = key
        if key.startswith("petitioners."):
            _, idx, attr = key.split(".")
            field = f"p{rows[int(idx)]}_{attr}"
        elif key == "petitioners":
            field = "p0_name"
        if field not in form.fields:
            field = None
        form.add_error(field, message)


def _require_registrar(request: HttpRequest) -> None:
    """The register act (domain.acts: §23 ¶1, staff register at their own body)."""
    if not permissions.may(request.user, "register") or request.user.body_id is None:
        raise PermissionDenied(gettext("只有本机关、单位的登记、办理人员和领导可以登记信访事项（§23 ¶1）"))


@login_required
def register(request: HttpRequest) -> HttpResponse:
    _require_registrar(request)
    if request.method != "POST":
        return render(request, "web/register.html",
                      {"form": RegistrationForm(user=request.user), "nav": "register"})
    form = RegistrationForm(request.POST, request.FILES, user=request.user)
    if form.is_valid():
        reg, rows = _build_registration(form)
        if reg.division is None:
            form.add_error("division", gettext("请选择问题属地"))
        else:
            from xinfang.petitions import intel  # issue 5: suggestions, same-matter, 提级核查

            reg.suggested_category = intel.suggest_categories(reg.title, reg.content)
            reg.repeat_of = (intel.confirmed_repeat(request.user, request.POST.get("same_matter"))
                             or intel.auto_repeat_of(reg))
            try:
                matter = services.register(reg, holder=request.user.body, user=request.user)
            except services.ValidationFailed as e:
                _attach_errors(form, e.errors, rows)
            else:
                from django.contrib import messages

                messages.success(request, gettext(
                    "已登记，信访件编号 %(number)s，查询码 %(code)s"
                    "（请告知信访人，凭查询码和手机号查询进度，§21 ¶2）")
                    % {"number": matter.number, "code": matter.query_code})
                for note in intel.after_register(matter, request.user, reg.suggested_category):
                    messages.info(request, note)
                # The matter is durable already; a failed upload is reported, not undone.
                try:
                    attachments.add_attachments(matter, form.cleaned_data.get("files") or [],
                                                request.user)
                except attachments.AttachmentError as e:
                    messages.error(request, gettext("%(error)s：信访事项已登记，请在本页重新上传附件")
                                   % {"error": e.message})
                return redirect("matter", pk=matter.pk)
    return render(request, "web/register.html", {"form": form, "nav": "register"}, status=400)


@login_required
@require_POST
def register_repeats(request: HttpRequest) -> HttpResponse:
    """htmx 查重 panel: earlier matters of the same petitioner or about the same matter
    (§19 ¶3), through the read gate: one the user may not open is shown masked (§30 ¶3)."""
    from xinfang.petitions import intel  # issue 5: one hint use case for panel and registration

    _require_registrar(request)
    petitioners = []
    for i in range(MAX_PETITIONER_ROWS):
        number = request.POST.get(f"p{i}_id_number", "").strip()
        phone = request.POST.get(f"p{i}_phone", "").strip()
        if number and idcard.validate(number) is not None:
            number = ""
        if number or phone:
            petitioners.append(services.PetitionerIn(name="", id_number=number, phone=phone))
    caller = request.POST.get("caller_number", "").strip()
    if caller:
        petitioners.append(services.PetitionerIn(name="", phone=caller))
    code = request.POST.get("division", "").strip()
    division = Division.objects.filter(code=code).first() if code else None
    accused = request.POST.get("accused_body", "").strip()
    accused_body = Body.objects.filter(pk=int(accused)).first() if accused.isdigit() else None
    hints = intel.repeat_hints(request.user, petitioners, request.POST.get("title", ""),
                               request.POST.get("content", ""), division, accused_body)
    return render(request, "web/_repeats.html", {
        "hints": hints, "same_selected": request.POST.get("same_matter", "")})
