"""更正登记信息 (issue 16 item 4): the page's form; the use case is
``petitions.services.correction`` (the API's ``/corrections`` calls the same service).

The petitioners' identity is not put into the form (that would be a reveal): each field shows
the masked value as a placeholder and a blank field keeps what is on file.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinfang.core.http import AuthedRequest
from xinfang.core.i18n import label_choices
from xinfang.domain import idcard
from xinfang.domain import states as st
from xinfang.domain.errors import DomainError, GuardFailed
from xinfang.org.models import Body, Category, Division, User
from xinfang.petitions import access, permissions, services
from xinfang.petitions.models import Matter
from xinfang.petitions.services import correction as corr

from ..forms import body_choices, category_choices, choice_field, division_choices


class CorrectionForm(forms.Form):
    received_at = forms.DateTimeField(
        label=_("收到时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                   format="%Y-%m-%dT%H:%M"))
    klass = forms.ChoiceField(label=_("事项类别"), choices=label_choices(st.KLASS_LABELS))
    category = forms.TypedChoiceField(label=_("内容分类"), required=False, coerce=int,
                                      empty_value=None)
    division = forms.ChoiceField(label=_("问题属地"))
    reception_room = forms.CharField(label=_("接待场所"), required=False, max_length=60)
    postmark_on = forms.DateField(label=_("邮戳日期"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    source_doc_no = forms.CharField(label=_("来文文号"), required=False, max_length=64)
    source_body_name = forms.CharField(label=_("来文机关"), required=False, max_length=100)
    accused_name = forms.CharField(label=_("被反映人"), required=False, max_length=100,
                                   help_text=_("不填则保持不变"))
    accused_body = forms.TypedChoiceField(label=_("被反映单位"), required=False, coerce=int,
                                          empty_value=None)
    headcount = forms.IntegerField(label=_("信访人数"), min_value=1)
    reason = forms.CharField(label=_("更正理由"), max_length=corr.REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: User, matter: Matter, **kwargs: Any) -> None:
        m = matter
        details = m.channel_details or {}
        kwargs.setdefault("initial", {
            "received_at": timezone.localtime(m.received_at).replace(second=0, microsecond=0),
            "klass": m.klass, "category": m.category_id, "division": m.division_id,
            "reception_room": details.get("reception_room", ""),
            "postmark_on": details.get("postmark_on") or None,
            "source_doc_no": m.source_doc_no, "source_body_name": m.source_body_name,
            "accused_body": m.accused_body_id, "headcount": m.headcount,
        })
        super().__init__(*args, **kwargs)
        self.matter = m
        divisions = division_choices(user)
        if m.division_id not in {code for code, _ in divisions}:
            divisions = [(m.division_id, m.division.name), *divisions]
        choice_field(self, "division").choices = divisions
        choice_field(self, "category").choices = category_choices()
        choice_field(self, "accused_body").choices = [("", _("无")), *body_choices()]
        if m.accused_name:
            self.fields["accused_name"].widget.attrs["placeholder"] = idcard.mask_name(
                m.accused_name)
        self.people = list(m.petitioners.order_by("-is_lead", "pk"))
        for n, p in enumerate(self.people, start=1):
            shown = {"name": idcard.mask_name(p.name), "id_number": idcard.mask(p.id_number)
                     if p.id_number else "", "phone": idcard.mask_phone(p.phone)
                     if p.phone else "", "address": gettext("（已登记）") if p.address else ""}
            for key, label in corr.PETITIONER_FIELDS.items():
                f = forms.CharField(label=gettext("信访人%(n)s") % {"n": n} + gettext(label),
                                    required=False, max_length=200 if key == "address" else 100,
                                    help_text=_("不填则保持不变"))
                f.widget.attrs["placeholder"] = shown[key]
                f.widget.attrs["autocomplete"] = "off"
                self.fields[f"p{p.pk}_{key}"] = f

    def petitioner_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"p{p.pk}_{k}"] for k in corr.PETITIONER_FIELDS] for p in self.people]

    def correction(self) -> corr.Correction:
        d = self.cleaned_data
        values: dict[str, Any] = {}
        for name in self.changed_data:
            if name not in corr.MATTER_FIELDS:
                continue
            value = d.get(name)
            if name == "category":
                value = Category.objects.filter(pk=value).first() if value else None
            elif name == "division":
                value = Division.objects.filter(code=value).first()
            elif name == "accused_body":
                value = Body.objects.filter(pk=value).first() if value else None
            elif name == "accused_name" and not (value or "").strip():
                continue  # blank keeps the name on file
            values[name] = value
        people = {p.pk: {k: d.get(f"p{p.pk}_{k}") or "" for k in corr.PETITIONER_FIELDS}
                  for p in self.people}
        return corr.Correction(reason=d["reason"], matter=values,
                               petitioners={k: v for k, v in people.items() if any(v.values())})


@login_required
def matter_correct(request: AuthedRequest, pk: int) -> HttpResponse:
    m = access.get_matter_for_user(request.user, pk)
    status = 200
    error: DomainError | None = None
    if request.method == "POST":
        form = CorrectionForm(request.POST, user=request.user, matter=m)
        if form.is_valid():
            try:
                services.correct_registration(m, form.correction(), user=request.user)
            except services.ValidationFailed as e:
                for key, message in e.errors.items():
                    field = _form_field(key)
                    form.add_error(field if field in form.fields else None, message)
                status = 400
            except DomainError as e:
                error, status = e, e.status
            else:
                messages.success(request, gettext("登记信息已更正"))
                return redirect("matter", pk=m.pk)
        else:
            status = 400
    else:
        form = CorrectionForm(user=request.user, matter=m)
        if not services.may_correct(request.user, m):
            try:
                permissions.require(request.user, "correct_registration", matter=m)
                error = GuardFailed(corr.NOT_CORRECTABLE)
            except DomainError as e:
                error = e
            status = error.status
    told = corr.units_to_tell(m) if corr.stage(m) == "dispatched" else []
    missed = corr.unreached(m, told)
    return render(request, "web/correct.html", {
        "matter": m, "form": form, "error": error, "stage": corr.stage(m), "told": told,
        # Said before saving, as the note after it will say: who no notice can reach.
        "unreached": [(b, missed[b.pk]) for b in told if b.pk in missed],
    }, status=status)


def _form_field(key: str) -> str:
    """A service error key ("petitioners.12.phone") as the form's field name ("p12_phone")."""
    parts = key.split(".")
    if parts[0] == "petitioners" and len(parts) == 3:
        return f"p{parts[1]}_{parts[2]}"
    return key
