"""Sending a recorded delivery through the job queue: enqueue, attempt (in batches), retry.

A delivery is written in the transaction of the event it tells of (``planner``), and so is
its task when the job queue is a table of the same database (django-tasks' database
backend, the default): the two commit together or not at all, so a rolled-back act sends
nothing and a committed one cannot lose its task — and the act costs one commit, not two
(on SQLite a second write transaction after every registration). With any other queue the
task is enqueued by ``transaction.on_commit``. Each attempt is appended to ``Delivery.log``
(attempt n, time, outcome, the error); a failed attempt is retried after
``XINFANG_NOTIFY_RETRY_SECONDS`` (doubling) up to ``max_attempts``, then the delivery stays
发送失败 on the matter's timeline and in the admin list. A delivery whose task was lost
(another queue: a crash between the commit and the enqueue) is enqueued again by
``requeue_stale`` (the notification job, ``xinfang worker``).

**Batches** (issue 19 item 1). A task attempts its own delivery and, with it, up to
``XINFANG_NOTIFY_BATCH`` − 1 other queued deliveries of the same channel, oldest first; their
own tasks, still waiting, are marked done (their result names the delivery whose task sent
them). Each delivery is claimed — moved to 发送中 — in one short transaction, its row locked
with ``SKIP LOCKED`` on PostgreSQL (SQLite: one writer at a time), so two workers never claim
one delivery and never send one SMS twice. Outcomes stay per delivery: a refusal, a failure and
its retry, a success each go to that delivery's record, never to the batch's others. Only
deliveries first queued are taken into another's batch: one waiting for its retry keeps its
own delayed task.

**The lease** (issue 19 item 5). A claim records its time (``claimed_at``) and holds for
``XINFANG_NOTIFY_LEASE_SECONDS`` (default 300): a delivery still 发送中 after that was left by
a worker that stopped mid-batch (killed, the machine lost), and the next batch of its channel
or its own task again (``requeue_stale``, the notification job) claims it — under the same
row lock, so once. The lost attempt is written to its log and counts: a delivery whose
attempts are used up becomes 发送失败 instead. While its lease holds no one else takes it: a
worker whose batch runs longer than half the lease renews the claim of what it has still to
send, and leaves out whatever another worker has claimed since. The lease must exceed the
longest single send (the channels time out after 10–15 s). A message the dead worker had
handed to the gateway but not recorded goes out again: a crash between the two cannot be
told from one before the send.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Field, Q
from django.utils import timezone

from . import channels
from .models import Delivery, MatterContact

log = logging.getLogger("xinfang.notify")

OPEN = (Delivery.Status.QUEUED, Delivery.Status.RETRYING)
MAX_ERROR = 300
RECORD_EVERY = 1.0  # seconds: sent deliveries are recorded at least this often in a batch


def retry_delay(attempt: int) -> timedelta:
    base = int(getattr(settings, "XINFANG_NOTIFY_RETRY_SECONDS", 60))
    return timedelta(seconds=base * 2 ** max(attempt - 1, 0))


def batch_size() -> int:
    return max(1, int(getattr(settings, "XINFANG_NOTIFY_BATCH", 50)))


def lease() -> timedelta:
    """How long a claim (发送中) holds before the delivery may be claimed again."""
    return timedelta(seconds=max(1, int(getattr(settings, "XINFANG_NOTIFY_LEASE_SECONDS", 300))))


def _lapsed_q(now: datetime) -> Q:
    """发送中 past its lease (or claimed before claims had a time)."""
    return Q(status=Delivery.Status.SENDING) & (Q(claimed_at__lt=now - lease())
                                               | Q(claimed_at__isnull=True))


def _lapsed(d: Delivery, now: datetime) -> bool:
    return d.status == Delivery.Status.SENDING and (
        d.claimed_at is None or d.claimed_at < now - lease())


def enqueue_after_commit(ids: Iterable[int], *, delay: timedelta | None = None) -> None:
    """The deliveries' tasks, durable with the act that wrote them (see the module note)."""
    ids = list(ids)
    if not ids:
        return
    if _queue_beside(Delivery):
        enqueue(ids, delay=delay)
    else:
        transaction.on_commit(lambda: enqueue(ids, delay=delay))


def _queue_beside(model: Any) -> bool:
    """Whether the default task queue is a table written through the same database as
    ``model`` (then a task enqueued inside the act's transaction is invisible to the worker
    until the act commits, and vanishes with a rollback)."""
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if backend != "django_tasks_db.DatabaseBackend":
        return False
    from django.db import router
    from django_tasks_db.models import DBTaskResult

    return router.db_for_write(DBTaskResult) == router.db_for_write(model)


def enqueue(ids: Iterable[int], *, delay: timedelta | None = None) -> None:
    """One task per delivery, in the caller's transaction if there is one (no savepoint),
    else in one of its own: the tasks and their ids commit together."""
    from .tasks import deliver

    task = deliver.using(run_after=timezone.now() + delay) if delay else deliver
    with transaction.atomic(savepoint=False):
        for pk in ids:
            result = task.enqueue(pk)
            Delivery.objects.filter(pk=pk).update(task_id=str(result.id))


