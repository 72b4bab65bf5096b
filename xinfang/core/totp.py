"""The second factor: RFC 6238 TOTP devices of django-otp (issue 14 item 4).

One confirmed device per staff member: ``core.StaffTOTPDevice``, a django-otp device whose seed
is encrypted at rest (xinfang/core/models_otp.py; issue 14 item 13). Every door that lets a person in — the web
log-in, the admin (which sends its log-in to the web's) and the API token endpoint — calls
``check`` here, so the same rules hold everywhere:

- a code is good once: django-otp records the time step of the last accepted code
  (``last_t``) and refuses it, or any older one, again;
- wrong codes lock the device out: each failure doubles the wait (1, 2, 4 … s, django-otp's
  ``ThrottlingMixin``) and from ``LOCKOUT_AFTER`` failures on the device is locked for at
  least ``LOCKOUT_SECONDS``. The counter lives on the device row, so a correct password, another
  address or a flushed cache does not clear it; only a correct code (or an administrator
  removing the device) does;
- the check row-locks the device (two simultaneous requests cannot both use one code) and
  raises only after the transaction, so a failure is counted even though the caller refuses.

Enrolment keeps the pending secret on an unconfirmed device row, not in the session.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django_otp import login as otp_login
from django_otp.oath import TOTP

from .models import StaffTOTPDevice as TOTPDevice

DEVICE_NAME = "验证器"
LOCKOUT_AFTER = 10
LOCKOUT_SECONDS = 15 * 60

MSG_MISSING = gettext_noop("该账号已启用动态口令，请输入验证器应用中的6位数字。")
MSG_WRONG = gettext_noop("动态验证码不正确或已使用过，请输入验证器应用中新的6位数字。")
MSG_LOCKED = gettext_noop("动态验证码错误次数过多，已暂时锁定，请于 %(until)s 后再试。")
MSG_WAIT = gettext_noop("动态验证码输入错误，请稍候，于 %(until)s 后再试。")


class SecondFactorError(Exception):
    """A refused code. ``str()`` is the Chinese msgid; ``params`` fill its placeholders."""

    def __init__(self, msgid: str, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(msgid)
        self.msgid, self.code, self.params = msgid, code, params or {}

    def message(self) -> str:
        """Translated into the request's language, placeholders filled."""
        text = gettext(self.msgid)
        return text % self.params if self.params else text


def confirmed_device(user: Any) -> TOTPDevice | None:
    if user is None or not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("id").first()


def has_device(user: Any) -> bool:
    return confirmed_device(user) is not None


def _locked_until(device: TOTPDevice) -> datetime | None:
    """When a locked device may try again, or None when it may try now."""
    allowed, info = device.verify_is_allowed()
    until: datetime | None = None if allowed else (info or {}).get("locked_until")
    failures, last = device.throttling_failure_count, device.throttling_failure_timestamp
    if failures >= LOCKOUT_AFTER and last is not None:
        floor = last + timedelta(seconds=LOCKOUT_SECONDS)
        if floor > timezone.now():
            until = max(until, floor) if until else floor
    return until


def _locked_error(device: TOTPDevice, until: datetime) -> SecondFactorError:
    """Locked out (from LOCKOUT_AFTER failures on), or the short back-off after a wrong code."""
    params = {"until": timezone.localtime(until).strftime("%H:%M:%S")}
    if device.throttling_failure_count >= LOCKOUT_AFTER:
        return SecondFactorError(MSG_LOCKED, "otp_locked", params)
    return SecondFactorError(MSG_WAIT, "otp_wait", params)


def check(user: Any, code: str | None) -> TOTPDevice | None:
    """The user's confirmed device once ``code`` is right for it; None when the user has no
    second factor. Raises SecondFactorError (missing, wrong or reused code, locked out)."""
    if confirmed_device(user) is None:
        return None
    code = (code or "").strip().replace(" ", "")
    error: SecondFactorError | None = None
    with transaction.atomic():
        device = (TOTPDevice.objects.select_for_update()
                  .filter(user_id=user.pk, confirmed=True).order_by("id").first())
        if device is None:  # removed meanwhile
            return None
        until = _locked_until(device)
        if until is not None:
            error = _locked_error(device, until)
        elif not code:
            error = SecondFactorError(MSG_MISSING, "otp_required")
        elif not device.verify_token(code):  # counts the failure on the row (committed below)
            until = _locked_until(device)
            error = (_locked_error(device, until) if device.throttling_failure_count
                     >= LOCKOUT_AFTER and until else SecondFactorError(MSG_WRONG, "otp"))
    if error is not None:
        raise error
    return device


def mark_verified(request: HttpRequest, device: TOTPDevice) -> None:
    """The session of ``request.user`` now carries the second factor (django-otp's own key)."""
    otp_login(request, device)


# ---------------------------------------------------------------- enrolment


def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed device of an enrolment under way (its secret shown as a QR code)."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def verify_pending(device: TOTPDevice, code: str) -> bool:
    return bool(code) and bool(device.verify_token((code or "").strip().replace(" ", "")))


def secret_b32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


def current_code(device: TOTPDevice, at: float | None = None) -> str:
    """The code an authenticator shows now (the demo's `xinfang demo-otp`, tests)."""
    clock = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    clock.time = time.time() if at is None else at
    return str(clock.token()).zfill(device.digits)
