"""core's tables: the security store (issue 14 item 9, ``xinfang.core.store``) and the staff's
second-factor devices with their seed encrypted (``models_otp``)."""

from __future__ import annotations

from django.db import models


class StoreEntry(models.Model):
    """One lock-out counter, throttle history or pending one-time code, with its expiry.

    Rows leave only by expiry (a purge of expired rows) or by the code that owns them — never
    to make room, so a flood of new keys cannot push a lock-out or a pending code out.
    """

    key = models.CharField(max_length=250, primary_key=True)
    value = models.TextField()  # JSON
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "安全计数与验证码存储"

    def __str__(self) -> str:
        return self.key


# The second factor's device (its seed encrypted at rest): importing it registers the model.
from .models_otp import StaffTOTPDevice as StaffTOTPDevice  # noqa: E402
