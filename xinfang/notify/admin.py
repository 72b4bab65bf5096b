"""Deliveries for administrators: failed ones to hand (filter by status), with every attempt.
Read-only (the record is the worker's); the address and the text stay out of the list — the
label is masked, and the text may carry a query code."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "matter", "kind", "audience", "channel", "recipient_label",
                    "status", "attempts", "last_error")
    list_filter = ("status", "channel", "audience", "kind")
    date_hierarchy = "created_at"
    fields = ("matter", "event", "kind", "audience", "channel", "recipient_label", "subject",
              "status", "attempts", "max_attempts", "log", "last_error", "task_id",
              "created_at", "claimed_at", "next_attempt_at", "sent_at")
    readonly_fields = fields
    list_select_related = ("matter",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
