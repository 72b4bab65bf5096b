"""A delivery left 发送中 by a worker that stopped is sent again, once (issue 19 item 5): its
claim holds for ``XINFANG_NOTIFY_LEASE_SECONDS``; after that the next batch of its channel or
the notification job's requeue claims it under the row lock, the lost attempt logged and
counted against the retry limit; while the lease holds nobody else takes it, and a long
batch renews it."""

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
from xinfang.notify import delivery, sweep
from xinfang.notify.models import Delivery
from xinfang.ops import jobs

PHONES = [f"1380000{i:04d}" for i in range(4)]
_LOCK = threading.Lock()
SENT: list[str] = []  # phones, in the order the gateway took them
HOOK: list = []  # called before each send (the tests' other worker, the clock)


class Gateway:
    def send(self, phone: str, text: str) -> None:
        for hook in list(HOOK):
            hook(phone)
        time.sleep(0.02)  # two workers overlap
        with _LOCK:
            SENT.append(phone)


@pytest.fixture(autouse=True)
def gateway(settings):
    settings.XINFANG_SMS_ADAPTER = f"{__name__}.Gateway"
    settings.XINFANG_NOTIFY_LEASE_SECONDS = 300
    SENT.clear()
    HOOK.clear()
    yield
    SENT.clear()
    HOOK.clear()


def sent_phones() -> list[str]:
    return list(SENT)


def _register(county, phones: list[str]) -> list[Delivery]:
    with time_machine.travel(sh(2026, 3, 2), tick=True):
        ms = [register(county, sh(2026, 3, 2), phone=p, id_number="", title=f"村道坑洼{i}")
              for i, p in enumerate(phones)]
    return [Delivery.objects.get(matter=m, channel="sms") for m in ms]


def _left_sending(d: Delivery, age: timedelta) -> None:
    """``d`` as a worker leaves it when it dies after the claim: 发送中, one attempt, its
    task taken (RUNNING), claimed ``age`` ago."""
    Delivery.objects.filter(pk=d.pk).update(status=Delivery.Status.SENDING, attempts=1,
                                            claimed_at=timezone.now() - age)
    DBTaskResult.objects.filter(pk=d.task_id).update(status="RUNNING")


def test_a_delivery_left_sending_past_its_lease_is_sent_once_by_the_next_batch(db, county):
    lapsed, fresh = _register(county, PHONES[:2])
    _left_sending(lapsed, delivery.lease() + timedelta(seconds=5))
    out = delivery.attempt(fresh.pk, batch=delivery.batch_size())
    assert out["batch"] == {"sent": 2, "failed": 0}
    lapsed.refresh_from_db()
    assert lapsed.status == "sent" and lapsed.attempts == 2
    assert [e["ok"] for e in lapsed.log] == [False, True] and "发送中断" in lapsed.log[0]["error"]
    # Nothing sends it again: its own task, the requeue, another batch.
    delivery.attempt(lapsed.pk, batch=delivery.batch_size())
    assert delivery.requeue_stale() == 0
    assert sorted(SENT) == sorted(PHONES[:2])


def test_a_delivery_whose_lease_holds_is_not_touched(db, county):
    held, other = _register(county, PHONES[:2])
    _left_sending(held, delivery.lease() - timedelta(seconds=5))
    out = delivery.attempt(other.pk, batch=delivery.batch_size())
    assert out == {"delivery": other.pk, "status": "sent", "attempt": 1}  # a batch of one
    assert delivery.attempt(held.pk)["status"] == "sending"  # its own task: still held
    assert delivery.requeue_stale() == 0
    held.refresh_from_db()
    assert held.status == "sending" and held.attempts == 1 and held.log == []
    assert sent_phones() == [PHONES[1]]


