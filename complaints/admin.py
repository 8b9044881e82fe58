"""Admin: the editable category -> department mapping and department -> team, and complaints read-only (the
workflow moves only through complaints.services, on the desk or the API)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from complaints.models import CategoryDepartment, Complaint, DepartmentTeam


@admin.register(CategoryDepartment)
class CategoryDepartmentAdmin(admin.ModelAdmin):
    list_display = ("category", "department")
    list_editable = ("department",)
    ordering = ("category",)


@admin.register(DepartmentTeam)
class DepartmentTeamAdmin(admin.ModelAdmin):
    list_display = ("department", "team")
    list_select_related = ("team",)


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("reference", "category", "severity", "department", "status", "created_at")
    list_filter = ("status", "category", "department", "severity")
    search_fields = ("reference", "ticket__reference")
    list_select_related = ("ticket",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Viewing stays possible through has_view_permission; nothing here may be edited.
        return False
