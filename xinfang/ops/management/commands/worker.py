"""`xinfang worker`: the background job worker (replaces `xinfang sweep --loop`).

One process: a scheduler thread that says the worker is alive and enqueues every job whose
slot has come (once per slot, whichever worker is first), and django-tasks-db's worker loop
that runs queued tasks with their retries. Several workers may run on PostgreSQL (tasks are
claimed with SKIP LOCKED); run one on SQLite. `--once` schedules what is due, runs the queue
empty and exits (cron, tests).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string

from xinfang.ops import jobs

log = logging.getLogger("xinfang.jobs")


class Command(BaseCommand):
    help = "后台作业进程：按计划排入期限巡检等作业并执行（失败重试，每次运行留有记录）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true",
                            help="schedule what is due, run the queue empty, exit")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds between polls of the queue")
        parser.add_argument("--beat", type=float, default=5.0,
                            help="seconds between heartbeats and schedule checks")

    def handle(self, *args: Any, **opts: Any) -> None:
        worker_id = get_random_string(12)
        # Set, not appended: a process that runs the command again (the tests) keeps one id.
        jobs.WORKER_ID = f"{jobs.PROCESS_ID}:{worker_id}"
        started = timezone.now()
        if opts["once"]:
            jobs.beat(worker_id, started)
            jobs.schedule_due()
            jobs.task_worker(worker_id, interval=opts["interval"], batch=True).run()
            return
        stop = threading.Event()
        thread = threading.Thread(target=self._scheduler, name="xinfang-scheduler",
                                  args=(worker_id, started, opts["beat"], stop), daemon=True)
        thread.start()
        log.info("worker %s started", jobs.WORKER_ID)
        worker = jobs.task_worker(worker_id, interval=opts["interval"], batch=False)
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()

    @staticmethod
    def _scheduler(worker_id: str, started: Any, every: float, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                jobs.beat(worker_id, started)
                for run in jobs.schedule_due():
                    log.info("scheduled %s for %s", run.job, run.slot.isoformat())
            except Exception:  # the database may be away for a moment; try again next beat
                log.exception("scheduler beat failed")
            finally:
                # A thread outside the request cycle must hand its pooled connection back
                # (recipes §16), or the pool runs dry.
                close_old_connections()
                connection.close()
            stop.wait(every)
