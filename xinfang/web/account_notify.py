"""A staff member's notification preference (issue 16 item 1): each notice by e-mail as it
happens, one daily digest, or none; SMS as well. Written by ``notify.services.set_preference``
(audited)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinfang.core.http import AuthedRequest
from xinfang.domain.errors import DomainError
from xinfang.notify import services as notify
from xinfang.notify.models import StaffPreference


class PreferenceForm(forms.Form):
    mode = forms.ChoiceField(label=_("通知方式"), choices=StaffPreference.Mode.choices,
                             widget=forms.RadioSelect)
    sms = forms.BooleanField(label=_("同时发送短信"), required=False)


@login_required
def notifications(request: AuthedRequest) -> HttpResponse:
    pref = StaffPreference.objects.filter(user=request.user).first()
    initial = {"mode": pref.mode if pref else StaffPreference.Mode.EACH,
               "sms": pref.sms if pref else False}
    form = PreferenceForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                notify.set_preference(request.user, mode=form.cleaned_data["mode"],
                                      sms=form.cleaned_data["sms"])
            except DomainError as e:
                form.add_error(None, gettext(e.message))
            else:
                messages.success(request, gettext("通知方式已保存"))
                return redirect("account_notifications")
        status = 400
    return render(request, "web/account_notifications.html",
                  {"form": form, "email": request.user.email, "phone": bool(request.user.phone)},
                  status=status)
