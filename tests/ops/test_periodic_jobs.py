"""Report generation, model retraining and exports as queued jobs (issue 15 item 3): each run
recorded, the scheduled ones once per slot, the files written whole."""

from __future__ import annotations

from io import BytesIO

import pytest
import time_machine
from django.core.management import call_command
from openpyxl import load_workbook

from tests.conftest import sh
from tests.scenario import register
from xinfang.audit.models import AuditLog
from xinfang.ops import jobs
from xinfang.ops.models import JobRun


@pytest.fixture
def matters(transactional_db, county):
    with time_machine.travel(sh(2026, 2, 10), tick=False):
        return [register(county, sh(2026, 2, 10), phone=f"1390000{i:04d}") for i in range(3)]


def test_the_worker_writes_last_months_bulletins_once_and_retrains(matters, county, settings,
                                                                     all_jobs):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        call_command("worker", "--once")
    reports = JobRun.objects.get(job="reports")
    assert reports.status == JobRun.Status.SUCCEEDED, reports.error
    assert reports.result["month"] == "2026-02"
    code = county.xinfang.division_id
    pdf = settings.XINFANG_REPORTS_DIR / code / "2026-02.pdf"
    xlsx = settings.XINFANG_REPORTS_DIR / code / "2026-02.xlsx"
    assert pdf.read_bytes().startswith(b"%PDF")
    sheet = load_workbook(BytesIO(xlsx.read_bytes())).active
    assert "2026年2月" in str(sheet["A1"].value) or "2026" in str(sheet["A1"].value)
    assert f"{code}/2026-02" in reports.result["written"]

    retrain = JobRun.objects.get(job="retrain")
    assert retrain.status == JobRun.Status.SUCCEEDED, retrain.error
    assert retrain.result["trained"] is False  # three matters: too few, and it says so
    assert "标注事项不足" in retrain.result["reason"]

    # The next day's run finds the files and leaves them.
    stamp = pdf.stat().st_mtime_ns
    with time_machine.travel(sh(2026, 3, 3), tick=False):
        call_command("worker", "--once")
    again = JobRun.objects.filter(job="reports").order_by("-slot").first()
    assert again.pk != reports.pk and again.result["written"] == []
    assert pdf.stat().st_mtime_ns == stamp


def test_a_queued_export_has_the_pages_scope_masking_and_audit(matters, county, settings):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        run = jobs.enqueue("export", params={"user": county.users["registrar"].pk,
                                             "filters": {"q": "停车费"}})
        call_command("worker", "--once")
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    assert run.result["rows"] == 3
    book = load_workbook(settings.XINFANG_EXPORTS_DIR / run.result["file"]).active
    rows = list(book.iter_rows(values_only=True))
    assert rows[0][0] == "信访件编号" and len(rows) == 4
    assert all("*" in str(r[-1]) for r in rows[1:])  # phones masked
    assert AuditLog.objects.filter(action="export", actor=county.users["registrar"]).exists()


def test_a_failed_export_is_retried_and_recorded(matters, county, settings, monkeypatch):
    monkeypatch.setenv("XINFANG_JOB_RETRY_SECONDS", "0")
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        run = jobs.enqueue("export", params={"user": 999999, "filters": {}})
        call_command("worker", "--once")
    run.refresh_from_db()
    assert run.status == JobRun.Status.FAILED and run.attempts == run.max_attempts == 3
    assert "DoesNotExist" in run.error
