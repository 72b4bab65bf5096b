from __future__ import annotations

import os
from pathlib import Path

from django.apps import AppConfig


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
