"""`xinfang backup DIR` and `xinfang restore DIR`: the database and the uploaded files.

A backup is a folder: ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``) or
``database.sqlite3`` (SQLite: the online backup API), ``media.tar.gz`` (MEDIA_ROOT) and
``manifest.json`` (when, which engine, each file's SHA-256, the audit chain's row count).
The keys (``XINFANG_*_KEY``) and the audit anchor file are **not** in it: they are kept apart
(docs/operations.md), and after a restore ``xinfang audit verify`` checks the restored chain
against the anchors written outside the backup — a backup older than the newest anchor, or
one altered, fails that check.

Restore checks every file's SHA-256 first, then replaces the database (PostgreSQL:
``pg_restore --clean --if-exists``; SQLite: the backup API into the database file) and the
media folder (the previous one is kept beside it as ``media.before-restore-<time>``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

MANIFEST = "manifest.json"


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = settings.DATABASES["default"]
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432),
            "--username", str(db.get("USER") or "postgres"), "--dbname", str(db["NAME"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise BackupError(f"{cmd[0]} 失败（{r.returncode}）：{r.stderr.strip()[-2000:]}")


def backup(target: Path) -> dict[str, Any]:
    """Write a backup folder at ``target`` (which must not exist yet)."""
    from xinfang.audit.models import AuditLog

    if target.exists():
        raise BackupError(f"{target} 已存在，备份不会覆盖已有目录")
    target.mkdir(parents=True)
    vendor = connection.vendor
    if vendor == "postgresql":
        args, env = _pg_env()
        _run(["pg_dump", "--format=custom", "--no-owner", "--file",
              str(target / "database.dump"), *args], env)
        db_file = "database.dump"
    elif vendor == "sqlite":
        db_file = "database.sqlite3"
        dest = sqlite3.connect(target / db_file)
        try:
            connection.ensure_connection()
            connection.connection.backup(dest)
        finally:
            dest.close()
    else:
        raise BackupError(f"不支持的数据库：{vendor}")
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(target / "media.tar.gz", "w:gz") as tar:
        if media.is_dir():
            tar.add(media, arcname="media")
    manifest = {
        "created": timezone.now().isoformat(), "vendor": vendor,
        "audit_rows": AuditLog.objects.count(),
        "files": {name: _sha256(target / name) for name in (db_file, "media.tar.gz")},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                   encoding="utf-8")
    return manifest


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} 不是备份目录（缺少或无法读取 {MANIFEST}）") from exc
    for name, digest in manifest["files"].items():
        path = source / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"备份文件 {name} 缺失或已被改动（SHA-256 不符），拒绝恢复")
    return manifest


def restore(source: Path) -> dict[str, Any]:
    """Replace the database and the media folder with the backup at ``source``."""
    manifest = read_manifest(source)
    vendor = connection.vendor
    if manifest["vendor"] != vendor:
        raise BackupError(f"备份来自 {manifest['vendor']}，当前数据库是 {vendor}")
    connections.close_all()
    if vendor == "postgresql":
        args, env = _pg_env()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              *args, str(source / "database.dump")], env)
    else:
        src = sqlite3.connect(source / "database.sqlite3")
        try:
            connection.ensure_connection()
            src.backup(connection.connection)
        finally:
            src.close()
    media = Path(settings.MEDIA_ROOT)
    if media.exists():
        media.rename(media.with_name(
            f"{media.name}.before-restore-{timezone.now():%Y%m%d%H%M%S}"))
    with tarfile.open(source / "media.tar.gz", "r:gz") as tar:
        tmp = media.with_name(f"{media.name}.restoring")
        shutil.rmtree(tmp, ignore_errors=True)
        tar.extractall(tmp, filter="data")
        restored = tmp / "media"
        if restored.is_dir():
            restored.rename(media)
        else:
            media.mkdir(parents=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest
