"""Administrators' view of the staff's credentials (issue 14 items 4–5), audited.

- API tokens (``org.ApiToken``): listed for everyone, revoked one by one or in bulk; each
  revocation goes through ``accounts.revoke_token`` (its audit row names the token's first
  characters and the owner). Tokens are issued only by their owner, never here.
- TOTP devices: django-otp's own admin shows the secret key and its QR code to whoever may
  edit devices, which would let an administrator copy anyone's second factor. It is replaced
  by a list without the key: an administrator can see who has enrolled, whether a device is
  locked out, and remove a lost phone's device (audited) so its owner enrols again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from xinfang.core.models import StaffTOTPDevice
from xinfang.org.models import ApiToken

from . import accounts
from .admin_base import AuditedModelAdmin


class ApiTokenAdmin(AuditedModelAdmin):
    list_display = ["token_key", "user", "name", "created", "expiry"]
    list_filter = ["created"]
    search_fields = ["user__username", "user__display_name", "name", "token_key"]
    fields = ("token_key", "user", "name", "created", "expiry")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        accounts.revoke_token(request.user, obj, reason="admin")  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for token in list(queryset):
                accounts.revoke_token(request.user, token, reason="admin")  # type: ignore[arg-type]


class StaffDeviceAdmin(AuditedModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at",
                    "throttling_failure_count"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__display_name"]
    fields = ("user", "name", "confirmed", "created_at", "last_used_at",
              "throttling_failure_count", "throttling_failure_timestamp")
    readonly_fields = fields
    audit_redacted = frozenset({"key"})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a person enrols their own phone (账号安全); nobody else sees the secret

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.register(ApiToken, ApiTokenAdmin)
# django-otp's own device table is empty since core/0002 (the devices are StaffTOTPDevice, the
# seed encrypted); its admin, which shows keys and QR codes, is not offered.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(StaffTOTPDevice, StaffDeviceAdmin)
