from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Body, Category, ClockPolicy, Division, Holiday, HolidayYear, RoutingRule, User


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


@admin.register(HolidayYear)
class HolidayYearAdmin(admin.ModelAdmin):
    """"This year's table is complete": the only way a year stops being estimated.

    Registered audited (audit.admin re-registers org's admins on AuditedModelAdmin), and the
    action below saves through ``save_model`` so each confirmation leaves its audit row too.
    """

    list_display = ["year", "confirmed", "notice"]
    list_filter = ["confirmed"]
    actions = ["confirm_complete"]

    @admin.action(description="确认所选年度的节假日安排已完整录入")
    def confirm_complete(self, request: HttpRequest, queryset: QuerySet[HolidayYear]) -> None:
        done, refused = [], []
        for year in queryset.filter(confirmed=False):
            year.confirmed = True
            try:
                year.full_clean()
            except ValidationError:
                refused.append(str(year.year))
                continue
            self.save_model(request, year, None, True)  # audited: confirmed False → True
            done.append(str(year.year))
        if done:
            self.message_user(request, f"已确认 {'、'.join(done)} 年节假日安排完整，"
                                       "未办结的期限已按正式安排重新计算。", messages.SUCCESS)
        if refused:
            self.message_user(request, f"{'、'.join(refused)} 年尚未录入任何节假日或调休日，"
                                       "不能确认。", messages.ERROR)


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
