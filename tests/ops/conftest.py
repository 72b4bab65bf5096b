from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _job_files(settings, tmp_path):
    """Reports and exports written by jobs go to a temporary directory."""
    settings.XINFANG_REPORTS_DIR = tmp_path / "reports"
    settings.XINFANG_EXPORTS_DIR = tmp_path / "exports"


@pytest.fixture(autouse=True)
def _only_the_sweep(request, monkeypatch):
    """`worker --once` schedules the sweep only (a PDF bulletin and a training run in every
    job test would triple their time), unless the test asks for ``all_jobs``."""
    if "all_jobs" in request.fixturenames:
        return
    from xinfang.ops import jobs

    monkeypatch.setattr(jobs, "JOBS", {name: job for name, job in jobs.JOBS.items()
                                       if name == "sweep" or job.every is None})


@pytest.fixture
def all_jobs():
    """Every scheduled job, as the worker runs them."""
