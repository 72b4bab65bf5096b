"""Append-only, HMAC-chained audit log (issue 2 §8, issue 4, issue 14 item 10).

``chain`` names the chain a row belongs to. Today there is one ("main"); the format lets
writers be split over several chains later (one head per partition, each its own HMAC
chain, the verifier walking each), see docs/security.md "Integrity".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from xinfang.core.fastinsert import CompiledInsert


class AuditLog(CompiledInsert, models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=40)  # indexed in Meta (no LIKE copy on PostgreSQL)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=40)
    matter_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict)
    chain = models.CharField(max_length=16, default="main")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["id"]
        # Exact lookups only: as Meta index and constraint, PostgreSQL adds no
        # varchar_pattern_ops copy (``db_index``/``unique`` on a CharField would).
        indexes = [models.Index(fields=["action"], name="auditlog_action"),
                   models.Index(fields=["chain"], name="auditlog_chain")]
        constraints = [models.UniqueConstraint(fields=["hash"], name="auditlog_hash_unique")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """A chain's newest id and hash, so removing the last row is detected as well."""

    chain = models.CharField(max_length=16, default="main", unique=True)
    last_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
