"""Staff account security: turn the TOTP second factor on or off (issue 4)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from xinfang.audit import services as audit
from xinfang.core import totp

SESSION_KEY = "totp_pending_secret"


@login_required
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        if request.POST.get("action") == "enable" and not user.totp_enabled:
            secret = request.session.get(SESSION_KEY, "")
            if secret and totp.verify(secret, code):
                user.totp_secret, user.totp_enabled = secret, True
                user.save(update_fields=["totp_secret", "totp_enabled"])
                request.session.pop(SESSION_KEY, None)
                audit.record("totp_enable", actor=user, object_type="user", object_id=user.pk)
                messages.success(request, gettext("已启用动态口令，下次登录需输入验证码。"))
                return redirect("account_security")
            error = gettext("验证码不正确，请用验证器应用扫描二维码后输入当前的6位数字。")
        elif request.POST.get("action") == "disable" and user.totp_enabled:
            if totp.verify(user.totp_secret, code):
                user.totp_secret, user.totp_enabled = "", False
                user.save(update_fields=["totp_secret", "totp_enabled"])
                audit.record("totp_disable", actor=user, object_type="user", object_id=user.pk)
                messages.success(request, gettext("已停用动态口令。"))
                return redirect("account_security")
            error = gettext("验证码不正确，未停用动态口令。")
    ctx: dict[str, object] = {"error": error, "enabled": user.totp_enabled}
    if not user.totp_enabled:
        secret = request.session.get(SESSION_KEY) or totp.new_secret()
        request.session[SESSION_KEY] = secret
        uri = totp.provisioning_uri(secret, user.get_username())
        ctx.update(secret=secret, qr=segno.make(uri).svg_data_uri(scale=4))
    return render(request, "web/account_security.html", ctx, status=400 if error else 200)
