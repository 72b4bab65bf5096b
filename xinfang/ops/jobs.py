"""Scheduled jobs on django-tasks with its database backend (docs/operations.md, "Jobs").

- **Schedule.** Every job has a period; the instant it falls due is its *slot* (the period's
  start, on the epoch grid). ``schedule_due`` inserts one ``JobRun`` per job and slot and
  enqueues its task in the same transaction; the unique (job, slot) constraint makes a second
  scheduler (another worker) a no-op, so a slot is enqueued once.
- **Run.** ``execute`` runs the job, records the attempt, the worker, the result or the
  traceback. A failure is retried (``max_attempts``, backing off from
  ``XINFANG_JOB_RETRY_SECONDS``) and, after the last attempt, stays ``failed`` in the admin
  list (运行与作业 › 作业运行记录) and in ``/metrics``.
- **Asked for by a page.** ``ask`` enqueues a run unless one of the job is queued, running or
  waiting for its retry (under a lock, so two requests at once enqueue one): the topics
  pages ask for the ``topics`` job when it has no fresh result (``topics_wanted``, connected
  to ``petitions.intel.snapshot.wanted`` in ``apps.py``), instead of clustering in the
  request (issue 19 item 5).
- **The sweep** runs under a PostgreSQL advisory lock, so two workers never sweep at the
  same moment; and the sweep itself is idempotent (one supervision per clock and kind), so a
  retried or repeated run changes nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from xinfang.petitions import jobs as petitions_jobs

from . import periodic
from .models import JobRun, WorkerHeartbeat

if TYPE_CHECKING:
    from django_tasks_db.management.commands.db_worker import Worker

log = logging.getLogger("xinfang.jobs")

# Who runs jobs in this process (set by `xinfang worker`; a shell or a test is "host:pid").
PROCESS_ID = f"{socket.gethostname()[:100]}:{os.getpid()}"
WORKER_ID = PROCESS_ID

SWEEP_LOCK = 0x5846_5357  # "XFSW": the advisory lock key of the deadline sweep
ASK_LOCK = 0x5846_4153  # "XFAS": held while a page's ask checks and enqueues (ask)
ACTIVE = (JobRun.Status.QUEUED, JobRun.Status.RUNNING, JobRun.Status.RETRYING)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[..., dict[str, Any]]  # called with the run's params as keywords
    every: Callable[[], int] | None  # seconds between slots; None: on demand only
    max_attempts: int = 3
    takes_run: bool = False  # called with run=<JobRun id> too (e.g. to name its file)


@contextmanager
def exclusive(key: int) -> Iterator[None]:
    """One holder at a time across processes: a PostgreSQL session advisory lock (waits for
    the holder). SQLite serialises writers already, and runs one worker."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [key])


def _sweep() -> dict[str, Any]:
    with exclusive(SWEEP_LOCK):
        result = dict(petitions_jobs.sweep().as_dict())
        # The audit chain's head to the anchor file, off the database (issue 14 item 10).
        petitions_jobs.anchor_audit_chain()
        return result


def _notify() -> dict[str, Any]:
    from xinfang.notify import sweep as notify_sweep

    return notify_sweep.run()


def _notify_digest() -> dict[str, Any]:
    from xinfang.notify import sweep as notify_sweep

    return dict(notify_sweep.digest())


