"""登记 (§23 ¶1, staff register at their own body) and its htmx 查重 panel (§19 ¶3)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.domain import idcard
from xinfang.org.models import Body, Category, Division
from xinfang.petitions import attachments, services

from ..desk import require_registrar
from ..forms import MAX_PETITIONER_ROWS, RegistrationForm


def _build_registration(form: RegistrationForm) -> tuple[services.Registration, list[int]]:
    """The form as a services.Registration; also the form row of each petitioner."""
    d = form.cleaned_data
    rows: list[int] = []
    petitioners: list[services.PetitionerIn] = []
    # 集体访 (a visit) and 联名信 (a letter): several petitioners, the rows are their
    # representatives or signatories; each flag counts for its own channel only.
    collective = ((d.get("channel") == "visit" and bool(d.get("is_collective")))
                  or (d.get("channel") == "letter" and bool(d.get("is_joint_letter"))))
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
            "joint_letter": "1" if d.get("channel") == "letter" and d.get("is_joint_letter")
            else "",
        },  # the caller's number is personal data: it goes to the encrypted petitioner phone
        accused_body=accused, headcount=d.get("headcount") or 1, collective=collective,
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


@login_required
def register(request: AuthedRequest) -> HttpResponse:
    require_registrar(request)
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
            # The officer's answer on the 查重 panel; without one the service links the same
            # petitioner's same matter itself (§19 ¶3).
            intel.apply_panel_choice(request.user, reg, request.POST.get("same_matter"))
            holder = request.user.body
            assert holder is not None  # _require_registrar refused a user of no body
            try:
                matter = services.register(reg, holder=holder, user=request.user)
            except services.ValidationFailed as e:
                _attach_errors(form, e.errors, rows)
            else:
                from django.contrib import messages

                messages.success(request, gettext(
                    "已登记，信访件编号 %(number)s，查询码 %(code)s"
                    "（请告知信访人，凭查询码和手机号查询进度，§21 ¶2）")
                    % {"number": matter.number, "code": matter.query_code})
                from .documents import remember_receipt

                remember_receipt(request, matter.pk)
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
def register_repeats(request: AuthedRequest) -> HttpResponse:
    """htmx 查重 panel: earlier matters of the same petitioner or about the same matter
    (§19 ¶3), through the read gate: one the user may not open is shown masked (§30 ¶3)."""
    from xinfang.petitions import intel  # issue 5: one hint use case for panel and registration

    require_registrar(request)
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
    cat = request.POST.get("category", "").strip()
    category = Category.objects.filter(pk=int(cat)).first() if cat.isdigit() else None
    hints = intel.repeat_hints(request.user, petitioners, request.POST.get("title", ""),
                               request.POST.get("content", ""), division, accused_body,
                               category=category, channel=request.POST.get("channel", ""),
                               klass=request.POST.get("klass", ""))
    return render(request, "web/_repeats.html", {
        "hints": hints, "same_selected": request.POST.get("same_matter", "")})
