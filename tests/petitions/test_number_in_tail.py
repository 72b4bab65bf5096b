"""The county's number is taken in a registration's tail (issue 19 item 1): the matter goes in
under a provisional number that nothing outside the transaction sees; the number, the
receipt, the petitioner's SMS and the audit row carry the real one, gapless — also with
several writers at one county at once (threads on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection

from tests.conftest import sh
from tests.scenario import register, registration
from xinfang.audit import services as audit
from xinfang.audit.models import AuditLog
from xinfang.notify.models import Delivery
from xinfang.petitions import services
from xinfang.petitions.models import Counter, Document, Matter
from xinfang.petitions.services.records import PROVISIONAL_PREFIX, is_provisional


def _serial(number: str) -> int:
    return int(number[10:])


def _carries_number(m: Matter) -> None:
    assert not is_provisional(m.number)
    assert Matter.objects.get(pk=m.pk).number == m.number
    assert Matter.objects.filter(number=m.number).count() == 1  # found by its number
    receipt = Document.objects.get(matter=m, kind=Document.Kind.RECEIPT)
    assert receipt.context["matter_number"] == m.number
    sms = list(Delivery.objects.filter(matter=m, channel=Delivery.Channel.SMS))
    assert sms and all(m.number in d.text and PROVISIONAL_PREFIX not in d.text for d in sms)
    row = AuditLog.objects.get(action="register", matter_id=m.pk)
    assert row.data["number"] == m.number


@pytest.mark.django_db
def test_the_number_the_receipt_the_sms_and_the_audit_row_carry_the_real_number(county):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        first = register(county, sh(2026, 3, 2), phone="13900000001", id_number="")
        second = register(county, sh(2026, 3, 2), phone="13900000002", id_number="")
    for m in (first, second):
        _carries_number(m)
    assert first.number[:10] == county.xinfang.division_id[:6] + "2026"
    assert _serial(second.number) == _serial(first.number) + 1
    assert audit.verify().ok


def test_writers_at_one_county_at_once_get_gapless_numbers(transactional_db, county):
    """Six writers, four registrations each, all at the county's 信访局 (PostgreSQL: at once;
    SQLite has one writer at a time: one after the other). No error, no deadlock, no gap."""
    done: list[Matter] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        try:
            for i in range(4):
                m = services.register(
                    registration(county, when=sh(2026, 3, 2), phone=f"139{w:02d}00000{i}",
                                 id_number="", title=f"路灯不亮{w}-{i}"),
                    holder=county.xinfang, user=county.users["registrar"])
                with lock:
                    done.append(m)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            if connection.vendor == "postgresql":
                connection.close()

    with time_machine.travel(sh(2026, 3, 2), tick=True):
        if connection.vendor == "postgresql":
            threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
        else:
            for w in range(6):
                writer(w)
    assert not errors, errors
    assert len(done) == 24
    serials = sorted(_serial(m.number) for m in done)
    assert serials == list(range(serials[0], serials[0] + 24))
    key = f"matter:{county.xinfang.division_id[:6]}:2026"
    assert Counter.objects.get(key=key).value == serials[-1]
    for m in done:
        _carries_number(m)
    receipts = sorted(int(n.split("〕")[1].rstrip("号")) for n in Document.objects.filter(
        kind=Document.Kind.RECEIPT, matter__in=done).values_list("number", flat=True))
    assert receipts == list(range(receipts[0], receipts[0] + 24))
    assert audit.verify().ok


@pytest.mark.django_db
def test_past_a_million_the_serial_takes_a_seventh_digit(county):
    prefix = county.xinfang.division_id[:6]
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        register(county, sh(2026, 3, 2), phone="13900000001", id_number="")
        Counter.objects.filter(key=f"matter:{prefix}:2026").update(value=999_998)
        numbers = [register(county, sh(2026, 3, 2), phone=f"1390000001{i}", id_number="").number
                   for i in range(2)]
    assert numbers == [f"{prefix}2026999999", f"{prefix}20261000000"]
    assert set(Matter.objects.filter(number__in=numbers).values_list("number", flat=True)) == set(numbers)
