from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

import xinfang.org.admin  # noqa: F401  (registers org's admins, audited below)

from . import admin_accounts  # noqa: F401  (API tokens and TOTP devices, audited)
from .admin_base import AuditedModelAdmin, AuditedUserAdmin
from .models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["id", "at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False


# Organisation data (staff and their roles, holidays, time limits, routing rules, bodies,
# divisions, categories) is edited here by administrators, and every edit is audited. org sits
# below audit in the layers, so org's admin classes cannot subclass AuditedModelAdmin
# themselves: they are re-registered here as audited subclasses (the practice app's admin
# subclasses it directly).
def _audit_admins_of(app_label: str) -> None:
    for model, model_admin in list(admin.site._registry.items()):
        base = type(model_admin)
        if model._meta.app_label != app_label or isinstance(model_admin, AuditedModelAdmin):
            continue
        mixin = AuditedUserAdmin if issubclass(base, UserAdmin) else AuditedModelAdmin
        audited = type(base.__name__, (mixin, base), {"__module__": base.__module__,
                                                     "__doc__": base.__doc__})
        admin.site.unregister(model)
        admin.site.register(model, audited)


_audit_admins_of("org")
