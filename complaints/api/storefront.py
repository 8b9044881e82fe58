"""Storefront endpoints (`/api/v1/complaints/`): file a complaint, read its state and public outcome, relay the
customer's answer to a proposal. Another storefront's complaint is 404. Every POST is @idempotent."""

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import selectors, services
from complaints.api.common import (
    NOTE_MAX,
    ComplaintOut,
)
from complaints.models import (
    ComplaintCategory,
    CustomerResponse,
)
from tickets import services as ticket_services
from tickets.api.common import (
    BODY_MAX,
    CREATE_ERRORS,
    IDEMPOTENCY_KEY,
    POST_ERRORS,
    READ_ERRORS,
    CustomerIn,
    Input,
    StorefrontApi,
    Text,
    validated,
)
from tickets.idempotency import idempotent
from tickets.models import Severity

# --- Storefront endpoints -----------------------------------------------------------------------------------------


class ComplaintCreateIn(Input):
    category = serializers.ChoiceField(choices=ComplaintCategory.choices)
    body = Text(max_length=BODY_MAX, help_text="The customer's words; the opening message of the ticket.")
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MINOR)
    customer = CustomerIn(required=False)
    order_external_id = Text(max_length=100, required=False, allow_blank=True, default="")


COMPLAINT_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The complaint's id.")
STOREFRONT_TAGS = ["storefront: complaints"]


class ComplaintCreateApi(StorefrontApi):
    @extend_schema(
        operation_id="complaints_create",
        tags=STOREFRONT_TAGS,
        summary="File a complaint",
        description="Opens a complaint and its ticket (kind complaint); the body is the customer's first message. "
        "A severe complaint alerts the supervisors at the next SLA sweep.",
        parameters=[IDEMPOTENCY_KEY],
        request=ComplaintCreateIn,
        responses={201: ComplaintOut, **CREATE_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(ComplaintCreateIn, request.data)
        storefront = request.user.storefront
        customer_data = data.pop("customer", None) or {}
        with transaction.atomic():
            customer = (
                ticket_services.customer_upsert(storefront=storefront, **customer_data)
                if any(customer_data.values())
                else None
            )
            complaint = services.complaint_create(storefront=storefront, customer=customer, **data)
        complaint = selectors.complaint_get_for_storefront(storefront=storefront, public_id=complaint.public_id)
        return Response(ComplaintOut(complaint).data, status=status.HTTP_201_CREATED)


class ComplaintDetailApi(StorefrontApi):
    @extend_schema(
        operation_id="complaints_retrieve",
        tags=STOREFRONT_TAGS,
        summary="One complaint: its state and public outcome",
        parameters=[COMPLAINT_ID],
        responses={200: ComplaintOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_storefront(storefront=request.user.storefront, public_id=id)
        return Response(ComplaintOut(complaint).data)


class ComplaintResponseIn(Input):
    response = serializers.ChoiceField(choices=CustomerResponse.choices)
    note = Text(max_length=NOTE_MAX, required=False, allow_blank=True, default="", help_text="The customer's words.")


class ComplaintResponseApi(StorefrontApi):
    @extend_schema(
        operation_id="complaints_response",
        tags=STOREFRONT_TAGS,
        summary="The customer accepts or declines the proposed solution",
        description="Allowed while a solution is proposed (409 otherwise). A declined proposal goes back to "
        "investigation; an accepted one is carried out.",
        parameters=[COMPLAINT_ID, IDEMPOTENCY_KEY],
        request=ComplaintResponseIn,
        responses={200: ComplaintOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        storefront = request.user.storefront
        complaint = selectors.complaint_get_for_storefront(storefront=storefront, public_id=id)
        data = validated(ComplaintResponseIn, request.data)
        services.complaint_record_response(
            complaint=complaint, storefront=storefront, response=data["response"], note=data["note"]
        )
        complaint = selectors.complaint_get_for_storefront(storefront=storefront, public_id=id)
        return Response(ComplaintOut(complaint).data)