def test_the_notification_job_requeues_it_and_the_worker_sends_it_once(transactional_db,
                                                                       county):
    [d] = _register(county, PHONES[:1])
    _left_sending(d, delivery.lease() + timedelta(seconds=5))
    jobs.task_worker("w0", interval=0, batch=True).run()  # its task is gone with the worker
    assert sent_phones() == []
    assert sweep.run()["requeued"] == 1
    jobs.task_worker("w1", interval=0, batch=True).run()
    assert sweep.run()["requeued"] == 0
    jobs.task_worker("w2", interval=0, batch=True).run()
    d.refresh_from_db()
    assert d.status == "sent" and d.attempts == 2 and sent_phones() == [PHONES[0]]


def test_a_lost_attempt_counts_against_the_retry_limit(db, county):
    d, other = _register(county, PHONES[:2])
    _left_sending(d, delivery.lease() + timedelta(seconds=5))
    Delivery.objects.filter(pk=d.pk).update(attempts=3)  # its last attempt was the lost one
    delivery.attempt(other.pk, batch=delivery.batch_size())
    d.refresh_from_db()
    assert d.status == "failed" and d.attempts == 3 and "发送中断" in d.last_error
    assert sent_phones() == [PHONES[1]]
    assert delivery.requeue_stale() == 0


def test_two_workers_do_not_both_send_a_lapsed_delivery(transactional_db, county):
    """One worker takes it by its own task, the other would take it into its batch."""
    lapsed, fresh = _register(county, PHONES[:2])
    _left_sending(lapsed, delivery.lease() + timedelta(seconds=5))
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(pk: int, batch: int) -> None:
        try:
            start.wait(10)
            delivery.attempt(pk, batch=batch)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    runs = [(lapsed.pk, 1), (fresh.pk, 10)]
    if connection.vendor == "postgresql":
        threads = [threading.Thread(target=work, args=a) for a in runs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    else:  # SQLite: one writer at a time, the second after the first
        start = threading.Barrier(1)
        for a in runs:
            work(*a)
    assert not errors, errors
    assert sorted(SENT) == sorted(PHONES[:2])  # each once
    lapsed.refresh_from_db()
    assert lapsed.status == "sent" and lapsed.attempts == 2


def test_a_batch_longer_than_half_the_lease_keeps_its_claim(db, county, settings):
    """Each send takes 40 s of a 60 s lease: the batch renews its claim before the next
    send, so another worker trying meanwhile takes nothing (without the renewal the third
    delivery's claim would lapse at 120 s and be sent twice)."""
    settings.XINFANG_NOTIFY_LEASE_SECONDS = 60
    ds = _register(county, PHONES[:3])
    tried = []
    with time_machine.travel(sh(2026, 3, 2, 12), tick=False) as clock:
        def slow_and_watched(phone: str) -> None:
            clock.shift(40)
            tried.append(delivery.attempt(ds[2].pk)["status"])  # another worker, meanwhile

        HOOK.append(slow_and_watched)
        out = delivery.attempt(ds[0].pk, batch=3)
    assert out["batch"] == {"sent": 3, "failed": 0}
    assert tried == ["sending", "sending", "sending"] and sorted(SENT) == sorted(PHONES[:3])
    for d in ds:
        d.refresh_from_db()
        assert d.status == "sent" and d.attempts == 1


def test_a_batch_leaves_out_what_another_worker_took_after_a_send_outlasted_the_lease(
        db, county, settings):
    settings.XINFANG_NOTIFY_LEASE_SECONDS = 60
    ds = _register(county, PHONES[:3])
    with time_machine.travel(sh(2026, 3, 2, 12), tick=False) as clock:
        def stuck_once(phone: str) -> None:
            if phone == PHONES[0]:
                clock.shift(70)  # the gateway hung past the lease
                HOOK.remove(stuck_once)
                assert delivery.attempt(ds[2].pk)["status"] == "sent"  # the other worker

        HOOK.append(stuck_once)
        out = delivery.attempt(ds[0].pk, batch=3)
    assert out["batch"] == {"sent": 2, "failed": 0, "taken_over": 1}
    assert sorted(SENT) == sorted(PHONES[:3])  # each once
    ds[2].refresh_from_db()
    assert ds[2].status == "sent" and ds[2].attempts == 2
