"""`xinfang backup` → wipe → `xinfang restore`: the matters, the audit chain and the uploaded
files come back, and the restored chain is checked against the anchor file kept outside the
backup — so restoring a backup older than the newest anchor is caught."""

from __future__ import annotations

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.conftest import sh
from tests.scenario import register
from xinfang.audit.models import AuditLog
from xinfang.petitions.models import Matter


def _wipe() -> None:
    """The disaster: every table gone."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP SCHEMA public CASCADE")
            cur.execute("CREATE SCHEMA public")
        else:
            cur.execute("PRAGMA foreign_keys = OFF")
            tables = [r[0] for r in cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'").fetchall()]
            for table in tables:
                # IF EXISTS: dropping a full-text table drops its shadow tables with it.
                cur.execute(f'DROP TABLE IF EXISTS "{table}"')
            cur.execute("PRAGMA foreign_keys = ON")


@pytest.fixture
def files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.XINFANG_AUDIT_ANCHOR_FILE = str(tmp_path / "elsewhere" / "anchors.jsonl")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "media" / "attachments").mkdir(parents=True)
    (tmp_path / "media" / "attachments" / "来信.pdf").write_bytes(b"%PDF-1.4 letter")
    return tmp_path


def test_backup_wipe_restore_brings_everything_back_and_verifies_against_the_anchor(
        transactional_db, county, files, capsys):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        first = register(county, sh(2026, 3, 2))
    call_command("audit", "anchor")
    rows = AuditLog.objects.count()
    call_command("backup", str(files / "bk"))
    _wipe()
    (files / "media" / "attachments" / "来信.pdf").unlink()
    capsys.readouterr()

    call_command("restore", str(files / "bk"), "--yes")
    out = capsys.readouterr().out
    assert "已恢复" in out
    assert Matter.objects.get(pk=first.pk).title == first.title
    assert Matter.objects.get(pk=first.pk).petitioners.get().name == "王大明"  # decrypts
    assert AuditLog.objects.count() == rows
    assert (files / "media" / "attachments" / "来信.pdf").read_bytes() == b"%PDF-1.4 letter"
    call_command("audit", "verify")  # exits 1 (CommandError) on any break


def test_a_backup_older_than_the_newest_anchor_fails_verification_after_restore(
        transactional_db, county, files):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        register(county, sh(2026, 3, 2))
    call_command("backup", str(files / "bk"))
    with time_machine.travel(sh(2026, 3, 3), tick=False):
        register(county, sh(2026, 3, 3), phone="13900000009", id_number="", title="村道坑洼")
    call_command("audit", "anchor")  # the anchor (outside the backup) knows the newer rows
    with pytest.raises(CommandError, match="锚点记录了它"):  # "the anchor recorded it"
        call_command("restore", str(files / "bk"), "--yes")


def test_a_damaged_backup_is_refused_before_anything_is_replaced(transactional_db, county,
                                                                  files):
    call_command("backup", str(files / "bk"))
    with (files / "bk" / "media.tar.gz").open("ab") as f:
        f.write(b"x")
    with pytest.raises(CommandError, match="已被改动"):
        call_command("restore", str(files / "bk"), "--yes")
    assert Matter.objects.model._meta.db_table in connection.introspection.table_names()
