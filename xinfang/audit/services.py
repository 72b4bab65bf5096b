"""Write and verify the HMAC-chained audit log (issue 14 item 10).

Each row's ``hash`` is HMAC-SHA256, keyed with ``settings.AUDIT_KEY`` (``XINFANG_AUDIT_KEY`` or
``_FILE``; in development a key file in var/ — never in the database), over the previous
row's hash and the row's content. Without the key nobody can recompute the chain after an
edit: the unkeyed SHA-256 chain of before could be rewritten and re-sealed by anyone with
the database. ``AuditHead`` keeps each chain's last id and hash so deleting the newest row is
detected too, and anchors (``anchors.write_anchor``: the head written to an append-only file
outside the database, periodically) catch a rewrite by someone who has the key as well.

Writers serialise on one lock per chain (PostgreSQL: the head's row lock, and an advisory
lock while a chain has no head yet; SQLite transactions are IMMEDIATE, see settings). On PostgreSQL a trigger refuses UPDATE,
DELETE and TRUNCATE of the log (migration 0005).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditHead, AuditLog

GENESIS = "0" * 64
# Issue 14 item 13: an audit row names people by stable reference (a user's or petitioner's
# id), never by personal data or a blind-index value (a key rotation must not touch the
# chain). Values under these keys are written as "***"; identity-like numbers in any other
# string (a phone, an ID number typed into a reason) as "（依法保密）".
PERSONAL_KEYS = frozenset({
    "phone", "id_number", "id_card", "idcard", "mobile", "tel", "address", "q", "keyword",
    "phone_index", "id_index", "petitioner_name", "accused_name", "sms_code",
    "query_code", "otp", "password", "secret", "token",
})
HIDDEN = "***"


def personal_free(value: Any) -> Any:
    """``value`` (an audit row's data) without personal data: see ``PERSONAL_KEYS``."""
    from xinfang.domain import redact

    if isinstance(value, dict):
        # A scalar under a personal key is hidden; a structure (an admin edit's
        # {"changed": true}) is kept and cleaned itself.
        return {k: (HIDDEN if str(k).lower() in PERSONAL_KEYS
                    and not isinstance(v, dict | list | tuple | bool) and v not in ("", None)
                    else personal_free(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [personal_free(v) for v in value]
    if isinstance(value, str):
        return redact.scrub_text(value)
    return value
DEFAULT_CHAIN = "main"
_LOCK_ID = 7_240_001


def _payload(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def seal(prev: str, row: dict[str, Any], key: str | None = None) -> str:
    """The keyed hash of one row: HMAC-SHA256(key, prev ‖ canonical JSON of the row)."""
    secret = (key if key is not None else settings.AUDIT_KEY).encode()
    return hmac.new(secret, (prev + _payload(row)).encode(), hashlib.sha256).hexdigest()


def legacy_digest(prev: str, row: dict[str, Any]) -> str:
    """The unkeyed SHA-256 of the chain before issue 14 (read once, by the re-seal)."""
    return hashlib.sha256((prev + _payload(row)).encode()).hexdigest()


def content(log: Any, *, with_chain: bool = True) -> dict[str, Any]:
    row = {
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
    if with_chain:
        row["chain"] = log.chain
    return row


# The chain's head, locked until the writer's commit (SQLite: BEGIN IMMEDIATE holds the lock).
_HEAD_SQL = {
    False: "SELECT id, last_id, last_hash FROM audit_audithead WHERE chain = %s",
    True: "SELECT id, last_id, last_hash FROM audit_audithead WHERE chain = %s FOR UPDATE",
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
        # Plain SQL for the head (read and move on every write of the system: the ORM's
        # compiling of the two statements cost more than running them, issue 19 item 1).
        # The head's row lock serialises the writers; only a chain without a head yet (its
        # first row) needs the advisory lock, so that two first writers create one head.
        pg = connection.vendor == "postgresql"
        with connection.cursor() as cur:
            cur.execute(_HEAD_SQL[pg], [DEFAULT_CHAIN])
            found = cur.fetchone()
            if found is None and pg:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_ID])
                cur.execute(_HEAD_SQL[pg], [DEFAULT_CHAIN])
                found = cur.fetchone()
        if found is None:
            h = AuditHead.objects.create(chain=DEFAULT_CHAIN, last_id=0, last_hash=GENESIS)
            found = (h.pk, h.last_id, h.last_hash)
        head_pk, last_id, last_hash = found
        log = AuditLog(
            id=last_id + 1,
            at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=actor_label or (str(actor) if getattr(actor, "pk", None) else ""),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            matter_id=matter_id,
            data=personal_free(json.loads(json.dumps(data or {}, ensure_ascii=False,
                                                     default=str))),
            chain=DEFAULT_CHAIN,
            prev_hash=last_hash,
        )
        log.hash = seal(log.prev_hash, content(log))
        log.save(force_insert=True)
        with connection.cursor() as cur:
            cur.execute("UPDATE audit_audithead SET last_id = %s, last_hash = %s WHERE id = %s",
                        [log.pk, log.hash, head_pk])
        return log


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    message: str
    bad_id: int | None = None


def _chains() -> list[str]:
    names = set(AuditHead.objects.values_list("chain", flat=True))
    names |= set(AuditLog.objects.values_list("chain", flat=True).distinct())
    return sorted(names) or [DEFAULT_CHAIN]


def _rows(chain: str, batch: int) -> Iterator[AuditLog]:
    return AuditLog.objects.filter(chain=chain).order_by("id").iterator(chunk_size=batch)


def verify(batch: int = 5000, *, anchors: list[dict[str, Any]] | None = None) -> VerifyResult:
    """Walk every chain in id order with the key, then compare with the anchors; name the
    first row that was edited, inserted or removed. ``anchors``: the anchor file's entries
    (``anchors.read_anchors()``); None checks the chain alone."""
    checked = 0
    for chain in _chains():
        expected: dict[int, dict[str, Any]] = {}
        for a in anchors or []:
            if a["chain"] == chain:
                expected.setdefault(int(a["id"]), a)
        prev = GENESIS
        expected_id = 1
        last_id = 0
        for log in _rows(chain, batch):
            if chain == DEFAULT_CHAIN and log.pk != expected_id:  # ids run 1, 2, 3 … here
                return VerifyResult(False, checked, f"审计记录 #{expected_id} 缺失（被删除）",
                                    expected_id)
            if log.prev_hash != prev:
                return VerifyResult(False, checked,
                                    f"审计记录 #{log.pk} 的前序哈希不符（链被破坏）", log.pk)
            if not hmac.compare_digest(seal(prev, content(log)), log.hash):
                return VerifyResult(False, checked,
                                    f"审计记录 #{log.pk} 内容被篡改（或审计密钥不符）", log.pk)
            anchor = expected.pop(log.pk, None)
            if anchor is not None and anchor["hash"] != log.hash:
                return VerifyResult(
                    False, checked,
                    f"审计记录 #{log.pk} 与 {anchor['at']} 的锚点不符（链在此前被改写并重新封存）",
                    log.pk)
            prev = log.hash
            last_id = log.pk
            expected_id += 1
            checked += 1
        head = AuditHead.objects.filter(chain=chain).first()
        if head is not None and (head.last_id != last_id or head.last_hash != prev):
            missing = last_id + 1
            return VerifyResult(False, checked, f"审计记录 #{missing} 缺失（链尾被删除）", missing)
        if expected:  # anchored rows beyond the end of the chain: the tail was cut
            first = min(expected)
            return VerifyResult(
                False, checked,
                f"审计记录 #{first} 缺失（{expected[first]['at']} 的锚点记录了它，链尾被删除）",
                first)
    note = f"，与 {len(anchors)} 个锚点一致" if anchors else ""
    return VerifyResult(True, checked, f"审计链完整，共校验 {checked} 条记录{note}")


def reseal(*, from_legacy: bool) -> int:
    """Re-seal every row under the key, once, in one transaction (the chain of before
    issue 14 was unkeyed SHA-256). With ``from_legacy`` the old chain is verified first and a
    broken one is refused: re-sealing must not launder an edit. Returns the rows sealed."""
    with transaction.atomic():
        heads = {h.chain: h for h in AuditHead.objects.select_for_update()}
        n = 0
        for chain in _chains():
            prev_old = prev_new = GENESIS
            for log in _rows(chain, 5000):
                if from_legacy:
                    if (log.prev_hash != prev_old
                            or legacy_digest(prev_old, content(log, with_chain=False)) != log.hash):
                        raise ValueError(f"旧审计链在 #{log.pk} 处已不完整，拒绝重新封存")
                    prev_old = log.hash
                new = seal(prev_new, content(log))
                AuditLog.objects.filter(pk=log.pk).update(prev_hash=prev_new, hash=new)
                prev_new = new
                n += 1
            head = heads.get(chain)
            if head is not None:
                AuditHead.objects.filter(pk=head.pk).update(last_hash=prev_new)
        return n
