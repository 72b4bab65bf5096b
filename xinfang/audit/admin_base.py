"""Admin edits are writes too: each save or delete leaves one audit row (issue 12).

``AuditedModelAdmin`` records, in the admin's own transaction, which fields changed with
their old and new values. Secrets and personal data are never copied into the log: for a
password, an encrypted field or a field named in ``audit_redacted`` the row says only that
it changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.db import models, transaction
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from xinfang.core.crypto import EncryptedTextField

from . import services as audit

# Never logged by value, whatever the model: credentials and a person's contact data.
REDACTED = frozenset({"password", "totp_secret", "phone", "email", "first_name", "last_name"})


def object_type(obj: models.Model) -> str:
    return obj._meta.label_lower  # e.g. "org.holiday"


def _redacted(field: models.Field[Any, Any], extra: frozenset[str]) -> bool:
    return (field.name in REDACTED or field.name in extra
            or isinstance(field, EncryptedTextField))


def _plain(value: Any) -> Any:
    """A JSON-friendly value: a related object by its key, a date as ISO text."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (str, bytes, dict)):
        return value
    if hasattr(value, "__iter__"):  # a many-to-many value: list or queryset
        return sorted(_plain(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The concrete fields' values as stored (foreign keys by id)."""
    return {f.name: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def diff(model: type[models.Model], old: dict[str, Any] | None, new: dict[str, Any],
         extra: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Changed fields → {"old", "new"}, or {"changed": True} for a redacted field."""
    out: dict[str, Any] = {}
    fields = {f.name: f for f in model._meta.get_fields() if isinstance(f, models.Field)}
    for name, value in new.items():
        before = None if old is None else old.get(name)
        if old is not None and before == value:
            continue
        if old is None and value in (None, "", []):
            continue  # an add records what was set, not every empty field
        field = fields.get(name)
        if field is not None and _redacted(field, extra):
            out[name] = {"changed": True}
        else:
            out[name] = {"old": _plain(before), "new": _plain(value)}
    return out


class AuditedModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose every save and delete writes one audit row naming the fields."""

    audit_redacted: frozenset[str] = frozenset()

    def _m2m(self, form: ModelForm[Any] | None, old: bool) -> dict[str, Any]:
        if form is None:
            return {}
        m2m = {f.name for f in self.model._meta.many_to_many}
        return {name: (form.initial.get(name, []) if old else form.cleaned_data.get(name, []))
                for name in form.changed_data if name in m2m}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        old = None
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            old = snapshot(stored) if stored is not None else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            old_all = None if old is None else {**old, **self._m2m(form, old=True)}
            fields = diff(type(obj), old_all, {**snapshot(obj), **self._m2m(form, old=False)},
                          self.audit_redacted)
            if change and not fields:
                return  # saved unchanged: nothing happened
            audit.record("admin_change" if change else "admin_add", actor=request.user,
                         object_type=object_type(obj), object_id=obj.pk,
                         data={"object": str(obj)[:100], "fields": fields})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        pk, label = obj.pk, str(obj)[:100]
        with transaction.atomic():
            super().delete_model(request, obj)
            audit.record("admin_delete", actor=request.user, object_type=object_type(obj),
                         object_id=pk, data={"object": label})

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # One row per deleted object, so each object's history ends with its deletion.
        with transaction.atomic():
            gone = [(o.pk, str(o)[:100]) for o in queryset]
            super().delete_queryset(request, queryset)
            for pk, label in gone:
                audit.record("admin_delete", actor=request.user,
                             object_type=self.model._meta.label_lower, object_id=pk,
                             data={"object": label})


class AuditedUserAdmin(AuditedModelAdmin, UserAdmin):  # type: ignore[type-arg]
    """The staff admin: role, unit and flags as above; the separate 'change password' page
    leaves one row that says only that the password changed (never the hash)."""

    def user_change_password(self, request: HttpRequest, id: str,
                             form_url: str = "") -> HttpResponse:
        users = self.model._default_manager.filter(pk=unquote(id)).values_list("password",
                                                                               flat=True)
        with transaction.atomic():
            before = users.first()
            response = super().user_change_password(request, id, form_url)
            if before is not None and users.first() != before:
                user = self.model._default_manager.get(pk=unquote(id))
                audit.record("admin_password", actor=request.user, object_type=object_type(user),
                             object_id=user.pk, data={"object": str(user)[:100],
                                                      "fields": {"password": {"changed": True}}})
        return response
