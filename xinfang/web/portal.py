"""The citizen portal (no login): published channels (§18 ¶1) and progress tracking (§21 ¶2).

A citizen proves a matter is theirs with the query code and the phone on file (failed proofs
are throttled per address and per code); the proof — matter and petitioner ids — is kept in
the session, and lets them read: public events, unit names (never staff names), the documents
served on them. Every act (评价, 复查/复核, 重办, 撤回, 补充材料) also needs a fresh SMS code sent
to the registered phone for that act (``services.citizen``; issue 14 item 7).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_POST

from xinfang.core import attempts, otp
from xinfang.core.security import client_address
from xinfang.domain import fields as df
from xinfang.domain import states as st
from xinfang.domain.errors import DomainError, MissingFields
from xinfang.org.models import Body
from xinfang.petitions import attachments, services
from xinfang.petitions.models import Document, Evaluation, Event, Matter
from xinfang.petitions.services import citizen as cz

from .templatetags.a11y_tags import Problem

SESSION_KEY = "portal_matter_id"
PETITIONER_KEY = "portal_petitioner_id"
CITIZEN_ACTIONS = frozenset({"rate_satisfied", "rate_unsatisfied", "request_redo",
                             "request_review", "request_recheck", "withdraw"})


def index(request: HttpRequest) -> HttpResponse:
    offices = (Body.objects.filter(kind=Body.Kind.XINFANG, active=True).exclude(address="")
               .select_related("division").order_by("-division__level", "name"))
    return render(request, "portal/index.html", {"offices": offices, "nav": "index"})


def track(request: HttpRequest) -> HttpResponse:
    from .forms import TrackForm

    if request.method != "POST":
        form = TrackForm(initial={"code": request.GET.get("code", "")})
        return render(request, "portal/track.html", {"form": form, "nav": "track"})
    form = TrackForm(request.POST)
    error = ""
    status = 400
    if form.is_valid():
        try:
            proof = cz.prove(form.cleaned_data["code"], form.cleaned_data["phone"],
                             address=client_address(request))
        except attempts.TooManyAttempts as e:
            error, status = e.message, e.status
        except Http404:
            error = gettext("查询码或手机号不正确，请核对后重试")
            # Both fields are in question: each is marked and described by the message.
            for name in ("code", "phone"):
                form.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": "track-error"})
        else:
            request.session.cycle_key()
            request.session[SESSION_KEY] = proof.matter.pk
            request.session[PETITIONER_KEY] = proof.petitioner_id
            return redirect("portal:matter")
    response = render(request, "portal/track.html",
                      {"form": form, "error": error, "nav": "track"}, status=status)
    if status == 429:
        response["Retry-After"] = "3600"
    return response


def _proof(request: HttpRequest) -> cz.Proof | None:
    pk, petitioner = request.session.get(SESSION_KEY), request.session.get(PETITIONER_KEY)
    if not pk or not petitioner:
        return None
    return cz.proof_for(int(pk), int(petitioner))


# The controls of each act's form on portal/matter.html, by the name of the input an error is
# about ("" = the form as a whole: its first control). An act that fails is told in an error
# summary at the top of the page (focused, the count in the title) whose link moves to the
# control, and at the control itself (aria-invalid, aria-describedby) — WCAG 3.3.1, 1.3.1.
_REVIEW = {"": "review-reason", "reason": "review-reason", "late_reason": "review-late",
           "sms_code": "code-review"}
ACT_CONTROLS: dict[str, dict[str, str]] = {
    "rate_satisfied": {"": "rate-satisfied", "rating": "rate-satisfied",
                       "comment": "rate-comment", "sms_code": "code-rate"},
    "rate_unsatisfied": {"": "unsat-comment", "comment": "unsat-comment",
                         "sms_code": "code-rate-unsat"},
    "request_redo": {"": "code-redo", "sms_code": "code-redo"},
    "request_review": _REVIEW,
    "request_recheck": _REVIEW,
    "supplement": {"": "supplement-text", "text": "supplement-text",
                   "files": "supplement-files", "sms_code": "code-supplement"},
    "withdraw": {"": "withdraw-reason", "reason": "withdraw-reason",
                 "sms_code": "code-withdraw"},
}
# What the summary names: the act (an error about the whole request) or the field.
ACT_LABELS = {"rate_satisfied": gettext_noop("评价办理结果"), "rate_unsatisfied": gettext_noop("不满意"),
              "request_redo": gettext_noop("要求重新办理"), "request_review": gettext_noop("申请复查"),
              "request_recheck": gettext_noop("申请复核"), "supplement": gettext_noop("补充材料"),
              "withdraw": gettext_noop("撤回信访事项")}
FIELD_LABELS = {"sms_code": gettext_noop("短信验证码"), "comment": gettext_noop("意见"),
                "reason": gettext_noop("理由"), "late_reason": gettext_noop("逾期的正当理由"),
                "text": gettext_noop("补充说明"), "files": gettext_noop("材料")}


def act_problem(name: str, error: DomainError) -> tuple[Problem, bool]:
    """The summary's entry for a failed act and whether it is about one control's input
    (then that control is marked invalid), from the error's ``field`` (MissingFields: the first
    field missing)."""
    controls = ACT_CONTROLS.get(name, {})
    field = error.field or (error.fields[0] if isinstance(error, MissingFields) and error.fields
                            else "")
    if field not in controls:
        field = ""
    target = controls.get(field, "")
    label = FIELD_LABELS.get(field) if field and not isinstance(error, MissingFields) else None
    label = label or (ACT_LABELS.get(name, "") if not field else "")
    return Problem(gettext(error.message), gettext(label) if label else "", target), bool(field)


def _proven_matter(request: HttpRequest) -> Matter | None:
    proof = _proof(request)
    return proof.matter if proof is not None else None


def _context(matter: Matter, *, error: DomainError | None = None, failed: str = "",
             posted: Any = None, code_sent: dict[str, str] | None = None,
             acted: str = "") -> dict[str, Any]:
    """The matter page; after a post, ``acted`` is the act whose form was sent (its fields are
    filled in again with ``posted``), ``failed`` the act refused with ``error``."""
    events = (Event.objects.filter(matter=matter, public=True)
              .select_related("actor_body").order_by("at", "id"))
    steps = []
    for e in events:
        # Unit names only: staff names never reach the citizen.
        if e.actor_label == "信访人":
            who = gettext("信访人")
        elif e.actor_body is not None:
            who = e.actor_body.name
        else:
            who = gettext("系统") if e.actor_label == "系统" else ""
        # The stored label is the domain's Chinese action name: shown in the reader's language.
        steps.append({"at": e.at, "label": gettext(e.label), "who": who, "note": e.note})
    problems: list[Problem] = []
    invalid: list[str] = []
    if error is not None:
        problem, about_input = act_problem(failed, error)
        problems.append(problem)
        if about_input and problem.target:
            invalid.append(problem.target)
    documents = Document.objects.filter(matter=matter, to_petitioner=True).select_related("issued_by")
    state = st.State(matter.state)
    can = services.citizen_choices(matter) & CITIZEN_ACTIONS
    from xinfang.notify import services as notify  # the 通知设置 card (portal_notify)
    from xinfang.notify.planner import mask_email

    contact = notify.contact_for(matter)
    return {
        "contact": contact,
        "email_label": mask_email(contact.email) if contact.email else "",
        "matter": matter,
        "steps": steps,
        "documents": documents,
        "can": can,
        "error": error,
        "failed": failed,
        "acted": acted or failed,
        "problems": problems,
        "invalid": invalid,
        "state_label": gettext(st.STATE_LABELS[state]),
        "posted": posted or {},
        "code_sent": code_sent or {},
        "question": cz.open_question(matter) if state in st.OPEN_STATES else None,
        "can_supplement": state in st.OPEN_STATES,
        "xinfang_ratings": [(v, gettext(label)) for v, label in df.RATINGS.items()],
    }


def matter(request: HttpRequest) -> HttpResponse:
    m = _proven_matter(request)
    if m is None:
        return redirect("portal:track")
    return render(request, "portal/matter.html", _context(m))


@require_POST
def act(request: HttpRequest, name: str) -> HttpResponse:
    proof = _proof(request)
    if proof is None:
        return redirect("portal:track")
    m = proof.matter
    if name not in CITIZEN_ACTIONS and name != "supplement":
        raise Http404(gettext("未知的操作"))
    purpose = cz.purpose_of(name)
    if request.POST.get("send_code"):
        # "获取验证码" without JavaScript: text the code, show the page with what was typed.
        message, status = _send_act_code(request, proof, purpose)
        return render(request, "portal/matter.html", _context(
            m, posted=request.POST, code_sent={purpose: message} if status == 202 else {},
            error=None if status == 202 else cz.CodeRefused(message),
            failed="" if status == 202 else name, acted=name),
            status=200 if status == 202 else status)
    data: dict[str, Any] = {}
    for key in ("rating", "xinfang_rating", "comment", "reason", "late_reason"):
        value = request.POST.get(key, "").strip()
        if value:
            data[key] = value
    if name == "rate_unsatisfied":
        data["rating"] = Evaluation.Rating.UNSATISFIED.value
    code = request.POST.get("sms_code", "")
    try:
        for key, value in data.items():  # the limits of the staff forms and the API
            limit = df.FIELDS[key].max_length
            if limit and len(value) > limit:
                e = DomainError(gettext("“%(label)s”不能超过%(n)s字") % {
                    "label": gettext(df.FIELDS[key].label), "n": limit})
                e.status, e.field = 400, key
                raise e
        if name == "supplement":
            cz.supplement(proof, text=request.POST.get("text", ""),
                          files=request.FILES.getlist("files"), sms_code=code)
        else:
            cz.act(proof, name, data=data, sms_code=code)
    except DomainError as e:
        return render(request, "portal/matter.html",
                      _context(m, error=e, failed=name, posted=request.POST), status=e.status)
    from django.contrib import messages

    messages.success(request, gettext("已提交，感谢您的评价") if name.startswith("rate")
                     else gettext("已转原办理单位重新办理") if name == "request_redo"
                     else gettext("已撤回，事项办理终止") if name == "withdraw"
                     else gettext("补充材料已提交，办理单位可以看到") if name == "supplement"
                     else gettext("申请已提交"))
    return redirect("portal:matter")


def _send_act_code(request: HttpRequest, proof: cz.Proof, purpose: str) -> tuple[str, int]:
    try:
        phone = cz.send_act_code(proof, purpose, address=client_address(request))
    except DomainError as e:
        return e.message, e.status
    return gettext("验证码已发送至登记的手机 %(phone)s，10分钟内有效") % {"phone": phone}, 202


@require_POST
def act_code(request: HttpRequest, purpose: str) -> HttpResponse:
    """htmx "获取验证码" for one act: the status line under its code field."""
    proof = _proof(request)
    if proof is None:
        return HttpResponse(gettext("请先查询事项"), status=403)
    if purpose not in cz.PURPOSE_LABELS or purpose == "settle":
        raise Http404(gettext("未知的操作"))
    message, status = _send_act_code(request, proof, purpose)
    return render(request, "portal/_otp_status.html",
                  {"otp_message": message, "otp_error": status != 202},
                  status=200 if status == 202 else status)


def document(request: HttpRequest, doc_id: int) -> HttpResponse:
    from xinfang.documents import render_html

    m = _proven_matter(request)
    if m is None:
        return redirect("portal:track")
    doc = get_object_or_404(Document.objects.select_related("issued_by"), pk=doc_id,
                            matter_id=m.pk, to_petitioner=True)
    doc.matter = m
    response = HttpResponse(render_html(doc))
    response.csp_allow_inline_styles = True  # type: ignore[attr-defined]  # the A4 print CSS
    return response


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(PETITIONER_KEY, None)
    return redirect("portal:track")


# Registration keys → the portal form's field names.
_SUBMIT_FIELDS = {"petitioners.0.phone": "phone", "petitioners.0.id_number": "id_number",
                  "petitioners": "name", "sms_code": "code"}


def submit(request: HttpRequest) -> HttpResponse:
    """网上信访 (§17): the matter is registered at the 信访部门 covering the place (§21)."""
    import secrets

    from xinfang.org.models import Category, Division

    from .forms import PublicSubmitForm

    if request.method != "POST":
        initial, qr_body = _prefill(request)
        if qr_body is not None:
            initial["qr_body"] = str(qr_body.pk)
        form = PublicSubmitForm(initial={"token": secrets.token_urlsafe(16), **initial})
        return render(request, "portal/submit.html", {
            "form": form, "nav": "submit", "qr_body": qr_body,
            "via": "qr" if request.GET.get("via") == "qr" else ""})
    channel = "qr" if request.POST.get("via") == "qr" else "online"  # 码上办 vs 网上信访
    if request.POST.get("send_code"):
        # "获取验证码" without JavaScript: text the code, show the form again as it was typed.
        message, status = _send_code(request)
        form = PublicSubmitForm(initial=request.POST.dict())
        return render(request, "portal/submit.html", {
            "form": form, "nav": "submit", "via": "qr" if channel == "qr" else "",
            "otp_message": message, "otp_error": status != 200}, status=status)
    form = PublicSubmitForm(request.POST, request.FILES)
    if form.is_valid():
        v = form.cleaned_data
        sub = services.OnlineSubmission(
            channel=channel, name=v["name"], phone=v["phone"], id_number=v.get("id_number", ""),
            address=v.get("address", ""), title=v["title"], request=v["request"],
            content=v["content"], division=Division.objects.filter(code=v["division"]).first(),
            klass=v["klass"], accused_name=v.get("accused_name", ""),
            accused_body=Body.objects.filter(pk=v["accused_body"], active=True).first()
            if v.get("accused_body") else None,
            category=Category.objects.filter(pk=v["category"]).first() if v.get("category") else None,
            scanned_body=Body.objects.filter(pk=v["qr_body"], active=True).first()
            if channel == "qr" and v.get("qr_body") else None)
        try:
            # The hidden token makes a double submit (back button, slow network) one matter.
            done = services.submit_online(sub, idempotency_key=f"portal:{v['token']}",
                                          sms_code=v["code"])
        except services.ValidationFailed as e:
            for key, message in e.errors.items():
                field = _SUBMIT_FIELDS.get(key, key)
                form.add_error(field if field in form.fields else None, gettext(message))
        else:
            m = done.matter
            request.session.cycle_key()
            request.session[SESSION_KEY] = m.pk
            first = m.petitioners.order_by("id").values_list("pk", flat=True).first()
            if first is not None:
                request.session[PETITIONER_KEY] = first
            # Registered and durable; the files come after and may fail on their own.
            attach_error = ""
            if not done.replay:
                try:
                    attachments.add_attachments(m, v.get("files") or [], None,
                                                actor_label="信访人")
                except attachments.AttachmentError as e:
                    attach_error = e.message
            return render(request, "portal/receipt.html", {
                "matter": m, "nav": "submit", "attach_error": attach_error}, status=201)
    return render(request, "portal/submit.html", {
        "form": form, "nav": "submit", "via": "qr" if channel == "qr" else ""}, status=400)


def _send_code(request: HttpRequest) -> tuple[str, int]:
    """Text a one-time code to the phone in the form; the message to show and a status."""
    try:
        return otp.send_code_notice(request.POST.get("phone", ""),
                                    address=client_address(request)), 200
    except otp.OtpError as e:
        return e.message, 400


@require_POST
def send_code(request: HttpRequest) -> HttpResponse:
    """"获取验证码" by fetch (app.js): the status line under the code field."""
    message, status = _send_code(request)
    return render(request, "portal/_otp_status.html",
                  {"otp_message": message, "otp_error": status != 200}, status=status)


def _prefill(request: HttpRequest) -> tuple[dict[str, str], Body | None]:
    """码上办: ``?division=<code>`` or ``?body=<id>`` (a unit's QR code) pre-fill the place."""
    from xinfang.org.models import Division

    initial: dict[str, str] = {}
    body = None
    raw_body = request.GET.get("body", "")
    if raw_body.isdigit():
        body = Body.objects.filter(pk=int(raw_body), active=True).select_related("division").first()
    code = request.GET.get("division", "").strip()
    if code and Division.objects.filter(code=code).exists():
        initial["division"] = code
    elif body is not None:
        initial["division"] = body.division.code
    return initial, body
