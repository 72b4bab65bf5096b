"""Staff account security (issue 14 items 4–6): the second factor, the API tokens and the
password, each written through ``xinfang.audit.accounts`` (verify, save, audit row).

- ``security``: enrol a TOTP device (the secret lives on an unconfirmed device row until a
  code proves the phone has it; the session is then marked verified), turn it off where the
  role allows, list and revoke one's own API tokens.
- ``password_change``: Django's form and validators; the new password is saved by the audited
  service, which also revokes the API tokens; the session stays logged in.
- ``first_password``: the one-time link of a new account (``xinfang import-org --links``) sets
  its first password, audited; then the person logs in like everyone (and enrols the second
  factor first where the role requires it).
"""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from xinfang.audit import accounts
from xinfang.core import second_factor, totp
from xinfang.core.http import AuthedRequest
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import ApiToken, User

from .forms_auth import FirstPasswordForm, StaffPasswordChangeForm


def _act(request: AuthedRequest, user: User) -> str | None:
    """The POSTed act, done; None on success (a message is queued), else the error."""
    action, code = request.POST.get("action"), request.POST.get("code", "")
    try:
        if action == "enable" and not totp.has_device(user):
            device = totp.pending_device(user)
            accounts.enable_totp(user, device, code)
            totp.mark_verified(request, device)
            messages.success(request, gettext("已启用动态口令，下次登录需输入验证码。"))
        elif action == "disable" and totp.has_device(user):
            accounts.disable_totp(user, code)
            messages.success(request, gettext("已停用动态口令。"))
        elif action == "revoke":
            accounts.revoke_own_token(user, request.POST.get("key", ""))
            messages.success(request, gettext("已撤销接口令牌。"))
        elif action == "revoke_all":
            n = len(accounts.revoke_all_tokens(user))
            messages.success(request, gettext("已撤销全部接口令牌（%(n)d 个）。") % {"n": n})
        else:
            return gettext("无法完成该操作，请刷新页面后重试。")
    except GuardFailed as e:
        return gettext(str(e))
    return None


@login_required
@require_http_methods(["GET", "POST"])
def security(request: AuthedRequest) -> HttpResponse:
    user = request.user
    error = ""
    if request.method == "POST":
        error = _act(request, user) or ""
        if not error:
            return redirect("account_security")
    enabled = totp.has_device(user)
    ctx: dict[str, object] = {
        "error": error, "enabled": enabled,
        "required": second_factor.required_for(user),
        "tokens": ApiToken.objects.filter(user=user, expiry__gt=timezone.now()),
    }
    if not enabled:
        device = totp.pending_device(user)
        ctx.update(secret=totp.secret_b32(device),
                   qr=segno.make(device.config_url).svg_data_uri(scale=4))
    return render(request, "web/account_security.html", ctx, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = StaffPasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.change_password(user, form.cleaned_data["new_password1"])
        except ValidationError as e:
            form.add_error("new_password1", e)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, gettext("密码已修改。已撤销此前签发的全部接口令牌。"))
            return redirect("account_security")
    status = 400 if request.method == "POST" else 200
    return render(request, "web/password_change.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def first_password(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    try:
        user = accounts.first_password_user(uid, token)
    except GuardFailed as e:
        return render(request, "web/first_password.html", {"error": gettext(str(e))}, status=400)
    form = FirstPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.set_first_password(uid, token, form.cleaned_data["new_password1"])
        except ValidationError as e:
            form.add_error("new_password1", e)
        except GuardFailed as e:
            return render(request, "web/first_password.html", {"error": gettext(str(e))},
                          status=400)
        else:
            messages.success(request, gettext("密码已设置，请登录。"))
            return redirect("login")
    return render(request, "web/first_password.html", {"form": form, "account": user},
                  status=400 if request.method == "POST" else 200)
