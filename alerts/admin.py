"""Admin for alerts, and for the settings the supervisors edit: SLA policies, business calendars, KPI warning lines.

The SLA models live in `tickets` (the clocks are part of a ticket) but are administered here, next to the sweep
that uses them. Clock rows and alerts are read-only: only the services and the sweep write them.
"""

from typing import Any

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from alerts.models import Alert, KpiPeriodResult, KpiThreshold, Notification
from tickets import roles
from tickets.models import BusinessCalendar, CalendarDay, SlaPolicy


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "holiday_country")
    inlines = [CalendarDayInline]


class SlaPolicyForm(forms.ModelForm):
    """The escalation actions are checked as the desk API checks a rule's: the error names the action."""

    class Meta:
        model = SlaPolicy
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose what is shown)

    def _clean_actions(self, name: str) -> list:
        from aftersales.errors import InvalidInput
        from tickets.services.actions import actions_validate

        value = self.cleaned_data.get(name) or []
        try:
            actions_validate(value)
        except InvalidInput as error:
            messages = (f"{path}: {' '.join(msgs)}" for path, msgs in error.errors.items())
            raise forms.ValidationError("; ".join(messages)) from error
        return value

    def clean_level2_actions(self) -> list:
        return self._clean_actions("level2_actions")

    def clean_level3_actions(self) -> list:
        return self._clean_actions("level3_actions")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    list_display = (
        "name",
        "position",
        "is_active",
        "kind",
        "category",
        "severity",
        "channel",
        "storefront",
        "calendar",
        "acknowledgement_minutes",
        "response_minutes",
        "resolution_minutes",
        "refund_minutes",
        "warning_percent",
    )
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    fieldsets = (
        (None, {"fields": ("name", "position", "is_active")}),
        ("Conditions", {"fields": ("kind", "category", "severity", "channel", "storefront")}),
        (
            "Targets",
            {
                "fields": (
                    "calendar",
                    "acknowledgement_minutes",
                    "response_minutes",
                    "resolution_minutes",
                    "refund_calendar",
                    "refund_minutes",
                    "warning_percent",
                )
            },
        ),
        (_("Escalation actions"), {"fields": ("level2_actions", "level3_actions")}),
    )


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "metric", "level", "ticket", "team", "occurred_at", "created_at", "acknowledged_at")
    list_filter = ("kind", "metric", "level")
    list_select_related = ("ticket", "team")
    search_fields = ("ticket__reference",)
    date_hierarchy = "created_at"
    raw_id_fields = ("ticket", "clock", "acknowledged_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "alert", "created_at", "read_at", "emailed_at")
    list_select_related = ("recipient", "alert")
    raw_id_fields = ("recipient", "alert")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(KpiThreshold)
class KpiThresholdAdmin(admin.ModelAdmin):
    """Warning lines. The model's clean() checks them (a between line needs an upper value above the value; a
    percentage lies in 0-100); lines are switched off rather than deleted, keeping their alerts' history."""

    list_display = ("kpi", "comparison", "value", "value_max", "period", "storefront", "team", "is_active")
    list_editable = ("is_active",)
    list_filter = ("kpi", "period", "is_active", "storefront", "team")
    list_select_related = ("storefront", "team")
    fieldsets = (
        (None, {"fields": ("kpi", "comparison", "value", "value_max", "period", "is_active")}),
        (_("Scope"), {"fields": ("storefront", "team")}),
        (_("Chat"), {"fields": ("chat_channel",)}),
    )


@admin.register(KpiPeriodResult)
class KpiPeriodResultAdmin(admin.ModelAdmin):
    """The final value of each line over each closed period, as evaluated: written by the evaluation only."""

    list_display = ("threshold", "period_start", "period_end", "value", "met", "evaluated_at")
    list_filter = ("met", "threshold__kpi", "threshold__period")
    list_select_related = ("threshold",)
    date_hierarchy = "period_start"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Who changed what (django-auditlog): supervisors read the entries in the admin as admins do; nobody edits them.


class AuditLogEntryAdmin(LogEntryAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.is_supervisor(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return roles.is_supervisor(request.user) or super().has_module_permission(request)


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AuditLogEntryAdmin)
