"""Shared by the returns API modules: output and input serializers, helpers."""

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from aftersales.pagination import CreatedCursorPagination
from returns import selectors, services
from returns.models import (
    Outcome,
    Reason,
    RefundStatus,
    Resolution,
    ReturnRequest,
    ReturnStatus,
)
from tickets.api.common import (
    Boolean,
    CustomerIn,
    DateTime,
    Input,
    Integer,
    Money,
    PageIn,
    Text,
)
from tickets.models import Status

MONEY = {"max_digits": 12, "decimal_places": 2}


# --- Output ---------------------------------------------------------------------------------------------------------


class DecisionOut(Serializer):
    outcome = serializers.ChoiceField(source="decision_outcome", choices=Outcome.choices)
    rule = serializers.CharField(source="decision_rule", help_text="The policy rule that decided.")
    explanation = serializers.CharField(
        source="decision_explanation", help_text="A sentence for the customer, in the storefront's language."
    )
    reason = serializers.CharField(source="decision_reason", help_text="An agent's reason when they decided.")


class TicketStateOut(Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)


class ItemOut(Serializer):
    line = serializers.CharField(source="order_line.external_id")
    sku = serializers.CharField(source="order_line.sku")
    name = serializers.CharField(source="order_line.name")
    quantity = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=Reason.choices)
    unused = serializers.BooleanField()
    original_packaging = serializers.BooleanField()
    amount = serializers.DecimalField(**MONEY, help_text="Paid for the returned quantity.")


class ShipmentOut(Serializer):
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    shipped_at = serializers.DateTimeField()


class InspectionOut(Serializer):
    passed = serializers.BooleanField(source="inspection_passed")
    notes = serializers.CharField(source="inspection_notes")
    inspected_at = serializers.DateTimeField()


class EvidenceOut(Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class ReturnRefOut(Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()


class RefundOut(Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=RefundStatus.choices)
    amount_reason = serializers.CharField(help_text="Why the amount is below what was paid, if it is.")
    due_at = serializers.DateTimeField(help_text="3 business days after the refund was created.")
    transaction_id = serializers.CharField()
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "return" is a Python keyword: it cannot be a class attribute.
        fields["return"] = ReturnRefOut(source="return_request")
        return fields


class ReturnOut(Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    refundable_amount = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    decision = DecisionOut(source="*")
    ticket = TicketStateOut()
    order_external_id = serializers.CharField(source="order.external_id")
    description = serializers.CharField()
    items = ItemOut(many=True, source="item_list")
    evidence = EvidenceOut(many=True, source="evidence_list")
    shipment = serializers.SerializerMethodField()
    received_at = serializers.DateTimeField(allow_null=True)
    inspection = serializers.SerializerMethodField()
    returnless = serializers.BooleanField(help_text="The item need not come back.")
    replacement_sku = serializers.CharField()
    repair_outcome = serializers.CharField()
    refunds = RefundOut(many=True, source="refund_list")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(ShipmentOut(allow_null=True))
    def get_shipment(self, return_request: ReturnRequest) -> dict[str, Any] | None:
        if not return_request.tracking_number:
            return None
        return ShipmentOut(return_request).data

    @extend_schema_field(InspectionOut(allow_null=True))
    def get_inspection(self, return_request: ReturnRequest) -> dict[str, Any] | None:
        if return_request.inspected_at is None:
            return None
        return InspectionOut(return_request).data


class ReturnPageOut(Serializer):
    results = ReturnOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class DeskReturnOut(ReturnOut):
    storefront = serializers.CharField(source="storefront.name")
    customer = serializers.CharField(allow_null=True)


class DeskReturnPageOut(Serializer):
    results = DeskReturnOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class DeskRefundRowOut(RefundOut):
    """A row of finance's refunds list, with what the Refunds page shows beside each refund: the customer (masked,
    as everywhere on the desk), the order and the return's reasons."""

    storefront = serializers.CharField(source="return_request.storefront.name")
    customer = serializers.CharField(
        source="return_request.customer", allow_null=True, help_text="The name, else the masked e-mail or phone."
    )
    order_external_id = serializers.CharField(source="return_request.order.external_id")
    reasons = serializers.SerializerMethodField(help_text="The return's reasons, each once.")

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices)))
    def get_reasons(self, refund: Any) -> list[str]:
        # Prefetched by returns.selectors.refunds_queue: no query per row.
        return list(dict.fromkeys(item.reason for item in refund.return_request.items.all()))


class DeskRefundPageOut(Serializer):
    results = DeskRefundRowOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


# --- Input ----------------------------------------------------------------------------------------------------------


class LineIn(Input):
    external_id = Text(max_length=100)
    sku = Text(max_length=100)
    name = Text(max_length=300)
    quantity = Integer(min_value=1, max_value=1_000_000)
    unit_price = Money(**MONEY, min_value=Decimal("0"))


