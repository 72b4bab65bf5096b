"""The one table core owns: the security store (issue 14 item 9), see ``xinfang.core.store``."""

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
