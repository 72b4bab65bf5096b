"""Who must have a second factor, and the gate that holds a session until it is shown.

Policy (issue 14 item 4): the roles that can reveal a petitioner's identity — leaders,
信访干部 and administrators (``XINFANG_SECOND_FACTOR_ROLES``), and every superuser — must
log in with a TOTP code. ``XINFANG_REQUIRE_SECOND_FACTOR`` (default on) turns the enrolment
duty on; an account that HAS a confirmed device needs its code whatever the setting.

``SecondFactorMiddleware`` (after django-otp's ``OTPMiddleware``) holds a logged-in session
that lacks the factor:
- the account has a device but this session never showed a code (a session from before the
  device, or from any path that skipped the code): the session is ended and the person sent
  to log in again;
- the account must have a device and has none: every page but the enrolment page, log-out
  and the language switch sends them to enrolment; the API answers 403.
API calls authenticated by a token pass through: tokens are issued only after the factor.

``SecondFactorAdminSite``: ``/admin/`` lets in only a session that showed the factor, and its
log-in page is the web's own (same form, same code check, same lock-outs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext, gettext_noop

from . import totp

DEFAULT_ROLES = ("leader", "officer", "admin")
MSG_ENROL = gettext_noop("您的岗位可查看信访人身份信息，须先启用动态口令（第二重验证）才能继续使用系统。")
MSG_RELOGIN = gettext_noop("该账号已启用动态口令，请重新登录并输入验证码。")

# Reachable while enrolment is pending (names of URL patterns).
_ENROL_ALLOWED = ("account_security", "logout", "set_language")


def required_for(user: Any) -> bool:
    """Must this account have a second factor (before it may do anything)?"""
    if not getattr(settings, "XINFANG_REQUIRE_SECOND_FACTOR", True):
        return False
    roles = getattr(settings, "XINFANG_SECOND_FACTOR_ROLES", DEFAULT_ROLES)
    return bool(getattr(user, "is_superuser", False) or getattr(user, "role", None) in roles)


def session_verified(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not session_verified(user):
            held = self._hold(request, user)
            if held is not None:
                return held
        return self.get_response(request)

    def _hold(self, request: HttpRequest, user: Any) -> HttpResponse | None:
        path = request.path_info
        if path.startswith(settings.STATIC_URL):
            return None
        api = path.startswith("/api/")
        if totp.has_device(user):
            logout(request)
            if api:
                return JsonResponse({"detail": gettext(MSG_RELOGIN)}, status=403)
            return HttpResponseRedirect(
                f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        if not required_for(user):
            return None
        try:
            name = resolve(path).url_name
        except Resolver404:
            name = None
        if name in _ENROL_ALLOWED:
            return None
        if api:
            return JsonResponse({"detail": gettext(MSG_ENROL)}, status=403)
        return HttpResponseRedirect(reverse("account_security"))


class SecondFactorAdminSite(admin.AdminSite):
    """The admin behind the second factor; its log-in page is the staff log-in page."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and session_verified(request.user)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None
              ) -> HttpResponse:
        target = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('login')}?{urlencode({'next': target})}")