class OrderIn(Input):
    external_id = Text(max_length=100)
    placed_at = DateTime()
    delivered_at = DateTime()
    currency = serializers.RegexField(r"^[A-Z]{3}$", trim_whitespace=False, help_text="ISO 4217, e.g. CNY.")
    lines = LineIn(many=True, allow_empty=False)


class ItemIn(Input):
    line = Text(max_length=100, help_text="The order line's external_id.")
    quantity = Integer(min_value=1, max_value=1_000_000)
    reason = serializers.ChoiceField(choices=Reason.choices)
    unused = Boolean(default=False)
    original_packaging = Boolean(default=False)


class ReturnCreateIn(Input):
    order = OrderIn()
    customer = CustomerIn(required=False)
    items = ItemIn(many=True, allow_empty=False, max_length=100)
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    description = Text(max_length=5000, required=False, allow_blank=True, default="")


class ReturnListIn(PageIn):
    status = serializers.ChoiceField(choices=ReturnStatus.choices, required=False)
    order_external_id = Text(max_length=100, required=False)
    created_after = DateTime(required=False)
    created_before = DateTime(required=False)


class ShipmentIn(Input):
    carrier = Text(max_length=100)
    tracking_number = Text(max_length=100)


class AttachmentIn(Input):
    file = serializers.FileField(
        help_text="JPEG, PNG, WebP or PDF, at most 10 MB; the type is read from the content.",
        error_messages={"required": gettext_lazy("Attach a file as the multipart field `file`.")},
    )


class ConfirmIn(Input):
    status = serializers.ChoiceField(choices=[(s, s) for s in (RefundStatus.SUCCEEDED, RefundStatus.FAILED)])
    transaction_id = Text(
        max_length=200, required=False, allow_blank=True, default="", help_text="Required when succeeded."
    )
    failure_reason = Text(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Required when failed."
    )


class ReasonIn(Input):
    reason = Text(max_length=2000, required=False, allow_blank=True, default="")


class RequiredReasonIn(Input):
    reason = Text(max_length=2000)


class InspectIn(Input):
    passed = Boolean()
    notes = Text(max_length=5000, required=False, allow_blank=True, default="")


class RefundCreateIn(Input):
    amount = Money(
        **MONEY, required=False, min_value=Decimal("0.01"), help_text="Default: what is left of the refundable amount."
    )
    reason = Text(max_length=2000, required=False, allow_blank=True, default="", help_text="Needed for less.")


class RefundLowerIn(Input):
    amount = Money(**MONEY, min_value=Decimal("0.01"))
    reason = Text(max_length=2000)


class ExchangeIn(Input):
    replacement_sku = Text(max_length=100)


class RepairIn(Input):
    repair_outcome = Text(max_length=5000)


class DeskReturnListIn(PageIn):
    status = serializers.ChoiceField(choices=ReturnStatus.choices, required=False)


class DeskRefundListIn(PageIn):
    status = serializers.ChoiceField(choices=RefundStatus.choices, required=False)


# --- Helpers --------------------------------------------------------------------------------------------------------


def create_args(data: dict[str, Any]) -> dict[str, Any]:
    order = data["order"]
    customer = data.get("customer")
    return {
        "order": services.OrderSnapshot(
            external_id=order["external_id"],
            placed_at=order["placed_at"],
            delivered_at=order["delivered_at"],
            currency=order["currency"],
            lines=[services.LineSnapshot(**line) for line in order["lines"]],
        ),
        "items": [services.ItemRequest(**item) for item in data["items"]],
        "resolution": data["resolution"],
        "description": data["description"],
        "customer": services.CustomerDetails(**customer) if customer else None,
    }


def storefront_return(request: Request, public_id: Any) -> dict[str, Any]:
    return_request = selectors.return_get_for_storefront(storefront=request.user.storefront, public_id=public_id)
    return ReturnOut(return_request).data


def desk_return(request: Request, return_request: ReturnRequest) -> dict[str, Any]:
    # Reloaded without the visibility filter: an agent who may act still sees the result of their own action.
    return DeskReturnOut(selectors.return_get(pk=return_request.pk)).data


RETURN_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The return's id.")
REFUND_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The refund's id.")
DESK_RETURN_ID = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The return's id or reference (R-000123)."
)
STOREFRONT_TAGS = ["storefront: returns"]
DESK_TAGS = ["desk: returns"]


def paginate(
    view: APIView,
    request: Request,
    queryset: Any,
    serializer: type[serializers.Serializer],
    pagination: type[CreatedCursorPagination] = CreatedCursorPagination,
) -> Response:
    paginator = pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)
