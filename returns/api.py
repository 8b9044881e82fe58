"""The returns API: storefront endpoints (`/api/v1/returns/`, `/api/v1/refunds/`) and staff endpoints
(`/api/v1/desk/returns/`, `/api/v1/desk/refunds/`).

Each view parses with an input serializer, calls one service or selector and renders with an output serializer.
Every POST is @idempotent. A storefront never sets a status, an amount or a decision: the input serializers have no
such fields, and anything else in a body is ignored; only the actions below change a return.
"""

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.errors import InvalidInput
from aftersales.pagination import CreatedCursorPagination
from returns import selectors, services
from returns.models import (
    Outcome,
    Reason,
    Refund,
    RefundStatus,
    Resolution,
    ReturnRequest,
    ReturnStatus,
)
from tickets import roles
from tickets.api.common import IDEMPOTENCY_KEY, POST_ERRORS, READ_ERRORS, CustomerIn, Text, _validated
from tickets.idempotency import idempotent
from tickets.models import Status
from tickets.permissions import IsStorefront, is_storefront

MONEY = {"max_digits": 12, "decimal_places": 2}


# --- Output ---------------------------------------------------------------------------------------------------------


class DecisionOut(serializers.Serializer):
    outcome = serializers.ChoiceField(source="decision_outcome", choices=Outcome.choices)
    rule = serializers.CharField(source="decision_rule", help_text="The policy rule that decided.")
    explanation = serializers.CharField(
        source="decision_explanation", help_text="A sentence for the customer, in the storefront's language."
    )
    reason = serializers.CharField(source="decision_reason", help_text="An agent's reason when they decided.")


class TicketStateOut(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)


class ItemOut(serializers.Serializer):
    line = serializers.CharField(source="order_line.external_id")
    sku = serializers.CharField(source="order_line.sku")
    name = serializers.CharField(source="order_line.name")
    quantity = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=Reason.choices)
    unused = serializers.BooleanField()
    original_packaging = serializers.BooleanField()
    amount = serializers.DecimalField(**MONEY, help_text="Paid for the returned quantity.")


class ShipmentOut(serializers.Serializer):
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    shipped_at = serializers.DateTimeField()


class InspectionOut(serializers.Serializer):
    passed = serializers.BooleanField(source="inspection_passed")
    notes = serializers.CharField(source="inspection_notes")
    inspected_at = serializers.DateTimeField()


class EvidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class ReturnRefOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()


class RefundOut(serializers.Serializer):
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


class ReturnOut(serializers.Serializer):
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
    items = ItemOut(many=True)
    evidence = EvidenceOut(many=True)
    shipment = serializers.SerializerMethodField()
    received_at = serializers.DateTimeField(allow_null=True)
    inspection = serializers.SerializerMethodField()
    returnless = serializers.BooleanField(help_text="The item need not come back.")
    replacement_sku = serializers.CharField()
    repair_outcome = serializers.CharField()
    refunds = RefundOut(many=True)
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


class ReturnPageOut(serializers.Serializer):
    results = ReturnOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class DeskReturnOut(ReturnOut):
    storefront = serializers.CharField(source="storefront.name")
    customer = serializers.CharField(allow_null=True)


class DeskReturnPageOut(serializers.Serializer):
    results = DeskReturnOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class DeskRefundPageOut(serializers.Serializer):
    results = RefundOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


# --- Input ----------------------------------------------------------------------------------------------------------


class LineIn(serializers.Serializer):
    external_id = Text(max_length=100)
    sku = Text(max_length=100)
    name = Text(max_length=300)
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    unit_price = serializers.DecimalField(**MONEY, min_value=Decimal("0"))


class OrderIn(serializers.Serializer):
    external_id = Text(max_length=100)
    placed_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField()
    currency = serializers.RegexField(r"^[A-Z]{3}$", help_text="ISO 4217, e.g. CNY.")
    lines = LineIn(many=True, allow_empty=False)


class ItemIn(serializers.Serializer):
    line = Text(max_length=100, help_text="The order line's external_id.")
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    reason = serializers.ChoiceField(choices=Reason.choices)
    unused = serializers.BooleanField(default=False)
    original_packaging = serializers.BooleanField(default=False)


