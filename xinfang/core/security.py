"""Security hardening: Content-Security-Policy header and log-in lock-out.

- ``ContentSecurityPolicyMiddleware``: pages load scripts and styles from /static only (htmx
  is served locally), nothing may frame them. A view that needs inline styles (the Swagger UI
  page) sets ``response.csp_allow_inline_styles = True``; a view may also set its own header.
- ``LockoutBackend``: after 5 failed log-ins for one username from one address, that pair is
  refused for 15 minutes, even with the right password. Counting lives in the security store
  (``xinfang.core.store``: shared by every worker, never evicted by a flood).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from . import store

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
CSP_INLINE_STYLES = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            inline = getattr(response, "csp_allow_inline_styles", False)
            response["Content-Security-Policy"] = CSP_INLINE_STYLES if inline else CSP
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


LOCKOUT_ATTEMPTS = 5
LOCKOUT_SECONDS = 15 * 60
LOCKOUT_MESSAGE = "登录失败次数过多，请15分钟后再试"


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return "-"
    return str(getattr(request, "META", {}).get("REMOTE_ADDR") or "-")


def _key(username: str, address: str) -> str:
    norm = (username or "").strip().lower()
    digest = hashlib.sha256(f"{norm}\x00{address}".encode()).hexdigest()[:32]
    return f"xinfang:login-fail:{digest}"


class LoginLocked(ValidationError):
    """Raised out of authenticate(): AuthenticationForm and DRF's token serializer both show
    the message as a form error (a plain ``None`` would only say "wrong password")."""


class LockoutBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        if username is None:
            username = kwargs.get("username", "")
        key = _key(username or "", client_address(request))
        if store.count(key) >= LOCKOUT_ATTEMPTS:
            raise LoginLocked(LOCKOUT_MESSAGE, code="locked")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            store.hit(key, LOCKOUT_SECONDS)
            store.security_store().touch(key, LOCKOUT_SECONDS)  # 15 minutes from the last failure
        else:
            store.forget(key)
        return user
