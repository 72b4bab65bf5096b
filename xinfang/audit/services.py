"""Write and verify the hash-chained audit log.

Each row's hash covers its content and the previous row's hash; AuditHead keeps the last
id and hash so deleting the newest row is detected too. Writers serialise on one lock
(PostgreSQL advisory lock; SQLite transactions are IMMEDIATE, see settings).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditHead, AuditLog

GENESIS = "0" * 64
_LOCK_ID = 7_240_001


def _digest(prev: str, row: dict[str, Any]) -> str:
    payload = json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + payload).encode()).hexdigest()


def _content(log: AuditLog) -> dict[str, Any]:
    return {
        "id": log.pk,
        "at": log.at.isoformat(),
        "actor": log.actor_id,
        "actor_label": log.actor_label,
        "action": log.action,
        "object_type": log.object_type,
        "object_id": log.object_id,
        "matter_id": log.matter_id,
        "data": log.data,
    }


def record(
    action: str,
    *,
    actor: Any = None,
    actor_label: str = "",
    object_type: str,
    object_id: object,
    matter_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one row. Must run inside the caller's transaction (one write, one audit row)."""
    # savepoint=False: callers already hold a transaction; this is one more write in it.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditHead.objects.create(pk=1, last_id=0, last_hash=GENESIS)
        log = AuditLog(
            id=head.last_id + 1,
            at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=actor_label or (str(actor) if getattr(actor, "pk", None) else ""),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            matter_id=matter_id,
            data=json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)),
            prev_hash=head.last_hash,
        )
        log.hash = _digest(log.prev_hash, _content(log))
        log.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(last_id=log.pk, last_hash=log.hash)
        return log


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str
    bad_id: int | None = None


def verify(batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; name the first row that was edited, inserted or removed."""
    prev = GENESIS
    expected_id = 1
    checked = 0
    last_id = 0
    qs = AuditLog.objects.order_by("id")
    for log in qs.iterator(chunk_size=batch):
        if log.pk != expected_id:
            return VerifyResult(False, checked, f"审计记录 #{expected_id} 缺失（被删除）", expected_id)
        if log.prev_hash != prev:
            return VerifyResult(False, checked, f"审计记录 #{log.pk} 的前序哈希不符（链被破坏）", log.pk)
        if _digest(prev, _content(log)) != log.hash:
            return VerifyResult(False, checked, f"审计记录 #{log.pk} 内容被篡改", log.pk)
        prev = log.hash
        last_id = log.pk
        expected_id += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_id != last_id or head.last_hash != prev):
        missing = last_id + 1
        return VerifyResult(False, checked, f"审计记录 #{missing} 缺失（链尾被删除）", missing)
    return VerifyResult(True, checked, f"审计链完整，共校验 {checked} 条记录")
