"""`/healthz`: is this instance fit to serve? JSON, 200 when every required check passes,
503 otherwise (a load balancer or systemd's watchdog takes the instance out).

Checks: the database answers, the cache stores and returns a value, a job worker was seen
lately (``XINFANG_HEARTBEAT_MAX_AGE`` s), and the deadline sweep last succeeded within two
of its periods plus a grace minute. Worker and sweep are required in production (where the
worker is a separate process); elsewhere they are reported but do not fail the check (the
demo sweeps inside its server process).

What the stack is made of (database vendor, cache backend, an exception's class) is told only
to a caller /metrics would answer (its bearer token, or this host without a proxy in front):
anyone else learns whether each check passed, not what to attack.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import jobs, metrics
from .models import WorkerHeartbeat


def _age(then: Any) -> float | None:
    return None if then is None else round((timezone.now() - then).total_seconds(), 1)


def check_database() -> dict[str, Any]:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def check_cache() -> dict[str, Any]:
    # A key of its own per probe: concurrent probes must not read each other's value.
    value = uuid.uuid4().hex
    key = f"xinfang:healthz:{value}"
    cache.set(key, value, 30)
    ok = cache.get(key) == value
    cache.delete(key)
    return {"ok": ok, "backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def check_worker() -> dict[str, Any]:
    limit = float(os.environ.get("XINFANG_HEARTBEAT_MAX_AGE", "60"))
    seen = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    age = _age(seen)
    return {"ok": age is not None and age <= limit, "heartbeat_age_s": age, "max_age_s": limit}


def check_sweep() -> dict[str, Any]:
    period = int(settings.XINFANG_SWEEP_INTERVAL)
    limit = 2 * period + 60
    run = jobs.last_success("sweep")
    age = _age(run.finished_at if run else None)
    return {"ok": age is not None and age <= limit, "last_success_age_s": age,
            "max_age_s": limit}


def report() -> tuple[bool, dict[str, Any]]:
    required = {"database": True, "cache": True,
                "worker": settings.PRODUCTION, "sweep": settings.PRODUCTION}
    checks: dict[str, dict[str, Any]] = {}
    for name, fn in (("database", check_database), ("cache", check_cache),
                     ("worker", check_worker), ("sweep", check_sweep)):
        try:
            checks[name] = fn()
        except Exception as exc:  # the check's failure is its answer, never a 500
            checks[name] = {"ok": False, "error": type(exc).__name__}
        checks[name]["required"] = required[name]
        if name == "database" and not checks[name]["ok"]:
            for rest in ("worker", "sweep"):  # they read the database too
                checks[rest] = {"ok": False, "error": "database", "required": required[rest]}
            break
    from xinfang.core import dbrouter

    if dbrouter.configured():  # informational: a lagging replica is skipped, not fatal
        checks["replica"] = {"ok": dbrouter.lag.usable(), "required": False,
                             "max_lag_s": settings.REPLICA_MAX_LAG}
    ok = all(c["ok"] for c in checks.values() if c["required"])
    return ok, checks


_PRIVATE = frozenset({"vendor", "backend", "error"})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    ok, checks = report()
    if not metrics.allowed(request):
        checks = {name: {k: v for k, v in c.items() if k not in _PRIVATE}
                  for name, c in checks.items()}
    return JsonResponse({"status": "ok" if ok else "fail", "checks": checks},
                        status=200 if ok else 503, json_dumps_params={"ensure_ascii": False})
