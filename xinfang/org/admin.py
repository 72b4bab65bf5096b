from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Body, Category, ClockPolicy, Division, Holiday, RoutingRule, User


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "division", "parent", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "short_name"]
    filter_horizontal = ["categories"]
    raw_id_fields = ["division", "parent"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "division", "body", "priority", "note"]
    list_filter = ["body"]
    raw_id_fields = ["division"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"


@admin.register(ClockPolicy)
class ClockPolicyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "days", "unit", "extend_on_holiday", "warn_days", "article"]


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "display_name", "role", "body", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "display_name"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("信访工作", {"fields": ("display_name", "role", "body", "phone", "title")}),
    )
