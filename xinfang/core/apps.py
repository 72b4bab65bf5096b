from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "xinfang.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from . import store  # noqa: F401  (registers the store's system check)
