"""Append-only, hash-chained audit log (issue 2 §8, issue 4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=40)
    matter_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The chain's newest id and hash, so removing the last row is detected as well."""

    last_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