JOBS: dict[str, Job] = {
    "sweep": Job("sweep", _sweep, lambda: int(settings.XINFANG_SWEEP_INTERVAL)),
    # ops.periodic: the monthly bulletins as files, the category model, large exports.
    "reports": Job("reports", periodic.monthly_reports,
                   lambda: int(settings.XINFANG_REPORTS_INTERVAL)),
    "retrain": Job("retrain", periodic.retrain, lambda: int(settings.XINFANG_RETRAIN_INTERVAL),
                   max_attempts=2),
    "export": Job("export", periodic.export, None, takes_run=True),
    # Notifications (xinfang.notify.sweep): windows about to close, lost tasks; the digest
    # once a day (the UTC day's slot: 08:00 in China).
    "notify": Job("notify", _notify, lambda: int(settings.XINFANG_SWEEP_INTERVAL)),
    "notify_digest": Job("notify_digest", _notify_digest, lambda: 24 * 3600),
    # issue 18: /topics/ and the topic warnings read the stored result of this job.
    "topics": Job("topics", periodic.topics, lambda: int(settings.XINFANG_TOPICS_INTERVAL),
                  max_attempts=2),
    # issue 19 item 5: the same-matter index, built once and memory-mapped by the web workers
    # (petitions.intel.index_store); a run is a no-op until enough new matters (or 6 h).
    "similarity": Job("similarity", periodic.similarity,
                      lambda: int(settings.XINFANG_SIMILARITY_INTERVAL), max_attempts=2),
}


def slot_of(now: datetime, every: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % max(every, 1), UTC)


def enqueue(name: str, slot: datetime | None = None,
            params: dict[str, Any] | None = None) -> JobRun | None:
    """Record and enqueue one run of ``name`` for ``slot`` (default: now, a one-off run) with
    ``params`` (JSON; passed to the job as keywords). None when that slot has a run already
    (another scheduler was first)."""
    from .tasks import run_job

    job = JOBS[name]
    slot = slot or timezone.now()
    try:
        with transaction.atomic():
            run = JobRun.objects.create(job=name, slot=slot, max_attempts=job.max_attempts,
                                        params=params or {})
            result = run_job.enqueue(run.pk)
            JobRun.objects.filter(pk=run.pk).update(task_id=str(result.id))
    except IntegrityError:
        return None
    run.task_id = str(result.id)
    return run


def _active(name: str, since: datetime) -> JobRun | None:
    return (JobRun.objects.filter(job=name, status__in=ACTIVE, enqueued_at__gt=since)
            .order_by("-enqueued_at", "-id").first())


def ask(name: str, now: datetime | None = None, *,
        forget_after: timedelta = timedelta(hours=1)) -> JobRun:
    """A run of ``name`` soon: the one already queued, running or waiting for its retry,
    else a new one (a one-off). Two askers at once enqueue one: the check and the enqueue
    hold a lock (PostgreSQL: a transaction advisory lock; SQLite: the write lock that every
    transaction takes, ``transaction_mode`` IMMEDIATE). A run enqueued more than
    ``forget_after`` ago and still not finished is taken for lost (a worker killed mid-run
    leaves it 运行中) and does not hold a new one back."""
    now = now or timezone.now()
    since = now - forget_after
    run = _active(name, since)  # the common case reads only, without a lock
    if run is not None:
        return run
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [ASK_LOCK])
        run = _active(name, since)
        if run is None:
            run = enqueue(name, now)
        if run is None:  # a scheduler's slot at this very instant
            run = JobRun.objects.get(job=name, slot=now)
    return run


def topics_wanted(sender: Any, now: datetime, **kwargs: Any) -> Any:
    """The receiver of ``petitions.intel.snapshot.wanted``: the topics job, asked for once."""
    from xinfang.petitions.intel import snapshot

    run = ask("topics", now, forget_after=max(timedelta(seconds=snapshot.stale_seconds()),
                                              timedelta(hours=1)))
    return snapshot.Pending(asked_at=run.enqueued_at, status=run.status,
                            started_at=run.started_at)


def similarity_wanted(sender: Any, **kwargs: Any) -> None:
    """The receiver of ``petitions.intel.index_store.wanted``: the similarity job, asked for
    once (a full build at 1M takes minutes: a run is not taken for lost before 2 h)."""
    ask("similarity", forget_after=timedelta(hours=2))


