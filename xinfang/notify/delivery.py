"""Sending a recorded delivery through the job queue: enqueue after commit, attempt, retry.

A delivery is written in the transaction of the event it tells of (``planner``), and so is
its task when the job queue is a table of the same database (django-tasks' database
backend, the default): the two commit together or not at all, so a rolled-back act sends
nothing and a committed one cannot lose its task — and the act costs one commit, not two
(on SQLite a second write transaction after every registration). With any other queue the
task is enqueued by ``transaction.on_commit``. Each attempt is
appended to ``Delivery.log`` (attempt n, time, outcome, the error); a failed attempt is
retried after ``XINFANG_NOTIFY_RETRY_SECONDS`` (doubling) up to ``max_attempts``, then the
delivery stays 发送失败 on the matter's timeline and in the admin list. A delivery whose task
was lost (another queue: a crash between the commit and the enqueue) is enqueued again by ``requeue_stale``
(the notification job, ``xinfang worker``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import channels
from .models import Delivery, MatterContact

log = logging.getLogger("xinfang.notify")

OPEN = (Delivery.Status.QUEUED, Delivery.Status.RETRYING)
MAX_ERROR = 300


def retry_delay(attempt: int) -> timedelta:
    base = int(getattr(settings, "XINFANG_NOTIFY_RETRY_SECONDS", 60))
    return timedelta(seconds=base * 2 ** max(attempt - 1, 0))


def enqueue_after_commit(ids: Iterable[int]) -> None:
    """The deliveries' tasks, durable with the act that wrote them (see the module note)."""
    ids = list(ids)
    if not ids:
        return
    if _queue_beside(Delivery):
        enqueue(ids)
    else:
        transaction.on_commit(lambda: enqueue(ids))


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
    from .tasks import deliver

    with transaction.atomic():  # one commit for the tasks and their ids
        for pk in ids:
            task = deliver.using(run_after=timezone.now() + delay) if delay else deliver
            result = task.enqueue(pk)
            Delivery.objects.filter(pk=pk).update(task_id=str(result.id))


def _refusal(d: Delivery) -> str:
    """Why a queued delivery must not go out any more (the petitioner's later choice)."""
    if d.audience != Delivery.Audience.PETITIONER or d.matter_id is None:
        return ""
    contact = MatterContact.objects.filter(matter_id=d.matter_id).first()
    if d.channel == Delivery.Channel.SMS and contact is not None and contact.sms_opt_out:
        return "信访人已退订本事项短信"
    if d.channel == Delivery.Channel.EMAIL:
        confirming = d.kind == "email_confirm"  # the link goes to an address not yet confirmed
        if (contact is None or contact.email != d.recipient
                or not (confirming or contact.email_active)):
            return "信访人已取消邮件通知"
    return ""


def attempt(delivery_id: int) -> dict[str, Any]:
    """One attempt (the task's body); never raises, the record is the outcome."""
    with transaction.atomic():
        d = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if d is None or d.status not in OPEN:
            return {"delivery": delivery_id, "status": d.status if d else "missing"}
        refusal = _refusal(d)
        d.attempts += 1
        now = timezone.now()
        if refusal:
            d.status, d.last_error = Delivery.Status.SKIPPED, refusal
            d.log = [*d.log, {"n": d.attempts, "at": now.isoformat(), "ok": False,
                              "skipped": refusal}]
            d.save(update_fields=["status", "attempts", "last_error", "log"])
            return {"delivery": d.pk, "status": d.status}
        d.status = Delivery.Status.SENDING
        d.save(update_fields=["status", "attempts"])
    try:
        channels.send(d)
    except Exception as e:  # any failure of the gateway, the SMTP server or the app
        # The address stays encrypted: an error that quotes it shows the masked label.
        error = f"{type(e).__name__}: {e}".replace(d.recipient, d.recipient_label)[:MAX_ERROR]
        entry = {"n": d.attempts, "at": timezone.now().isoformat(), "ok": False, "error": error}
        if d.attempts < d.max_attempts:
            delay = retry_delay(d.attempts)
            with transaction.atomic():
                Delivery.objects.filter(pk=d.pk).update(
                    status=Delivery.Status.RETRYING, last_error=error, log=[*d.log, entry],
                    next_attempt_at=timezone.now() + delay)
                transaction.on_commit(lambda: enqueue([d.pk], delay=delay))
            log.warning("delivery %s (%s, %s) failed, attempt %s of %s: %s; retry in %ss",
                        d.pk, d.kind, d.channel, d.attempts, d.max_attempts, error,
                        int(delay.total_seconds()))
        else:
            Delivery.objects.filter(pk=d.pk).update(
                status=Delivery.Status.FAILED, last_error=error, log=[*d.log, entry],
                next_attempt_at=None)
            log.error("delivery %s (%s, %s) failed after %s attempts: %s", d.pk, d.kind,
                      d.channel, d.attempts, error)
        return {"delivery": d.pk, "status": "failed", "attempt": d.attempts}
    entry = {"n": d.attempts, "at": timezone.now().isoformat(), "ok": True}
    Delivery.objects.filter(pk=d.pk).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), log=[*d.log, entry],
        next_attempt_at=None)
    log.info("delivery %s (%s, %s) sent, attempt %s", d.pk, d.kind, d.channel, d.attempts)
    return {"delivery": d.pk, "status": "sent", "attempt": d.attempts}


def requeue_stale(older_than: timedelta = timedelta(minutes=10)) -> int:
    """Deliveries still queued (or due for a retry) well after their time, whose task was
    lost: enqueue them again. An attempt on a delivery no longer open does nothing, so a
    duplicate task is harmless."""
    now = timezone.now()
    stale = list(Delivery.objects.filter(status=Delivery.Status.QUEUED,
                                         created_at__lt=now - older_than)
                 .values_list("pk", flat=True)[:1000])
    stale += list(Delivery.objects.filter(status=Delivery.Status.RETRYING,
                                          next_attempt_at__lt=now - older_than)
                  .values_list("pk", flat=True)[:1000])
    enqueue(stale)
    return len(stale)
