from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.apps import AppConfig


def _topics_wanted(sender: Any, **kwargs: Any) -> Any:
    from . import jobs  # on first use: the job system's imports stay out of start-up

    return jobs.topics_wanted(sender, **kwargs)


def _similarity_wanted(sender: Any, **kwargs: Any) -> Any:
    from . import jobs

    return jobs.similarity_wanted(sender, **kwargs)


class OpsConfig(AppConfig):
    name = "xinfang.ops"
    label = "ops"
    verbose_name = "运行与作业"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # prometheus_client writes each process's metrics there and fails every request if
        # the directory is missing (a tmpfs /run after a reboot, say): create it.
        path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if path:
            Path(path).mkdir(parents=True, exist_ok=True)
        # A page without a fresh hot-topics result asks for the topics job (issue 19 item 5).
        from xinfang.petitions.intel import snapshot

        snapshot.wanted.connect(_topics_wanted, dispatch_uid="ops.topics_wanted")
        # A process without a same-matter index snapshot asks for the similarity job.
        from xinfang.petitions.intel import index_store

        index_store.wanted.connect(_similarity_wanted, dispatch_uid="ops.similarity_wanted")
