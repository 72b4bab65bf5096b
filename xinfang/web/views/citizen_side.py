"""The matter page's side of the petitioner's acts after filing (issue 16 item 6): the unit
asks the petitioner for materials or an explanation (answered on the portal, 补充材料), and
records 息诉罢访 when the petitioner declares the matter settled — confirmed by a code texted
to the petitioner's mobile phone, or, where the petitioner has none, by the signed written
pledge, scanned and attached with its date."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.domain import states as st
from xinfang.domain.errors import DomainError
from xinfang.org.models import User
from xinfang.petitions import access, permissions
from xinfang.petitions.models import Event, Matter
from xinfang.petitions.services import citizen as cz

from ..forms import AttachmentsField
from .matter import done, matter_error, post_act

BEFORE_ACCEPTANCE = frozenset({st.State.REGISTERED, st.State.DISPATCHED, st.State.SIGNED,
                               st.State.OBJECTED})


class AskForm(forms.Form):
    question = forms.CharField(label=_("需要信访人补充的材料或说明的问题"), max_length=1000,
                               widget=forms.Textarea(attrs={"rows": 2}))


class SettleForm(forms.Form):
    """The 息诉罢访 record. Which proof the page asks for follows the petitioner's phone on file
    (``cz.settlement_by_sms``): the texted code, or — no mobile phone — the scanned pledge."""

    statement = forms.CharField(label=_("信访人的表示（时间、方式、内容）"), max_length=1000,
                                widget=forms.Textarea(attrs={"rows": 2}))
    sms_code = forms.CharField(label=_("短信验证码"), max_length=6, required=False)
    written_on = forms.DateField(label=_("书面承诺签署日期"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    pledge = AttachmentsField(label=_("书面息诉罢访承诺扫描件（信访人签字）"))


def context(user: User, matter: Matter, events: Iterable[Event]) -> dict[str, Any]:
    """What the matter page shows of the citizen's side, and the forms it offers (from the
    page's events; one query, for the petitioner's phone, when 息诉罢访 is offered)."""
    state = st.State(matter.state)
    ordered = sorted(events, key=lambda e: (e.at, e.pk))
    settled = next((e for e in reversed(ordered) if e.action == "record_settlement"), None)
    last = next((e for e in reversed(ordered) if e.action in ("ask_petitioner", "supplement")),
                None)
    question = last if last is not None and last.action == "ask_petitioner" else None
    settle_form = (SettleForm(prefix="settle") if settled is None
                   and state not in BEFORE_ACCEPTANCE
                   and permissions.may(user, "record_settlement", matter=matter) else None)
    return {
        "open_question": question if state in st.OPEN_STATES else None,
        "ask_form": AskForm(prefix="ask")
        if permissions.may(user, "ask_petitioner", matter=matter) else None,
        "settlement": settled,
        "settle_form": settle_form,
        # Asked only when the form is offered (the petitioner's phone is decrypted for it).
        "settle_by_sms": cz.settlement_by_sms(matter) if settle_form is not None else None,
    }


@login_required
@require_POST
def matter_ask(request: AuthedRequest, pk: int) -> HttpResponse:
    """请信访人补充材料 (§19 ¶1): shown on the petitioner's tracking page."""
    return post_act(
        request, pk, AskForm(request.POST, prefix="ask"),
        lambda f: gettext("请写明需要信访人补充的材料或说明的问题"),
        lambda m, d: cz.ask_petitioner(m, user=request.user, question=d["question"]),
        gettext("已请信访人补充材料"))


@login_required
@require_POST
def matter_settle_code(request: AuthedRequest, pk: int) -> HttpResponse:
    """Text the petitioner the code that confirms the 息诉罢访 declaration."""
    matter = access.get_matter_for_user(request.user, pk)
    try:
        phone = cz.send_settlement_code(matter, user=request.user)
    except DomainError as e:
        return matter_error(request, pk, None, e, e.status)
    return done(request, pk, gettext("确认码已发送至信访人登记的手机 %(phone)s，请信访人告知后填入")
                % {"phone": phone})


@login_required
@require_POST
def matter_settle(request: AuthedRequest, pk: int) -> HttpResponse:
    """登记息诉罢访 (京 §27 ¶2): confirmed by the petitioner's code, or — for a petitioner with
    no mobile phone — by the signed written pledge, scanned and attached."""
    matter = access.get_matter_for_user(request.user, pk)
    form = SettleForm(request.POST, request.FILES, prefix="settle")
    try:
        if not form.is_valid():
            raise _form_error(form)
        d = form.cleaned_data
        cz.record_settlement(matter, user=request.user, statement=d["statement"],
                             sms_code=d.get("sms_code") or "", written_on=d.get("written_on"),
                             pledge=d.get("pledge") or [])
    except DomainError as e:
        return matter_error(request, pk, None, e, e.status)
    return done(request, pk, gettext("已登记息诉罢访"))


def _form_error(form: SettleForm) -> DomainError:
    """The first of the form's errors, as the service's refusal (400, tied to its field)."""
    for name in ("pledge", "written_on", "sms_code"):
        if form.errors.get(name):
            return cz.SettlementRefused("；".join(str(e) for e in form.errors[name]), name)
    return cz.SettlementRefused(gettext("请记录信访人息诉罢访的表示"), "statement")
