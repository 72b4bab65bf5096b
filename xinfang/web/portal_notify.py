"""The portal's 通知设置 (issue 16 item 1): SMS off/on for the matter, an e-mail address given
with consent and confirmed by a link. The matter is the one the session proved (query code and
phone, ``portal.track``); every change goes through ``xinfang.notify.services``."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from xinfang.domain.errors import DomainError
from xinfang.notify import services as notify
from xinfang.notify.planner import mask_email

from .portal import _proven_matter


@require_POST
def sms(request: HttpRequest) -> HttpResponse:
    m = _proven_matter(request)
    if m is None:
        return redirect("portal:track")
    opt_out = request.POST.get("opt_out") == "1"
    notify.set_sms(m, opt_out=opt_out)
    messages.success(request, gettext("本事项不再发送短信通知") if opt_out
                     else gettext("已恢复本事项的短信通知"))
    return redirect("portal:matter")


@require_POST
def email(request: HttpRequest) -> HttpResponse:
    m = _proven_matter(request)
    if m is None:
        return redirect("portal:track")
    if request.POST.get("remove") == "1":
        notify.remove_email(m)
        messages.success(request, gettext("已取消邮件通知"))
        return redirect("portal:matter")
    address = request.POST.get("email", "")
    try:
        notify.set_email(m, address=address, consent=request.POST.get("consent") == "1")
    except DomainError as e:
        messages.error(request, gettext(e.message))
        return redirect("portal:matter")
    messages.success(request, gettext("确认邮件已发送至 %(email)s，请打开邮件中的链接完成确认")
                     % {"email": mask_email(address.strip())})
    return redirect("portal:matter")


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    m = notify.confirm_email(token)
    return render(request, "portal/notify_confirmed.html", {"matter": m, "nav": "track"},
                  status=200 if m is not None else 400)
