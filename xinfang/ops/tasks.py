"""The django-tasks task of the job system: one attempt of one recorded run (jobs.execute)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def run_job(run_id: int) -> dict[str, Any]:
    from . import jobs

    return jobs.execute(run_id)
