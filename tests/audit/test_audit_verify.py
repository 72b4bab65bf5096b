"""`xinfang audit verify`: the keyed chain, the anchors and (PostgreSQL) the append-only trigger.

Issue 14 item 10: recomputing the unkeyed SHA-256 chain after an edit, or after deleting rows,
passed the verifier. The chain is now HMAC-keyed (the key is outside the database), anchored
(the head appended to a file), and on PostgreSQL a trigger refuses UPDATE/DELETE/TRUNCATE.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from xinfang.audit import services as audit
from xinfang.audit.models import AuditHead, AuditLog

pytestmark = pytest.mark.django_db
TABLE = AuditLog._meta.db_table


@pytest.fixture(autouse=True)
def anchor_file(settings, tmp_path):
    settings.XINFANG_AUDIT_ANCHOR_FILE = str(tmp_path / "anchors.jsonl")
    return tmp_path / "anchors.jsonl"


@pytest.fixture
def chain(db):
    for i in range(5):
        audit.record("test" if i != 3 else "view_identity", object_type="matter", object_id=i,
                     data={"n": i})
    return list(AuditLog.objects.order_by("id").values_list("id", flat=True))


def _verify(capsys) -> tuple[int, str]:
    try:
        call_command("audit", "verify")
    except CommandError as e:
        return e.returncode, str(e)
    return 0, capsys.readouterr().out


def _raw(sql: str, params: list) -> None:
    """What someone with the database (not the key) can do; on PostgreSQL only with the
    append-only trigger switched off (the table owner, deliberately; the test database has
    it off, see tests/conftest.py)."""
    with connection.cursor() as cur:
        cur.execute(sql, params)


def _reseal_from(first_id: int, digest) -> None:
    """Recompute every hash from ``first_id`` on with ``digest`` and fix the head: a rewrite."""
    prev = AuditLog.objects.get(pk=first_id - 1).hash if first_id > 1 else audit.GENESIS
    for log in AuditLog.objects.filter(id__gte=first_id).order_by("id"):
        new = digest(prev, audit.content(log))
        _raw(f"UPDATE {TABLE} SET prev_hash = %s, hash = %s WHERE id = %s", [prev, new, log.pk])
        prev = new
    last = AuditLog.objects.order_by("-id").first()
    AuditHead.objects.update(last_id=last.pk, last_hash=prev)


def test_fresh_chain_passes(chain, capsys):
    code, out = _verify(capsys)
    assert code == 0 and "审计链完整，共校验 5 条记录" in out


def test_raw_sql_edit_of_one_row_is_named(chain, capsys):
    victim = chain[2]
    _raw(f"UPDATE {TABLE} SET data = %s WHERE id = %s", ['{"n": 99}', victim])
    code, out = _verify(capsys)
    assert code == 1 and f"#{victim} 内容被篡改" in out


def test_deleting_a_middle_row_is_named(chain, capsys):
    victim = chain[1]
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [victim])
    code, out = _verify(capsys)
    assert code == 1 and f"#{victim} 缺失" in out


def test_deleting_the_last_row_is_named(chain, capsys):
    victim = chain[-1]
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [victim])
    code, out = _verify(capsys)
    assert code == 1 and f"#{victim} 缺失" in out


def test_an_edit_resealed_without_the_key_is_named(chain, capsys):
    """The attack of issue 14: edit a row, recompute the (formerly unkeyed) chain after it."""
    victim = chain[2]
    _raw(f"UPDATE {TABLE} SET data = %s WHERE id = %s", ['{"n": 99}', victim])
    _reseal_from(victim, audit.legacy_digest)
    code, out = _verify(capsys)
    assert code == 1 and f"#{victim} 内容被篡改" in out
    _reseal_from(victim, lambda prev, row: audit.seal(prev, row, key="a guessed key"))
    code, out = _verify(capsys)
    assert code == 1 and f"#{victim} 内容被篡改" in out


def test_an_edit_resealed_with_the_key_disagrees_with_the_anchor(chain, capsys):
    """Someone with the database AND the key edits a row and re-seals the rest of the chain:
    the chain alone looks intact, the anchor written before does not agree."""
    call_command("audit", "anchor")
    victim = AuditLog.objects.get(action="view_identity").pk
    _raw(f"UPDATE {TABLE} SET action = 'test' WHERE id = %s", [victim])
    _reseal_from(victim, audit.seal)
    assert audit.verify().ok
    code, out = _verify(capsys)
    assert code == 1 and f"#{chain[-1]} 与" in out and "锚点不符" in out


def test_deleting_view_identity_rows_and_renumbering_is_caught_by_the_anchor(chain, capsys):
    call_command("audit", "anchor")
    victim = AuditLog.objects.get(action="view_identity").pk
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [victim])
    _raw(f"UPDATE {TABLE} SET id = id - 1 WHERE id > %s", [victim])
    _reseal_from(victim, audit.seal)
    assert audit.verify().ok and not AuditLog.objects.filter(action="view_identity").exists()
    code, out = _verify(capsys)
    assert code == 1 and f"#{chain[-1]} 缺失" in out and "锚点记录了它" in out


def test_anchor_appends_the_head_once_and_a_forged_line_is_refused(chain, capsys, anchor_file):
    call_command("audit", "anchor")
    call_command("audit", "anchor")  # unchanged head: nothing new
    lines = anchor_file.read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert (entry["chain"], entry["id"], entry["hash"]) == ("main", chain[-1],
                                                             AuditLog.objects.get(pk=chain[-1]).hash)
    code, out = _verify(capsys)
    assert code == 0 and "与 1 个锚点一致" in out
    forged = dict(entry, id=2, hash="0" * 64)
    with anchor_file.open("a") as f:
        f.write(json.dumps(forged) + "\n")
    code, out = _verify(capsys)
    assert code == 1 and "第 2 行无效" in out


def test_legacy_unkeyed_chain_is_resealed_once_and_a_broken_one_refused(chain, capsys):
    _reseal_from(1, lambda prev, row: audit.legacy_digest(prev, {k: v for k, v in row.items()
                                                                 if k != "chain"}))
    assert not audit.verify().ok
    call_command("audit", "reseal", "--legacy")
    assert _verify(capsys)[0] == 0
    _reseal_from(1, lambda prev, row: audit.legacy_digest(prev, {k: v for k, v in row.items()
                                                                 if k != "chain"}))
    _raw(f"UPDATE {TABLE} SET data = %s WHERE id = %s", ['{"n": 99}', chain[1]])
    with pytest.raises(CommandError, match=f"#{chain[1]} 处已不完整"):
        call_command("audit", "reseal", "--legacy")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_update_delete_and_truncate(chain):
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks: ALTER may run
        cur.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")  # rolled back after the test
        for sql in (f"UPDATE {TABLE} SET data = '{{}}' WHERE id = {chain[0]}",
                    f"DELETE FROM {TABLE} WHERE id = {chain[0]}", f"TRUNCATE {TABLE} CASCADE"):
            with pytest.raises(DatabaseError, match="只能追加"), transaction.atomic():
                cur.execute(sql)
    assert AuditLog.objects.count() == 5


def test_the_monthly_bulletin_prints_the_latest_anchor(chain, county, login, capsys):
    from django.urls import reverse

    call_command("audit", "anchor")
    head = AuditHead.objects.get(chain="main")
    page = login(county.users["officer"]).get(reverse("practice:report_monthly")).content.decode()
    assert "审计链锚点" in page and f"#{head.last_id}" in page and head.last_hash in page


def test_the_scheduled_sweep_anchors_the_chain(chain, anchor_file):
    from xinfang.ops import jobs

    jobs.JOBS["sweep"].run()  # what the worker runs each slot
    entry = json.loads(anchor_file.read_text().splitlines()[-1])
    assert (entry["chain"], entry["id"]) == ("main", AuditHead.objects.get().last_id)