class ReturnCreateIn(serializers.Serializer):
    order = OrderIn()
    customer = CustomerIn(required=False)
    items = ItemIn(many=True, allow_empty=False, max_length=100)
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    description = Text(max_length=5000, required=False, allow_blank=True, default="")


class ReturnListIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReturnStatus.choices, required=False)
    order_external_id = Text(max_length=100, required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    cursor = Text(required=False, max_length=500)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=CreatedCursorPagination.max_page_size)


class ShipmentIn(serializers.Serializer):
    carrier = Text(max_length=100)
    tracking_number = Text(max_length=100)


class AttachmentIn(serializers.Serializer):
    file = serializers.FileField(help_text="JPEG, PNG, WebP or PDF, at most 10 MB; the type is read from the content.")


class ConfirmIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=[(s, s) for s in (RefundStatus.SUCCEEDED, RefundStatus.FAILED)])
    transaction_id = Text(max_length=200, required=False, allow_blank=True, default="")
    failure_reason = Text(max_length=2000, required=False, allow_blank=True, default="")


class ReasonIn(serializers.Serializer):
    reason = Text(max_length=2000, required=False, allow_blank=True, default="")


class RequiredReasonIn(serializers.Serializer):
    reason = Text(max_length=2000)


class InspectIn(serializers.Serializer):
    passed = serializers.BooleanField()
    notes = Text(max_length=5000, required=False, allow_blank=True, default="")


class RefundCreateIn(serializers.Serializer):
    amount = serializers.DecimalField(
        **MONEY, required=False, min_value=Decimal("0.01"), help_text="Default: what is left of the refundable amount."
    )
    reason = Text(max_length=2000, required=False, allow_blank=True, default="", help_text="Needed for less.")


class RefundLowerIn(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    reason = Text(max_length=2000)


class ExchangeIn(serializers.Serializer):
    replacement_sku = Text(max_length=100)


class RepairIn(serializers.Serializer):
    repair_outcome = Text(max_length=5000)


class DeskReturnListIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReturnStatus.choices, required=False)
    cursor = Text(required=False, max_length=500)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=CreatedCursorPagination.max_page_size)


class DeskRefundListIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=RefundStatus.choices, required=False)


# --- Helpers --------------------------------------------------------------------------------------------------------


def _create_args(data: dict[str, Any]) -> dict[str, Any]:
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


def _storefront_return(request: Request, public_id: Any) -> dict[str, Any]:
    return_request = selectors.return_get_for_storefront(storefront=request.user.storefront, public_id=public_id)
    return ReturnOut(return_request).data


def _desk_return(request: Request, return_request: ReturnRequest) -> dict[str, Any]:
    # Reloaded without the visibility filter: an agent who may act still sees the result of their own action.
    return DeskReturnOut(selectors.return_get(pk=return_request.pk)).data


RETURN_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The return's id.")
REFUND_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The refund's id.")
DESK_RETURN_ID = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The return's id or reference (R-000123)."
)
STOREFRONT_TAGS = ["storefront: returns"]
DESK_TAGS = ["desk: returns"]


def _paginate(view: APIView, request: Request, queryset: Any, serializer: type[serializers.Serializer]) -> Response:
    paginator = CreatedCursorPagination()
    try:
        page = paginator.paginate_queryset(queryset, request, view=view)
    except NotFound:  # DRF's answer to a cursor it cannot decode: malformed input, so 400 on the field
        raise InvalidInput(_("Invalid cursor."), field="cursor") from None
    return paginator.get_paginated_response(serializer(page, many=True).data)


# --- Storefront endpoints -------------------------------------------------------------------------------------------


class StorefrontApi(APIView):
    permission_classes = [IsStorefront]


