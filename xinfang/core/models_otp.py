"""The staff's second factor: an RFC 6238 TOTP device whose seed is encrypted at rest.

django-otp's own ``otp_totp.TOTPDevice`` keeps the seed in plain hex, so a database dump
(a backup, a DBA, a stolen disk) could compute every code and the second factor would fall
with the password hashes. django-otp is a framework of device plugins: "a django-otp plugin is
defined as a Django app that includes at least one model derived from
``django_otp.models.Device``. All Device-derived model objects will be detected by the
framework" (docs, *Extending Django-OTP*). This is such a device, in the ``core`` app: the same
fields and algorithm as ``TOTPDevice`` (``django_otp.oath.TOTP``, ``last_t`` against reuse,
``ThrottlingMixin`` against guessing, django-otp's ``OTP_TOTP_*`` settings), with ``key`` an
:class:`~xinfang.core.crypto.EncryptedTextField` (Fernet under the field key, like the
petitioners' identities; rotated by ``xinfang rotate-field-key`` through the registry).
Migration ``core/0002_staff_totp_device`` moved the existing devices here, same seed, and
deleted them from django-otp's table. Issue 14 items 4 and 13; docs/security.md.
"""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import Error as BinasciiError
from binascii import unhexlify
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import hex_validator, random_hex

from .crypto import EncryptedTextField


def default_key() -> str:
    return str(random_hex(20))


def key_validator(value: str) -> None:
    hex_validator()(value)


class StaffTOTPDevice(TimestampMixin, ThrottlingMixin, Device):  # type: ignore[misc]  # django-otp: no types
    """One staff member's authenticator (xinfang.core.totp uses it at every door)."""

    key = EncryptedTextField(_("密钥"), validators=[key_validator], default=default_key)
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)  # the time step of the last accepted code

    # django-otp's DeviceManager (untyped), typed for the callers.
    objects: ClassVar[models.Manager[StaffTOTPDevice]]

    class Meta(Device.Meta):  # type: ignore[misc]  # django-otp: no types
        verbose_name = verbose_name_plural = _("动态口令验证器")

    @property
    def bin_key(self) -> bytes:
        """The seed; ValueError when the stored value does not decrypt to hex (wrong key)."""
        try:
            return unhexlify(str(self.key).encode())
        except BinasciiError as exc:
            raise ValueError("TOTP seed does not decrypt under the field key") from exc

    def totp(self, at: float | None = None) -> TOTP:
        clock = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        clock.time = time.time() if at is None else at
        return clock

    def verify_token(self, token: Any) -> bool:
        """django-otp's TOTP check: a code of a later time step than the last one accepted,
        within ``tolerance`` steps; a failure is counted (committed) on the row, a success
        clears the count. A seed that does not decrypt verifies nothing (fails closed)."""
        verify_allowed, _info = self.verify_is_allowed()
        if not verify_allowed:
            return False
        verified = False
        try:
            code = int(token)
            clock = self.totp()
        except (TypeError, ValueError):
            pass
        else:
            verified = bool(clock.verify(code, self.tolerance, self.last_t + 1))
            if verified:
                self.last_t = clock.t()
                if getattr(settings, "OTP_TOTP_SYNC", True):
                    self.drift = clock.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    @property
    def config_url(self) -> str:
        """The otpauth:// URL an authenticator app scans (Key Uri Format)."""
        label = str(self.user.get_username())
        params = urlencode({"secret": b32encode(self.bin_key), "algorithm": "SHA1",
                            "digits": self.digits, "period": self.step})
        issuer = getattr(settings, "OTP_TOTP_ISSUER", None)
        if callable(issuer):
            issuer = issuer(self)
        if isinstance(issuer, str) and issuer:
            issuer = issuer.replace(":", "")
            label = f"{issuer}:{label}"
            params += f"&issuer={quote(issuer)}"
        return f"otpauth://totp/{quote(label)}?{params}"
