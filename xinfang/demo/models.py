"""The demo's marker: a database the demo seed wrote carries one row here."""

from __future__ import annotations

from django.db import models


class DemoMarker(models.Model):
    """Written by the demo seed (and the bench) before the first demo row.

    `xinfang seed --fresh` and `xinfang bench --reset` flush a database only when it is empty
    or carries this row, so a real database pointed at by mistake is never emptied.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        verbose_name = "演示数据库标记"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return f"demo database ({self.note or 'seed'}, {self.created_at:%Y-%m-%d})"
