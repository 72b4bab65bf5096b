"""The job system: the sweep as a scheduled job in `xinfang worker`, once per slot, retried,
recorded, failures shown to administrators; /healthz; a cache that follows another process."""

from __future__ import annotations

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import register
from xinfang.core import versioned
from xinfang.ops import jobs
from xinfang.ops.models import JobRun
from xinfang.org.models import ClockPolicy
from xinfang.petitions import clocks
from xinfang.petitions.models import Supervision


@pytest.fixture
def overdue(transactional_db, county):
    """A matter whose 登记 clock (D1) ran out on 03-17; the worker runs on 03-27."""
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        return register(county, sh(2026, 3, 2))


def test_the_worker_runs_the_sweep_once_per_slot_and_records_the_run(overdue):
    with time_machine.travel(sh(2026, 3, 27), tick=False):
        call_command("worker", "--once")
        call_command("worker", "--once")  # a second worker in the same slot: nothing to do
    [run] = JobRun.objects.filter(job="sweep")
    assert run.status == JobRun.Status.SUCCEEDED and run.attempts == 1
    assert run.result["overdue"] == 1 and run.result["supervisions"] == 1
    assert run.worker and run.finished_at is not None
    assert Supervision.objects.filter(matter=overdue, kind="overdue").count() == 1


def test_a_failing_job_is_retried_then_listed_as_failed_for_administrators(
        overdue, monkeypatch, login, county):
    calls = []

    def broken() -> dict[str, int]:
        calls.append(1)
        raise RuntimeError("数据库连接中断")

    monkeypatch.setitem(jobs.JOBS, "sweep", jobs.Job("sweep", broken, lambda: 300,
                                                     max_attempts=2))
    monkeypatch.setenv("XINFANG_JOB_RETRY_SECONDS", "0")
    with time_machine.travel(sh(2026, 3, 27), tick=False):
        call_command("worker", "--once")
    [run] = JobRun.objects.filter(job="sweep")
    assert len(calls) == 2 and run.attempts == 2
    assert run.status == JobRun.Status.FAILED and "数据库连接中断" in run.error

    client = login(county.users["admin"])
    page = client.get(reverse("admin:ops_jobrun_changelist") + "?status__exact=failed")
    assert page.status_code == 200
    text = page.content.decode()
    assert "失败" in text and "sweep" in text
    detail = client.get(reverse("admin:ops_jobrun_change", args=[run.pk])).content.decode()
    assert "数据库连接中断" in detail
    # …and to the monitoring, which alerts on it.
    metrics = client.get("/metrics").content.decode()
    assert "\nxinfang_job_failures_total_recorded 1.0\n" in metrics
    assert 'xinfang_job_runs{job="sweep",status="failed"} 1.0' in metrics


def test_healthz_needs_the_worker_and_a_recent_sweep_in_production(overdue, client, settings):
    settings.PRODUCTION = True
    with time_machine.travel(sh(2026, 3, 27), tick=False):
        before = client.get("/healthz")
        call_command("worker", "--once")
        after = client.get("/healthz")
    assert before.status_code == 503 and before.json()["status"] == "fail"
    assert before.json()["checks"]["worker"]["ok"] is False
    assert before.json()["checks"]["database"]["ok"] is True
    assert after.status_code == 200, after.json()
    body = after.json()["checks"]
    assert body["worker"]["ok"] and body["sweep"]["ok"] and body["cache"]["ok"]


def test_healthz_answers_503_when_the_database_is_away(db, client, monkeypatch):
    from django.db.utils import OperationalError

    from xinfang.ops import health

    def down() -> dict[str, object]:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "check_database", down)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["checks"]["database"] == {"ok": False, "error": "OperationalError",
                                              "required": True}


def test_a_time_limit_edited_in_another_process_is_used_here(county, monkeypatch):
    """gunicorn workers and the job worker each cache the time limits; an edit made in one
    process (here: a row changed without this process's signal, and the shared version
    bumped as that process's save would) reaches the others."""
    monkeypatch.setattr(versioned, "CHECK_SECONDS", 0.0)
    before = clocks.rules()["D1"].days
    ClockPolicy.objects.update_or_create(code="D1", defaults={
        "name": "登记", "days": before + 7, "unit": "working", "article": "§17"})
    clocks.rules()  # may still be the old value in this process until the version moves
    ClockPolicy.objects.filter(code="D1").update(days=before + 9)  # another process's edit…
    versioned.bump("clocks.rules")  # …and its bump of the shared version
    assert clocks.rules()["D1"].days == before + 9


def test_healthz_tells_an_outside_caller_only_whether_each_check_passed(db, client, settings):
    """A load balancer needs pass or fail; the database vendor, the cache backend and an
    exception's class are for the operator (the /metrics token, or this host)."""
    settings.XINFANG_METRICS_TOKEN = "s3cret-token"
    outside = client.get("/healthz", REMOTE_ADDR="203.0.113.9").json()["checks"]
    assert outside["database"] == {"ok": True, "required": True}
    assert "backend" not in outside["cache"] and outside["cache"]["ok"] is True
    proxied = client.get("/healthz", HTTP_X_FORWARDED_FOR="203.0.113.9").json()["checks"]
    assert "vendor" not in proxied["database"]
    operator = client.get("/healthz", REMOTE_ADDR="203.0.113.9",
                          HTTP_AUTHORIZATION="Bearer s3cret-token").json()["checks"]
    assert operator["database"]["vendor"] in ("sqlite", "postgresql")
    assert operator["cache"]["backend"]


def test_a_registrations_sms_task_commits_with_it_or_not_at_all(transactional_db, county,
                                                               monkeypatch):
    """The delivery and its task are one commit (the queue is a table of the same database):
    a committed registration cannot lose its SMS to a crash before a second transaction, and
    one rolled back leaves neither the delivery nor a task the worker would run."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from xinfang.notify.models import Delivery

    # The process dies right after each commit: nothing registered with on_commit runs.
    monkeypatch.setattr(transaction, "on_commit", lambda *a, **k: None)
    when = sh(2026, 3, 2, 9)
    with time_machine.travel(when, tick=False):
        kept = register(county, when)
        with pytest.raises(RuntimeError), transaction.atomic():
            register(county, when, title="撤销的登记")
            raise RuntimeError("the act fails after the registration's writes")
    sms = Delivery.objects.get(matter=kept, audience="petitioner", channel="sms")
    task = DBTaskResult.objects.get(id=sms.task_id)
    assert task.args_kwargs["args"] == [sms.pk] and task.status == "READY"
    assert Delivery.objects.count() == DBTaskResult.objects.count()  # no orphan either way
    call_command("worker", "--once")
    sms.refresh_from_db()
    assert sms.status == "sent"
