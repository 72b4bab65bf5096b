from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "xinfang.org"
    label = "org"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "组织机构"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers xinfang.W001)
            scope,  # noqa: F401  (unit and division edits reach every process)
        )
