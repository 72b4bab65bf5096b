"""Which database is this? The demo's own, an empty one, or somebody's real data.

The demo seed and the bench flush the database they are pointed at; they may do so only when
it is empty or carries the demo's marker (:class:`xinfang.demo.models.DemoMarker`).
"""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.core.management.base import CommandError

Kind = Literal["empty", "demo", "other"]

NOT_DEMO = (
    "该数据库中已有数据，但不是演示种子生成的（没有演示标记），拒绝清空或写入演示数据；"
    "请将 DATABASE_URL 指向一个空数据库。\n"
    "This database holds data the demo seed did not write (no demo marker): refusing to "
    "flush it or to seed into it. Point DATABASE_URL at an empty database."
)
PRODUCTION = (
    "生产模式（XINFANG_ENV=production）下不提供演示数据和公开密码的演示账号。\n"
    "The demo (its data and its accounts with a published password) is not available in "
    "production mode (XINFANG_ENV=production)."
)


def database_kind() -> Kind:
    from xinfang.audit.models import AuditLog
    from xinfang.org.models import Body, Division, User
    from xinfang.petitions.models import Matter

    from .models import DemoMarker

    if DemoMarker.objects.exists():
        return "demo"
    if any(m.objects.exists() for m in (User, Division, Body, Matter, AuditLog)):
        return "other"
    return "empty"


def refuse_production() -> None:
    if getattr(settings, "PRODUCTION", False):
        raise CommandError(PRODUCTION)


# The audit log's TRUNCATE guard (audit migration 0005), lifted only inside ``flush_demo``.
AUDIT_TRUNCATE_TRIGGER = "audit_auditlog_no_truncate"


def flush_demo() -> None:
    """Empty a database the demo or the bench wrote (``seed --fresh``, ``bench --reset``,
    ``bench-intake --reset``), on SQLite and PostgreSQL alike; refuse any other.

    On PostgreSQL the audit log refuses TRUNCATE for everyone (a trigger, audit 0005), so a
    plain ``flush`` fails there. Here, and only after the demo's marker was found in this
    database, the one TRUNCATE trigger is disabled, the tables flushed and the trigger enabled
    again — all in one transaction: the trigger is never off in a committed state (a failed
    flush rolls the ALTER back with it), ``ALTER TABLE`` holds the log's exclusive lock until
    COMMIT so nobody writes meanwhile, and a real deployment (no marker) never reaches it.
    The row triggers (UPDATE, DELETE) stay on throughout."""
    from django.core.management import call_command
    from django.db import connection, transaction

    if database_kind() != "demo":
        raise CommandError(NOT_DEMO)
    if connection.vendor != "postgresql":
        call_command("flush", interactive=False, verbosity=0)
        return
    from xinfang.audit.models import AuditLog

    table = AuditLog._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = %s "
                        "AND tgrelid = %s::regclass", [AUDIT_TRUNCATE_TRIGGER, table])
            row = cur.fetchone()
            on = row is not None and row[0] != "D"  # left as it was found
            if on:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cur.execute(f"ALTER TABLE {connection.ops.quote_name(table)} "
                            f"DISABLE TRIGGER {AUDIT_TRUNCATE_TRIGGER}")
        call_command("flush", interactive=False, verbosity=0)
        if on:
            with connection.cursor() as cur:
                cur.execute(f"ALTER TABLE {connection.ops.quote_name(table)} "
                            f"ENABLE TRIGGER {AUDIT_TRUNCATE_TRIGGER}")


def claim(note: str = "seed") -> None:
    """Mark the database as the demo's (before the first demo row is written)."""
    from .models import DemoMarker

    if not DemoMarker.objects.exists():
        DemoMarker.objects.create(note=note)