def _refusal(d: Delivery, contact: MatterContact | None) -> str:
    """Why a queued delivery must not go out any more (the petitioner's later choice);
    ``contact`` is the matter's ``MatterContact`` (None: none)."""
    if d.audience != Delivery.Audience.PETITIONER or d.matter_id is None:
        return ""
    if d.channel == Delivery.Channel.SMS and contact is not None and contact.sms_opt_out:
        return "信访人已退订本事项短信"
    if d.channel == Delivery.Channel.EMAIL:
        confirming = d.kind == "email_confirm"  # the link goes to an address not yet confirmed
        if (contact is None or contact.email != d.recipient
                or not (confirming or contact.email_active)):
            return "信访人已取消邮件通知"
    return ""


def _claim(delivery_id: int, batch: int) -> tuple[Delivery | None, list[Delivery]]:
    """Lock the delivery and up to ``batch`` − 1 others of its channel (lapsed 发送中 first,
    then queued), record the attempt's start (发送中 with the claim's time, 未发送 when
    refused, 发送失败 when a lapsed one has no attempt left) and retire the others' waiting
    tasks. Returns the delivery (None: missing) and the claimed deliveries to send, each
    with ``claimed_at`` set to the claim's time."""
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        now = timezone.now()
        d = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if d is None or (d.status not in OPEN and not _lapsed(d, now)):
            return d, []
        claimed = [d]
        if batch > 1:
            mine = Delivery.objects.select_for_update(skip_locked=True).filter(
                channel=d.channel).exclude(pk=d.pk).order_by("created_at", "id")
            claimed += list(mine.filter(_lapsed_q(now))[:batch - 1])  # delivery_sending
            claimed += list(mine.filter(status=Delivery.Status.QUEUED)[:batch - len(claimed)])
        matters = {c.matter_id for c in claimed
                   if c.audience == Delivery.Audience.PETITIONER and c.matter_id is not None}
        contacts = ({c.matter_id: c for c in MatterContact.objects.filter(matter_id__in=matters)}
                    if matters else {})
        to_send, plain = [], []
        for c in claimed:
            lost = c.status == Delivery.Status.SENDING  # its worker stopped: a lost attempt
            if lost:
                error = "发送中断：领取后超过租约时间未记录结果（工作进程中止），重新领取"
                c.log = [*c.log, {"n": c.attempts, "at": now.isoformat(), "ok": False,
                                  "error": error}]
                if c.attempts >= c.max_attempts:
                    c.status, c.last_error, c.next_attempt_at = (
                        Delivery.Status.FAILED, error, None)
                    c.save(update_fields=["status", "last_error", "log", "next_attempt_at"])
                    log.error("delivery %s (%s, %s) lost in sending after %s attempts",
                              c.pk, c.kind, c.channel, c.attempts)
                    continue
                log.warning("delivery %s (%s, %s) claimed again: attempt %s lost in sending",
                            c.pk, c.kind, c.channel, c.attempts)
            c.attempts += 1
            refusal = _refusal(c, contacts.get(c.matter_id or 0))
            if refusal:
                c.status, c.last_error = Delivery.Status.SKIPPED, refusal
                c.log = [*c.log, {"n": c.attempts, "at": now.isoformat(), "ok": False,
                                  "skipped": refusal}]
                c.save(update_fields=["status", "attempts", "last_error", "log"])
                continue
            c.status, c.claimed_at = Delivery.Status.SENDING, now
            to_send.append(c)
            if lost:
                c.save(update_fields=["status", "attempts", "claimed_at", "log"])
            else:
                plain.append(c.pk)
        if plain:  # one statement for the batch (the ORM's bulk_update costs ~4 ms a row)
            Delivery.objects.filter(pk__in=plain).update(
                status=Delivery.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
        retired = [c.task_id for c in claimed[1:] if c.task_id]
        if retired and _queue_beside(Delivery):
            # A task another worker has just claimed is RUNNING: it finds its delivery taken.
            DBTaskResult.objects.filter(id__in=retired, status="READY").update(
                status="SUCCESSFUL", finished_at=now,
                return_value={"status": "batched", "with_delivery": d.pk})
    return d, to_send


def _renew(rest: list[Delivery], claim: datetime) -> tuple[datetime, set[int]]:
    """Renew the claim of the deliveries still to send; returns the new claim's time and the
    ones still held (a delivery another worker claimed once the lease lapsed is theirs)."""
    now = timezone.now()
    ids = [c.pk for c in rest]
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING,
                            claimed_at=claim).update(claimed_at=now)
    held = set(Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING,
                                       claimed_at=now).values_list("pk", flat=True))
    for c in rest:
        c.claimed_at = now
    return now, held


