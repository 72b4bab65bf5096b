"""Deliveries in batches (issue 19 item 1): a task sends a batch of queued deliveries of its
channel, two workers at once never send one SMS twice, and a failure in a batch retries only
that delivery (tests/ops/test_jobs.py: the task commits with its delivery)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.conftest import sh
from tests.scenario import register
from xinfang.notify import delivery
from xinfang.notify.models import Delivery
from xinfang.ops import jobs

PHONES = [f"1390000{i:04d}" for i in range(12)]
_LOCK = threading.Lock()
SENT: list[tuple[str, str]] = []  # (phone, text), in the order the gateway took them
REFUSE: set[str] = set()  # phones the gateway refuses once each


class SlowGateway:
    """Takes ~20 ms a message (so two workers overlap), refuses each phone in REFUSE once."""

    def send(self, phone: str, text: str) -> None:
        from xinfang.core.sms import SmsError

        time.sleep(0.02)
        with _LOCK:
            if phone in REFUSE:
                REFUSE.discard(phone)
                raise SmsError("网关超时")
            SENT.append((phone, text))


@pytest.fixture
def gateway(settings):
    settings.XINFANG_SMS_ADAPTER = f"{__name__}.SlowGateway"
    SENT.clear()
    REFUSE.clear()
    yield
    SENT.clear()
    REFUSE.clear()


def _register(county, phones: list[str]) -> list[Delivery]:
    with time_machine.travel(sh(2026, 3, 2), tick=True):
        ms = [register(county, sh(2026, 3, 2), phone=p, id_number="", title=f"村道坑洼{i}")
              for i, p in enumerate(phones)]
    return [Delivery.objects.get(matter=m, channel="sms") for m in ms]


def _run_worker(worker_id: str) -> None:
    jobs.task_worker(worker_id, interval=0, batch=True).run()


def test_two_workers_at_once_send_each_sms_once(transactional_db, county, gateway, settings):
    settings.XINFANG_NOTIFY_BATCH = 4
    ds = _register(county, PHONES)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            _run_worker(name)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    if connection.vendor == "postgresql":
        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    else:  # SQLite runs one worker: the second finds nothing left
        work("w0")
        work("w1")
    assert not errors, errors
    assert sorted(p for p, _ in SENT) == sorted(PHONES)  # every SMS once, none twice
    for d in ds:
        d.refresh_from_db()
        assert d.status == "sent" and d.attempts == 1 and [e["ok"] for e in d.log] == [True]
    assert not DBTaskResult.objects.filter(status__in=["READY", "RUNNING", "FAILED"]).exists()
    batched = DBTaskResult.objects.filter(return_value__status="batched").count()
    assert batched >= len(PHONES) - len(PHONES) // 4 * 2  # most went out in another's batch


def test_a_failure_in_a_batch_retries_only_that_delivery(transactional_db, county, gateway,
                                                         settings):
    settings.XINFANG_NOTIFY_BATCH = 10
    settings.XINFANG_NOTIFY_RETRY_SECONDS = 3600
    first, refused, third = _register(county, PHONES[:3])
    REFUSE.add(refused.recipient)
    out = delivery.attempt(first.pk, batch=delivery.batch_size())
    assert out["batch"] == {"sent": 2, "failed": 1}
    for d in (first, refused, third):
        d.refresh_from_db()
    assert first.status == third.status == "sent" and first.attempts == third.attempts == 1
    assert refused.status == "retrying" and refused.attempts == 1
    assert "网关超时" in refused.last_error and [e["ok"] for e in refused.log] == [False]
    # Its own task was retired with the batch; its retry is a task of its own, for later.
    retry = DBTaskResult.objects.get(pk=refused.task_id)
    assert retry.status == "READY" and retry.args_kwargs["args"] == [refused.pk]
    assert refused.next_attempt_at is not None
    assert retry.run_after > timezone.now() + timedelta(minutes=30)
    # A later delivery's batch does not take it before its time.
    [later] = _register(county, PHONES[3:4])
    delivery.attempt(later.pk, batch=delivery.batch_size())
    refused.refresh_from_db()
    assert refused.status == "retrying" and refused.attempts == 1
    # At its time, the worker retries that one alone; the others are not sent again.
    with time_machine.travel(refused.next_attempt_at + timedelta(seconds=1), tick=False):
        _run_worker("w0")
    refused.refresh_from_db()
    assert refused.status == "sent" and refused.attempts == 2
    assert [e["ok"] for e in refused.log] == [False, True]
    assert sorted(p for p, _ in SENT) == sorted(PHONES[:4])
    for d in (first, third):
        d.refresh_from_db()
        assert d.attempts == 1 and len(d.log) == 1


def test_a_batch_records_what_went_out_as_it_goes(db, county, gateway, settings, monkeypatch):
    """A worker that dies mid-batch leaves behind only what it sent since the last record:
    with ``RECORD_EVERY`` 0 each SMS is recorded as sent before the next one goes out."""
    monkeypatch.setattr(delivery, "RECORD_EVERY", 0.0)
    ds = _register(county, PHONES[:3])
    seen: list[list[str]] = []

    class Watching(SlowGateway):
        def send(self, phone: str, text: str) -> None:
            seen.append(list(Delivery.objects.filter(pk__in=[d.pk for d in ds])
                             .order_by("id").values_list("status", flat=True)))
            super().send(phone, text)

    monkeypatch.setattr(f"{__name__}.SlowGateway", Watching)
    settings.XINFANG_SMS_ADAPTER = f"{__name__}.SlowGateway"
    assert delivery.attempt(ds[0].pk, batch=3)["batch"] == {"sent": 3, "failed": 0}
    assert seen == [["sending"] * 3, ["sent", "sending", "sending"],
                    ["sent", "sent", "sending"]]
