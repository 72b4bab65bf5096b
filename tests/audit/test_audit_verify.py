"""`xinfang audit verify`: passes on a fresh chain; names the row after an edit or a deletion."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from xinfang.audit import services as audit
from xinfang.audit.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(db):
    for i in range(5):
        audit.record("test", object_type="matter", object_id=i, data={"n": i})
    return list(AuditLog.objects.order_by("id").values_list("id", flat=True))


def _verify(capsys) -> tuple[int, str]:
    try:
        call_command("audit", "verify")
    except CommandError as e:
        return e.returncode, str(e)
    return 0, capsys.readouterr().out


def test_fresh_chain_passes(chain, capsys):
    code, out = _verify(capsys)
    assert code == 0 and "审计链完整，共校验 5 条记录" in out


def test_raw_sql_edit_of_one_row_is_named(chain, capsys):
    victim = chain[2]
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {AuditLog._meta.db_table} SET data = %s WHERE id = %s",
                    ['{"n": 99}', victim])
    code, out = _verify(capsys)
    assert code == 1 and f"#{victim} 内容被篡改" in out


def test_deleting_a_middle_row_is_named(chain, capsys):
    victim = chain[1]
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {AuditLog._meta.db_table} WHERE id = %s", [victim])
    code, out = _verify(capsys)
    assert code == 1 and f"#{victim} 缺失" in out


def test_deleting_the_last_row_is_named(chain, capsys):
    victim = chain[-1]
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {AuditLog._meta.db_table} WHERE id = %s", [victim])
    code, out = _verify(capsys)
    assert code == 1 and f"#{victim} 缺失" in out

