from __future__ import annotations

from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "xinfang.notify"
    label = "notify"
    verbose_name = "通知"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import planner

        planner.connect()