def _failed(d: Delivery, e: Exception) -> None:
    """Record a failed attempt on ``d`` and enqueue its retry (or give up after the last)."""
    # The address stays encrypted: an error that quotes it shows the masked label.
    error = f"{type(e).__name__}: {e}".replace(d.recipient, d.recipient_label)[:MAX_ERROR]
    entry = {"n": d.attempts, "at": timezone.now().isoformat(), "ok": False, "error": error}
    if d.attempts < d.max_attempts:
        delay = retry_delay(d.attempts)
        with transaction.atomic():
            Delivery.objects.filter(pk=d.pk).update(
                status=Delivery.Status.RETRYING, last_error=error, log=[*d.log, entry],
                next_attempt_at=timezone.now() + delay)
            enqueue_after_commit([d.pk], delay=delay)
        d.status = Delivery.Status.RETRYING
        log.warning("delivery %s (%s, %s) failed, attempt %s of %s: %s; retry in %ss",
                    d.pk, d.kind, d.channel, d.attempts, d.max_attempts, error,
                    int(delay.total_seconds()))
    else:
        Delivery.objects.filter(pk=d.pk).update(
            status=Delivery.Status.FAILED, last_error=error, log=[*d.log, entry],
            next_attempt_at=None)
        d.status = Delivery.Status.FAILED
        log.error("delivery %s (%s, %s) failed after %s attempts: %s", d.pk, d.kind,
                  d.channel, d.attempts, error)


def _record_sent(sent: list[Delivery]) -> None:
    """Record the deliveries that went out: one statement for all (executemany; the ORM's
    bulk_update builds a CASE per row and field, ~4 ms a row)."""
    if not sent:
        return
    qn, names = connection.ops.quote_name, ("status", "sent_at", "log")  # columns = names
    fields = [cast("Field[Any, Any]", Delivery._meta.get_field(n)) for n in names]
    sql = (f"UPDATE {qn(Delivery._meta.db_table)} SET "
           + ", ".join(f"{qn(n)} = %s" for n in names)
           + f", {qn('next_attempt_at')} = NULL WHERE {qn('id')} = %s")
    rows = [[f.get_db_prep_save(getattr(d, f.attname), connection) for f in fields] + [d.pk]
            for d in sent]
    with connection.cursor() as cur:
        cur.executemany(sql, rows)
    for d in sent:
        log.info("delivery %s (%s, %s) sent, attempt %s", d.pk, d.kind, d.channel, d.attempts)


def attempt(delivery_id: int, *, batch: int = 1) -> dict[str, Any]:
    """One attempt of the delivery and, with ``batch`` > 1, of up to ``batch`` − 1 other
    queued deliveries of its channel (the task's body); never raises, the records are the
    outcome. The sends run outside any transaction; what went out is recorded at least every
    ``RECORD_EVERY`` seconds, so a worker that dies mid-batch leaves few 发送中 behind."""
    d, to_send = _claim(delivery_id, batch)
    if d is None or d not in to_send:
        return {"delivery": delivery_id, "status": d.status if d else "missing"}
    sent: list[Delivery] = []
    failed = lost = 0
    flushed = time.monotonic()
    claim, held = to_send[0].claimed_at, {c.pk for c in to_send}
    assert claim is not None
    half_lease = lease() / 2
    for n, c in enumerate(to_send):
        if timezone.now() - claim > half_lease:  # a long batch: keep what is left ours
            _record_sent(sent)
            sent, flushed = [], time.monotonic()
            claim, held = _renew(to_send[n:], claim)
        if c.pk not in held:  # taken by another worker after the lease lapsed
            lost += 1
            continue
        try:
            channels.send(c)
        except Exception as e:  # any failure of the gateway, the SMTP server or the app
            _failed(c, e)
            failed += 1
        else:
            now = timezone.now()
            c.status, c.sent_at, c.next_attempt_at = Delivery.Status.SENT, now, None
            c.log = [*c.log, {"n": c.attempts, "at": now.isoformat(), "ok": True}]
            sent.append(c)
        if sent and time.monotonic() - flushed >= RECORD_EVERY:
            _record_sent(sent)
            sent, flushed = [], time.monotonic()
    _record_sent(sent)
    out: dict[str, Any] = {"delivery": d.pk, "status": "sent" if d.status == Delivery.Status.SENT
                           else "failed", "attempt": d.attempts}
    if len(to_send) > 1:
        out["batch"] = {"sent": len(to_send) - failed - lost, "failed": failed}
        if lost:
            out["batch"]["taken_over"] = lost
    return out


def requeue_stale(older_than: timedelta = timedelta(minutes=10)) -> int:
    """Deliveries still queued (or due for a retry) well after their time, whose task was
    lost, and deliveries left 发送中 past their lease by a worker that stopped: enqueue them
    again (their task claims them under the row lock, see the module note). An attempt on a
    delivery no longer open does nothing, so a duplicate task is harmless."""
    now = timezone.now()
    stale = list(Delivery.objects.filter(status=Delivery.Status.QUEUED,
                                         created_at__lt=now - older_than)
                 .values_list("pk", flat=True)[:1000])
    stale += list(Delivery.objects.filter(status=Delivery.Status.RETRYING,
                                          next_attempt_at__lt=now - older_than)
                  .values_list("pk", flat=True)[:1000])
    stale += list(Delivery.objects.filter(_lapsed_q(now)).order_by("claimed_at")
                  .values_list("pk", flat=True)[:1000])
    enqueue(stale)
    return len(stale)
