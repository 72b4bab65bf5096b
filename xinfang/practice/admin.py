from __future__ import annotations

from django.contrib import admin

from xinfang.audit.admin_base import AuditedModelAdmin
from xinfang.domain import practice as pr

from . import models as pm


@admin.register(pm.ReceptionRule)
class ReceptionRuleAdmin(AuditedModelAdmin):
    """Overrides of the domain defaults; the list shows each rule's source and certainty."""

    list_display = ["tier", "period", "min_days", "source", "certainty", "note"]

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        extra_context = extra_context or {}
        extra_context["defaults"] = [
            (r.label, r.source, pr.CERTAINTY_LABELS[r.certainty])
            for r in pr.DEFAULT_FREQUENCY.values()
        ]
        return super().changelist_view(request, extra_context)


@admin.register(pm.PracticeSettings)
class PracticeSettingsAdmin(AuditedModelAdmin):
    list_display = ["division", "daily_rota", "principal_weekday", "fixed_monthly_day",
                    "backlog_open_days", "screening_since"]
    raw_id_fields = ["division"]


@admin.register(pm.LeaderProfile)
class LeaderProfileAdmin(AuditedModelAdmin):
    list_display = ["user", "tier", "is_principal", "on_rota", "active"]
    list_filter = ["tier", "is_principal", "active"]
    raw_id_fields = ["user"]


class ReadOnlyAdmin(AuditedModelAdmin):
    """Records written by services only (one transaction with an audit row)."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(pm.ReceptionSlot)
class ReceptionSlotAdmin(ReadOnlyAdmin):
    list_display = ["day", "session", "leader", "kind", "place", "source", "status"]
    list_filter = ["kind", "status", "source"]
    date_hierarchy = "day"


@admin.register(pm.PreRegistration)
class PreRegistrationAdmin(ReadOnlyAdmin):
    list_display = ["code", "slot", "title", "status", "created_at"]
    list_filter = ["status"]
    exclude = ["name", "phone", "id_number", "phone_index", "id_index"]


@admin.register(pm.VisitRecord)
class VisitRecordAdmin(ReadOnlyAdmin):
    list_display = ["slot", "leader", "matter", "dispatch", "reported_back_at"]


class MilestoneInline(admin.TabularInline):
    model = pm.CaseMilestone
    extra = 0
    can_delete = False
    readonly_fields = ["duty", "done_on", "evidence", "recorded_by", "recorded_at"]


@admin.register(pm.Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["matter", "kind", "leader", "handler", "due_on", "status", "listed"]
    list_filter = ["kind", "status", "listed"]
    inlines = [MilestoneInline]


@admin.register(pm.Handover)
class HandoverAdmin(ReadOnlyAdmin):
    list_display = ["at", "from_user", "to_user", "by", "reason"]


@admin.register(pm.ScreeningRound)
class ScreeningRoundAdmin(ReadOnlyAdmin):
    list_display = ["conducted_on", "division", "conducted_by"]
    date_hierarchy = "conducted_on"


@admin.register(pm.DisputeEntry)
class DisputeEntryAdmin(ReadOnlyAdmin):
    list_display = ["title", "division", "risk_grade", "status", "mediation_kind"]
    list_filter = ["risk_grade", "status", "mediation_kind"]
    exclude = ["parties"]


@admin.register(pm.RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["project", "division", "assessed_on", "grade", "decision"]
    list_filter = ["grade", "decision"]


class DecisionInline(admin.TabularInline):
    model = pm.MeetingDecision
    extra = 0
    can_delete = False
    readonly_fields = ["text", "owner_body", "owner", "due_on", "done_on", "evidence"]


@admin.register(pm.Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["held_on", "kind", "title", "division"]
    inlines = [DecisionInline]
