"""The job record for administrators: failed runs first to hand (filter by status), with the
attempts, the worker and the traceback. Read-only: the record is the worker's."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .models import JobRun, KeyRotation, WorkerHeartbeat


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("job", "slot", "status_badge", "attempts", "max_attempts", "worker",
                    "started_at", "finished_at")
    list_filter = ("status", "job")
    date_hierarchy = "slot"
    readonly_fields = ("job", "slot", "status", "attempts", "max_attempts", "task_id",
                       "enqueued_at", "started_at", "finished_at", "worker", "result",
                       "error_text")
    exclude = ("error",)

    @admin.display(description=_("状态"), ordering="status")
    def status_badge(self, obj: JobRun) -> SafeString:
        colour = {"failed": "#b00020", "retrying": "#b26a00"}.get(obj.status, "inherit")
        return format_html('<strong style="color:{}">{}</strong>', colour,
                           obj.get_status_display())

    @admin.display(description=_("错误"))
    def error_text(self, obj: JobRun) -> SafeString:
        return format_html("<pre>{}</pre>", obj.error or "—")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("worker_id", "host", "pid", "started_at", "seen_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(KeyRotation)
class KeyRotationAdmin(admin.ModelAdmin):
    """Where `xinfang rotate-field-key` stands, per table (read-only: the command's record)."""

    list_display = ("key_fingerprint", "model_label", "last_pk", "rows", "started_at",
                    "updated_at", "finished_at")
    list_filter = ("key_fingerprint",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
