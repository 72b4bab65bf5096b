"""Anchors: each chain's head (id, hash, time) appended to a file outside the database.

Someone who holds both the database and the audit key could still rewrite the chain and
re-seal it; the anchors written before the rewrite then disagree with it, and
``xinfang audit verify`` says so. The file (``settings.XINFANG_AUDIT_ANCHOR_FILE``, default
``var/audit-anchors.jsonl``) is opened for appending only; production should put it where the
application cannot rewrite it (``chattr +a``, a separate volume or a log shipper that copies
each line off the host) — docs/security.md "Integrity". Each line also carries an HMAC under
the audit key, so a line forged without the key is refused.

``write_anchor`` runs from ``xinfang audit anchor``, the sweep loop after every sweep, and
is printed on the monthly bulletin.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from .models import AuditHead


class AnchorError(ValueError):
    pass


def anchor_path() -> Path:
    return Path(settings.XINFANG_AUDIT_ANCHOR_FILE)


def _mac(entry: dict[str, Any]) -> str:
    body = json.dumps({k: entry[k] for k in ("chain", "id", "hash", "at")}, sort_keys=True)
    return hmac.new(settings.AUDIT_KEY.encode(), ("anchor:" + body).encode(),
                    hashlib.sha256).hexdigest()


def read_anchors(path: Path | None = None) -> list[dict[str, Any]]:
    """Every anchor in the file, oldest first; AnchorError names a line that is not genuine."""
    path = path or anchor_path()
    if not path.exists():
        return []
    out: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                genuine = hmac.compare_digest(str(entry.get("mac", "")), _mac(entry))
            except (ValueError, KeyError, TypeError):
                genuine = False
            if not genuine:
                raise AnchorError(f"锚点文件 {path} 第 {n} 行无效（被篡改或非本系统写入）")
            out.append(entry)
    return out


def latest() -> dict[str, Any] | None:
    """The newest anchor of the default chain (for the monthly bulletin), or None."""
    try:
        entries = [a for a in read_anchors() if a["chain"] == "main"]
    except AnchorError:
        return None
    return entries[-1] if entries else None


def write_anchor(path: Path | None = None) -> list[dict[str, Any]]:
    """Append each chain's head unless the newest anchor already records it; the new lines."""
    path = path or anchor_path()
    try:
        known = {(a["chain"], a["id"]) for a in read_anchors(path)}
    except AnchorError:
        known = set()  # still append: a damaged file must not stop new anchors
    now = timezone.now().isoformat(timespec="seconds")
    lines = []
    for head in AuditHead.objects.order_by("chain"):
        if head.last_id == 0 or (head.chain, head.last_id) in known:
            continue
        entry: dict[str, Any] = {"chain": head.chain, "id": head.last_id, "hash": head.last_hash,
                                 "at": now}
        entry["mac"] = _mac(entry)
        lines.append(entry)
    if lines:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, "".join(json.dumps(e, ensure_ascii=False) + "\n"
                                 for e in lines).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    return lines
