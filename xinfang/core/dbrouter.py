"""Reads of the heavy read-only pages go to a streaming replica; everything else to the primary.

With ``XINFANG_REPLICA_URL`` set the settings add a ``replica`` database and this router.
A read goes to the replica only when **all** of these hold (otherwise the primary answers,
which is always correct):

- the request is one of the read-only pages named in ``settings.REPLICA_VIEWS`` (search and
  its export, the dashboard, hot topics, the practice reports, the API's search and warnings);
  nothing else is ever routed — a service that writes and reads back reads the primary;
- the model belongs to one of ``settings.REPLICA_APPS`` (the case data),
  never sessions, users' devices, audit, jobs;
- no transaction is open on the primary in this thread;
- the person did not write in the last ``XINFANG_REPLICA_PIN_SECONDS`` (read-your-own-writes:
  every POST/PUT/PATCH/DELETE response sets a short ``xf_primary`` cookie, and a request that
  carries it reads the primary);
- the replica answers and is at most ``XINFANG_REPLICA_MAX_LAG`` seconds behind (checked at
  most every few seconds per process).

Writes always go to the primary; migrations run on the primary only (the replica receives them
by replication).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

log = logging.getLogger("xinfang.dbrouter")

REPLICA = "replica"
PIN_COOKIE = "xf_primary"
_reads: contextvars.ContextVar[bool] = contextvars.ContextVar("xinfang_replica_reads",
                                                              default=False)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads of REPLICA_APPS models inside this block may go to the replica."""
    token = _reads.set(True)
    try:
        yield
    finally:
        _reads.reset(token)


class _Lag:
    """The replica's delay, measured at most every ``every`` seconds per process."""

    def __init__(self, every: float = 5.0) -> None:
        self.every, self.at, self.ok = every, -1e9, False
        self.lock = threading.Lock()

    def usable(self) -> bool:
        now = time.monotonic()
        if now - self.at < self.every:
            return self.ok
        with self.lock:
            if now - self.at < self.every:
                return self.ok
            self.ok = self._probe()
            self.at = time.monotonic()
            return self.ok

    def _probe(self) -> bool:
        limit = float(getattr(settings, "REPLICA_MAX_LAG", 30.0))
        try:
            conn = connections[REPLICA]
            with conn.cursor() as cur:
                # Caught up (everything received is replayed): no lag, however long the
                # primary has been idle; otherwise the age of the last replayed transaction.
                cur.execute("SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
                            " THEN 0 ELSE COALESCE(EXTRACT(EPOCH FROM now() - "
                            "pg_last_xact_replay_timestamp()), 1e9) END")
                lag = float(cur.fetchone()[0])
                # A replica whose stream stopped has replayed all it received: lag 0 forever.
                # Only a streaming replica is read (the role needs pg_read_all_stats to see the
                # status; without it the replica is never used — the safe side).
                cur.execute("SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'")
                if not cur.fetchone()[0]:
                    lag = 1e9
        except Exception as exc:  # unreachable replica: read the primary
            log.warning("replica unusable: %s", exc)
            with contextlib.suppress(Exception):  # closing a broken connection
                connections[REPLICA].close()
            return False
        if lag > limit:
            log.warning("replica %.1f s behind (limit %.0f s): reading the primary", lag, limit)
            return False
        return True


lag = _Lag()


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if (_reads.get() and model._meta.app_label in settings.REPLICA_APPS
                and not connections["default"].in_atomic_block):
            return REPLICA
        return "default"

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # the same data on both

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None,
                      **hints: Any) -> bool:
        return db == "default"


def pinned(request: HttpRequest) -> bool:
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
    except ValueError:
        return False


class ReplicaMiddleware:
    """Routes the reads of REPLICA_VIEWS to the replica (see the module) and pins a person who
    just wrote to the primary for XINFANG_REPLICA_PIN_SECONDS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        finally:
            token = getattr(request, "_replica_token", None)
            if token is not None:
                _reads.reset(token)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and configured():
            seconds = int(settings.REPLICA_PIN_SECONDS)
            response.set_cookie(PIN_COOKIE, f"{time.time() + seconds:.0f}", max_age=seconds,
                                httponly=True, samesite="Lax",
                                secure=bool(settings.SESSION_COOKIE_SECURE))
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> None:
        match = request.resolver_match
        if (configured() and request.method in ("GET", "HEAD") and match is not None
                and match.view_name in settings.REPLICA_VIEWS and not pinned(request)
                and lag.usable()):
            request._replica_token = _reads.set(True)  # type: ignore[attr-defined]
        return None
