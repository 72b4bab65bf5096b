"""Writers at once keep one unbroken chain (the head's row lock serialises them; the first
row's head is created once)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from xinfang.audit import services as audit
from xinfang.audit.models import AuditHead, AuditLog


@pytest.mark.django_db(transaction=True)
def test_four_writers_from_an_empty_log_leave_one_head_and_a_chain_that_verifies():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
            ("file:memorydb", ":memory:")):
        pytest.skip("threads need a database file shared between connections")
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        from django.db import connections

        try:
            start.wait()
            for i in range(10):
                with transaction.atomic():
                    audit.record("test", object_type="probe", object_id=f"{n}-{i}")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert AuditHead.objects.count() == 1
    ids = sorted(AuditLog.objects.values_list("id", flat=True))
    assert ids == list(range(1, 41))
    result = audit.verify()
    assert result.ok, result.message