def _covered(job: Job, slot: datetime, now: datetime, every: int) -> bool:
    """Whether the slot needs no run of its own: one was enqueued since the slot began (the
    slot's own, or one a page asked for, ``ask``) and has not failed, one finished since it
    began, or one enqueued before it is still queued, running or retrying and not yet taken
    for lost (as ``ask`` judges)."""
    forget = now - max(timedelta(seconds=every), timedelta(hours=1))
    return (JobRun.objects.filter(job=job.name)
            .filter(Q(slot=slot) | Q(enqueued_at__gte=slot) & ~Q(status=JobRun.Status.FAILED)
                    | Q(status=JobRun.Status.SUCCEEDED, finished_at__gte=slot)
                    | Q(status__in=ACTIVE, enqueued_at__gt=forget))
            .exists())


def schedule_due(now: datetime | None = None) -> list[JobRun]:
    """Enqueue every job whose current slot has no run yet — nor a run a page asked for
    since the slot began, nor one still going: the topics job clusters a county's text for
    minutes, and two of them at once would only repeat each other (issue 19 item 5)."""
    now = now or timezone.now()
    out = []
    for job in JOBS.values():
        if job.every is None:
            continue
        every = job.every()
        slot = slot_of(now, every)
        if _covered(job, slot, now, every):
            continue
        run = enqueue(job.name, slot)
        if run is not None:
            out.append(run)
    return out


def retry_delay(attempt: int) -> timedelta:
    base = int(os.environ.get("XINFANG_JOB_RETRY_SECONDS", "30"))
    return timedelta(seconds=base * 2 ** max(attempt - 1, 0))


def execute(run_id: int) -> dict[str, Any]:
    """Run one attempt of a recorded job (called by the task in the worker)."""
    from .tasks import run_job

    JobRun.objects.filter(pk=run_id).update(
        status=JobRun.Status.RUNNING, attempts=F("attempts") + 1, started_at=timezone.now(),
        worker=WORKER_ID)
    run = JobRun.objects.get(pk=run_id)
    try:
        job = JOBS[run.job]
        params = dict(run.params or {})
        if job.takes_run:
            params["run"] = run.pk
        result = job.run(**params)
    except Exception:
        error = traceback.format_exc()
        if run.attempts < run.max_attempts:
            delay = retry_delay(run.attempts)
            with transaction.atomic():
                JobRun.objects.filter(pk=run_id).update(status=JobRun.Status.RETRYING,
                                                        error=error)
                again = run_job.using(run_after=timezone.now() + delay).enqueue(run_id)
                JobRun.objects.filter(pk=run_id).update(task_id=str(again.id))
            log.exception("job %s (run %s) failed, attempt %s of %s; retry in %ss",
                          run.job, run_id, run.attempts, run.max_attempts,
                          int(delay.total_seconds()))
        else:
            JobRun.objects.filter(pk=run_id).update(
                status=JobRun.Status.FAILED, error=error, finished_at=timezone.now())
            log.exception("job %s (run %s) failed after %s attempts", run.job, run_id,
                          run.attempts)
        raise
    JobRun.objects.filter(pk=run_id).update(
        status=JobRun.Status.SUCCEEDED, result=result, error="", finished_at=timezone.now())
    log.info("job %s (run %s) %s", run.job, run_id, result)
    return result


def task_worker(worker_id: str, *, interval: float, batch: bool) -> Worker:
    """django-tasks-db's worker loop on the default queue (``xinfang worker``, the benches):
    claims each ready task with SKIP LOCKED and runs it; ``batch``: until none is left."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(queue_names=["default"], interval=interval, batch=batch,
                  backend_name="default", startup_delay=False, max_tasks=None,
                  worker_id=worker_id, excluded_queue_names=[])


def beat(worker_id: str, started_at: datetime) -> None:
    """This worker is alive; workers silent for a day are forgotten."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": socket.gethostname(), "pid": os.getpid(), "started_at": started_at,
                  "seen_at": now})
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()


def last_success(name: str) -> JobRun | None:
    return (JobRun.objects.filter(job=name, status=JobRun.Status.SUCCEEDED)
            .order_by("-finished_at").first())
