"""Prometheus `/metrics`: request latency by view, and at each scrape the queue depth, the
overdue counts, failed jobs, failed and retrying notification deliveries and the age of the worker's heartbeat and of the last sweep.

Under gunicorn, each worker process keeps its own request histogram; with
``PROMETHEUS_MULTIPROC_DIR`` set (``make serve`` and the systemd unit set it, and
deploy/gunicorn.conf.py cleans up after a dead worker) a scrape adds them all up.

Who may scrape: a request that carries ``Authorization: Bearer <XINFANG_METRICS_TOKEN>``,
or one made on this machine directly (loopback address and no proxy header: a reverse proxy
on the same host forwards from 127.0.0.1 too, so a forwarded request needs the token).
Anyone else gets 404, as for a page that does not exist.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

from xinfang.notify.models import Delivery
from xinfang.petitions.filters import overdue_q
from xinfang.petitions.models import Clock, Matter

from .models import JobRun, WorkerHeartbeat

REQUEST_SECONDS = Histogram(
    "xinfang_http_request_duration_seconds", "Time to answer a request, by view",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
_PROXY_HEADERS = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Real-IP", "Forwarded")
_LOCAL = ("127.0.0.1", "::1")


class MetricsMiddleware:
    """Times every request that reaches Django, labelled by the URL name of its view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match else "unresolved"
        REQUEST_SECONDS.labels(view, request.method or "-", str(response.status_code)).observe(
            time.perf_counter() - start)
        return response


class StateCollector(Collector):
    """Read at each scrape from the database: what an operator alerts on."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django_tasks_db.models import DBTaskResult

        today = timezone.localdate()
        queue = GaugeMetricFamily("xinfang_job_queue_depth", "Tasks ready to run now")
        queue.add_metric([], DBTaskResult.objects.ready().count())
        yield queue
        runs = GaugeMetricFamily("xinfang_job_runs", "Recorded job runs by job and status",
                                 labels=["job", "status"])
        for row in JobRun.objects.values("job", "status").order_by().annotate(n=Count("id")):
            runs.add_metric([row["job"], row["status"]], row["n"])
        yield runs
        failed = GaugeMetricFamily("xinfang_job_failures_total_recorded",
                                   "Job runs failed after their last attempt")
        failed.add_metric([], JobRun.objects.filter(status=JobRun.Status.FAILED).count())
        yield failed
        yield from _deliveries()
        overdue = GaugeMetricFamily("xinfang_overdue_matters", "Open matters past a deadline")
        overdue.add_metric([], Matter.objects.filter(overdue_q(today)).count())
        yield overdue
        clocks = GaugeMetricFamily("xinfang_overdue_clocks", "Open clocks past due, by code",
                                   labels=["code"])
        for code, n in _overdue_clocks(today):
            clocks.add_metric([code], n)
        yield clocks
        beat = GaugeMetricFamily("xinfang_worker_heartbeat_age_seconds",
                                 "Seconds since a job worker was last seen (-1: never)")
        seen = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
        beat.add_metric([], (timezone.now() - seen).total_seconds() if seen else -1)
        yield beat
        sweep = GaugeMetricFamily("xinfang_sweep_last_success_age_seconds",
                                  "Seconds since the deadline sweep last succeeded (-1: never)")
        last = (JobRun.objects.filter(job="sweep", status=JobRun.Status.SUCCEEDED)
                .order_by("-finished_at").values_list("finished_at", flat=True).first())
        sweep.add_metric([], (timezone.now() - last).total_seconds() if last else -1)
        yield sweep


def _deliveries() -> Iterator[GaugeMetricFamily]:
    """Notification deliveries in trouble, by channel ("none": a unit with no address)."""
    rows = (Delivery.objects.filter(status__in=[Delivery.Status.FAILED, Delivery.Status.RETRYING])
            .values("status", "channel").order_by().annotate(n=Count("id")))
    counts = {(r["status"], r["channel"]): r["n"] for r in rows}
    for status, name, doc in (
            (Delivery.Status.FAILED, "xinfang_notify_deliveries_failed",
             "Notification deliveries failed after their last attempt or with no address"),
            (Delivery.Status.RETRYING, "xinfang_notify_deliveries_retrying",
             "Notification deliveries waiting to be tried again")):
        total = GaugeMetricFamily(name, doc)
        total.add_metric([], sum(n for (s, _), n in counts.items() if s == status))
        yield total
        by_channel = GaugeMetricFamily(f"{name}_by_channel", doc + ", by channel",
                                       labels=["channel"])
        for (s, channel), n in sorted(counts.items()):
            if s == status:
                by_channel.add_metric([channel], n)
        yield by_channel


def _overdue_clocks(today: Any) -> list[tuple[str, int]]:
    rows = (Clock.objects.filter(met_on__isnull=True, due_on__lt=today)
            .values("code").order_by("code").annotate(n=Count("id")))
    return [(r["code"], r["n"]) for r in rows]


def allowed(request: HttpRequest) -> bool:
    token = str(settings.XINFANG_METRICS_TOKEN)
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(
            given[7:].strip().encode(), token.encode()):
        return True
    local = request.META.get("REMOTE_ADDR") in _LOCAL
    return local and not any(h in request.headers for h in _PROXY_HEADERS)


def registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        reg = CollectorRegistry()
        MultiProcessCollector(reg)  # type: ignore[no-untyped-call]
    else:
        reg = CollectorRegistry()
        reg.register(_ProcessMetrics())
    reg.register(StateCollector())
    return reg


class _ProcessMetrics(Collector):
    """This process's own metrics (one process: the demo, a test)."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        raise Http404
    return HttpResponse(generate_latest(registry()),
                        content_type="text/plain; version=0.0.4; charset=utf-8")