class ReturnListCreateApi(StorefrontApi):
    @extend_schema(
        operation_id="returns_list",
        tags=STOREFRONT_TAGS,
        summary="List own returns",
        parameters=[ReturnListIn],
        responses={200: ReturnPageOut, 400: POST_ERRORS[400], **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = _validated(ReturnListIn, request.query_params)
        filters.pop("cursor", None)
        filters.pop("page_size", None)
        returns = selectors.returns_for_storefront(storefront=request.user.storefront, **filters)
        return _paginate(self, request, returns, ReturnOut)

    @extend_schema(
        operation_id="returns_create",
        tags=STOREFRONT_TAGS,
        summary="Create a return request",
        description="The policy decides at once where it can: `decision.outcome` is auto_approved (status "
        "approved), needs_review (status requested) or auto_rejected (status rejected).",
        parameters=[IDEMPOTENCY_KEY],
        request=ReturnCreateIn,
        responses={201: ReturnOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = _validated(ReturnCreateIn, request.data)
        return_request = services.return_create(storefront=request.user.storefront, **_create_args(data))
        return Response(ReturnOut(return_request).data, status=status.HTTP_201_CREATED)


class ReturnDetailApi(StorefrontApi):
    @extend_schema(
        operation_id="returns_retrieve",
        tags=STOREFRONT_TAGS,
        summary="One return",
        parameters=[RETURN_ID],
        responses={200: ReturnOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(_storefront_return(request, id))


class ReturnAttachmentApi(StorefrontApi):
    @extend_schema(
        operation_id="returns_attachments_create",
        tags=STOREFRONT_TAGS,
        summary="Add an evidence photo or PDF",
        parameters=[RETURN_ID, IDEMPOTENCY_KEY],
        request={"multipart/form-data": AttachmentIn},
        responses={201: EvidenceOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        storefront = request.user.storefront
        return_request = selectors.return_get_for_storefront(storefront=storefront, public_id=id)
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(_("Attach a file as the multipart field `file`."), field="file")
        attachment = services.return_add_evidence(return_request=return_request, upload=upload, storefront=storefront)
        return Response(EvidenceOut(attachment).data, status=status.HTTP_201_CREATED)


class ReturnShipmentApi(StorefrontApi):
    @extend_schema(
        operation_id="returns_shipment_create",
        tags=STOREFRONT_TAGS,
        summary="The customer shipped the item back",
        description="approved -> in_transit.",
        parameters=[RETURN_ID, IDEMPOTENCY_KEY],
        request=ShipmentIn,
        responses={200: ReturnOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        storefront = request.user.storefront
        return_request = selectors.return_get_for_storefront(storefront=storefront, public_id=id)
        data = _validated(ShipmentIn, request.data)
        services.return_ship(return_request=return_request, storefront=storefront, **data)
        return Response(_storefront_return(request, id))


class ReturnCancelApi(StorefrontApi):
    @extend_schema(
        operation_id="returns_cancel_create",
        tags=STOREFRONT_TAGS,
        summary="The customer withdraws the return",
        description="Allowed before the item is received (requested, approved, in_transit) while no refund is under "
        "way.",
        parameters=[RETURN_ID, IDEMPOTENCY_KEY],
        request=ReasonIn,
        responses={200: ReturnOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        storefront = request.user.storefront
        return_request = selectors.return_get_for_storefront(storefront=storefront, public_id=id)
        data = _validated(ReasonIn, request.data)
        services.return_cancel(return_request=return_request, storefront=storefront, reason=data["reason"])
        return Response(_storefront_return(request, id))


class RefundDetailApi(StorefrontApi):
    @extend_schema(
        operation_id="refunds_retrieve",
        tags=STOREFRONT_TAGS,
        summary="One refund",
        parameters=[REFUND_ID],
        responses={200: RefundOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        refund = selectors.refund_get_for_storefront(storefront=request.user.storefront, public_id=id)
        return Response(RefundOut(refund).data)


class RefundConfirmApi(StorefrontApi):
    @extend_schema(
        operation_id="refunds_confirm_create",
        tags=STOREFRONT_TAGS,
        summary="Confirm a refund paid out (or not)",
        description="processing -> succeeded (with the storefront's transaction_id) or failed (with a failure_reason).",
        parameters=[REFUND_ID, IDEMPOTENCY_KEY],
        request=ConfirmIn,
        responses={200: RefundOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        storefront = request.user.storefront
        refund = selectors.refund_get_for_storefront(storefront=storefront, public_id=id)
        data = _validated(ConfirmIn, request.data)
        refund = services.refund_settle(refund=refund, storefront=storefront, **data)
        refund = selectors.refund_get_for_storefront(storefront=storefront, public_id=id)
        return Response(RefundOut(refund).data)


# --- Staff endpoints ------------------------------------------------------------------------------------------------


class IsDeskStaff(BasePermission):
    """Agents, supervisors and finance; each action checks its own role (403 otherwise)."""

    message = _("This endpoint is for staff.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not is_storefront(user) and roles.is_staff_member(user))


class DeskApi(APIView):
    permission_classes = [IsDeskStaff]

    def return_for(self, request: Request, id: str) -> ReturnRequest:
        return selectors.return_get_for_user(user=request.user, id=id)

    def refund_for(self, request: Request, id: str) -> Refund:
        return selectors.refund_get_for_user(user=request.user, public_id=id)


class DeskReturnListApi(DeskApi):
    @extend_schema(
        operation_id="desk_returns_list",
        tags=DESK_TAGS,
        summary="Returns you may see, newest first",
        parameters=[DeskReturnListIn],
        responses={200: DeskReturnPageOut, 400: POST_ERRORS[400], **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = _validated(DeskReturnListIn, request.query_params)
        returns = selectors.returns_visible_to(request.user)
        if filters.get("status"):
            returns = returns.filter(status=filters["status"])
        returns = selectors.with_details(returns)
        return _paginate(self, request, returns, DeskReturnOut)


class DeskReturnDetailApi(DeskApi):
    @extend_schema(
        operation_id="desk_returns_retrieve",
        tags=DESK_TAGS,
        summary="One return",
        parameters=[DESK_RETURN_ID],
        responses={200: DeskReturnOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(DeskReturnOut(self.return_for(request, id)).data)


def _desk_action(
    *, operation_id: str, summary: str, request_serializer: type[serializers.Serializer] | None, description: str = ""
) -> Any:
    return extend_schema(
        operation_id=operation_id,
        tags=DESK_TAGS,
        summary=summary,
        description=description,
        parameters=[DESK_RETURN_ID, IDEMPOTENCY_KEY],
        request=request_serializer,
        responses={200: DeskReturnOut, **POST_ERRORS},
    )


class DeskReturnApproveApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_approve",
        summary="Approve (agents)",
        request_serializer=ReasonIn,
        description="Approves a return needing review, or overrules the policy's automatic rejection (reason "
        "required).",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = _validated(ReasonIn, request.data)
        return_request = services.return_approve(
            return_request=self.return_for(request, id), user=request.user, reason=data["reason"]
        )
        return Response(_desk_return(request, return_request))


class DeskReturnRejectApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_reject",
        summary="Reject (agents)",
        request_serializer=RequiredReasonIn,
        description="Rejects a return needing review, or overrules the policy's automatic approval before shipment.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = _validated(RequiredReasonIn, request.data)
        return_request = services.return_reject(
            return_request=self.return_for(request, id), user=request.user, reason=data["reason"]
        )
        return Response(_desk_return(request, return_request))


class DeskReturnReceiveApi(DeskApi):
    @_desk_action(operation_id="desk_returns_receive", summary="Record receipt (agents)", request_serializer=None)
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        return_request = services.return_receive(return_request=self.return_for(request, id), user=request.user)
        return Response(_desk_return(request, return_request))


class DeskReturnInspectApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_inspect",
        summary="Record the inspection (agents)",
        request_serializer=InspectIn,
        description="Passed: a refund return gets its refund (pending, for finance). Failed: the return is "
        "rejected with the notes as reason.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = _validated(InspectIn, request.data)
        return_request = services.return_inspect(return_request=self.return_for(request, id), user=request.user, **data)
        return Response(_desk_return(request, return_request))


class DeskReturnExchangeApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_exchange",
        summary="Request the exchange (agents)",
        request_serializer=ExchangeIn,
        description="Sends return.exchange_requested to the storefront and completes the return.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = _validated(ExchangeIn, request.data)
        return_request = services.return_request_exchange(
            return_request=self.return_for(request, id), user=request.user, **data
        )
        return Response(_desk_return(request, return_request))


class DeskReturnRepairApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_repair",
        summary="Record the repair (agents)",
        request_serializer=RepairIn,
        description="Completes the return.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = _validated(RepairIn, request.data)
        return_request = services.return_record_repair(
            return_request=self.return_for(request, id), user=request.user, **data
        )
        return Response(_desk_return(request, return_request))


class DeskReturnCancelApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_cancel",
        summary="Cancel on the customer's behalf (agents)",
        request_serializer=ReasonIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = _validated(ReasonIn, request.data)
        return_request = services.return_cancel(
            return_request=self.return_for(request, id), user=request.user, reason=data["reason"]
        )
        return Response(_desk_return(request, return_request))


class DeskReturnRefundApi(DeskApi):
    @extend_schema(
        operation_id="desk_returns_refund",
        tags=DESK_TAGS,
        summary="Refund the return (agents)",
        description="Creates a pending refund: by default what is left of the refundable amount; less needs a "
        "reason; more is refused, as is anything above what was paid for the order.",
        parameters=[DESK_RETURN_ID, IDEMPOTENCY_KEY],
        request=RefundCreateIn,
        responses={201: RefundOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = _validated(RefundCreateIn, request.data)
        refund = services.refund_create(return_request=self.return_for(request, id), user=request.user, **data)
        return Response(RefundOut(refund).data, status=status.HTTP_201_CREATED)


class DeskRefundListApi(DeskApi):
    @extend_schema(
        operation_id="desk_refunds_list",
        tags=["desk: refunds"],
        summary="Refunds to issue or settle, oldest due first",
        parameters=[DeskRefundListIn],
        responses={200: RefundOut(many=True), 400: POST_ERRORS[400], **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = _validated(DeskRefundListIn, request.query_params)
        refunds = selectors.refunds_queue(user=request.user, status=filters.get("status"))[:200]
        return Response(RefundOut(refunds, many=True).data)


class DeskRefundDetailApi(DeskApi):
    @extend_schema(
        operation_id="desk_refunds_retrieve",
        tags=["desk: refunds"],
        summary="One refund",
        parameters=[REFUND_ID],
        responses={200: RefundOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(RefundOut(self.refund_for(request, id)).data)


def _refund_action(*, operation_id: str, summary: str, request_serializer: Any, description: str = "") -> Any:
    return extend_schema(
        operation_id=operation_id,
        tags=["desk: refunds"],
        summary=summary,
        description=description,
        parameters=[REFUND_ID, IDEMPOTENCY_KEY],
        request=request_serializer,
        responses={200: RefundOut, **POST_ERRORS},
    )


class DeskRefundLowerApi(DeskApi):
    @_refund_action(
        operation_id="desk_refunds_lower",
        summary="Lower a pending refund (agents)",
        request_serializer=RefundLowerIn,
        description="A damage deduction; never raises the amount.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = _validated(RefundLowerIn, request.data)
        refund = services.refund_lower(refund=self.refund_for(request, id), user=request.user, **data)
        return Response(RefundOut(refund).data)


class DeskRefundIssueApi(DeskApi):
    @_refund_action(
        operation_id="desk_refunds_issue",
        summary="Issue a refund (finance)",
        request_serializer=None,
        description="pending -> processing; the storefront is asked (refund.requested) to pay it out.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        refund = services.refund_issue(refund=self.refund_for(request, id), user=request.user)
        return Response(RefundOut(refund).data)


class DeskRefundMarkApi(DeskApi):
    @_refund_action(
        operation_id="desk_refunds_mark",
        summary="Mark a refund succeeded or failed by hand (finance)",
        request_serializer=ConfirmIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = _validated(ConfirmIn, request.data)
        refund = services.refund_settle(refund=self.refund_for(request, id), user=request.user, **data)
        return Response(RefundOut(refund).data)
