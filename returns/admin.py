"""Admin: return policies are settings and editable; orders, returns and refunds are read-only records (their
states change only through the services, from the desk and the API)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from returns.models import Order, OrderLine, Refund, ReturnItem, ReturnPolicy, ReturnRequest


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "no_reason_days",
        "fault_refund_days",
        "fault_exchange_days",
        "repair_days",
        "auto_approve_limit",
        "returnless_limit",
        "advance_refund",
    )
    autocomplete_fields = ()
    list_select_related = ("storefront",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]


class OrderLineInline(ReadOnlyInline):
    model = OrderLine


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "storefront", "placed_at", "delivered_at", "currency")
    list_select_related = ("storefront",)
    search_fields = ("external_id",)
    inlines = [OrderLineInline]


class ReturnItemInline(ReadOnlyInline):
    model = ReturnItem


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("public_id", "amount", "currency", "status", "due_at", "transaction_id", "failure_reason")


@admin.register(ReturnRequest)
class ReturnRequestAdmin(ReadOnlyAdmin):
    list_display = ("reference", "storefront", "order", "resolution", "status", "decision_outcome", "created_at")
    list_filter = ("status", "resolution", "decision_outcome")
    list_select_related = ("storefront", "order")
    search_fields = ("reference", "order__external_id")
    inlines = [ReturnItemInline, RefundInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "return_request", "amount", "currency", "status", "due_at")
    list_filter = ("status",)
    list_select_related = ("return_request",)
