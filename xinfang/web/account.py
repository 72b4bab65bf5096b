"""Staff account security: turn the TOTP second factor on or off (issue 4) through
``xinfang.audit.accounts``, which verifies the code, saves and writes the audit row."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from xinfang.audit import accounts
from xinfang.core import totp
from xinfang.domain.errors import GuardFailed

SESSION_KEY = "totp_pending_secret"


@login_required
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            if request.POST.get("action") == "enable" and not user.totp_enabled:
                accounts.enable_totp(user, request.session.get(SESSION_KEY, ""), code)
                request.session.pop(SESSION_KEY, None)
                messages.success(request, gettext("已启用动态口令，下次登录需输入验证码。"))
                return redirect("account_security")
            if request.POST.get("action") == "disable" and user.totp_enabled:
                accounts.disable_totp(user, code)
                messages.success(request, gettext("已停用动态口令。"))
                return redirect("account_security")
        except GuardFailed as e:
            error = gettext(str(e))
    ctx: dict[str, object] = {"error": error, "enabled": user.totp_enabled}
    if not user.totp_enabled:
        secret = request.session.get(SESSION_KEY) or totp.new_secret()
        request.session[SESSION_KEY] = secret
        uri = totp.provisioning_uri(secret, user.get_username())
        ctx.update(secret=secret, qr=segno.make(uri).svg_data_uri(scale=4))
    return render(request, "web/account_security.html", ctx, status=400 if error else 200)
