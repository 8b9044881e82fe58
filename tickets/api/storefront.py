"""Storefront ticket endpoints: `/api/v1/tickets/`."""

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from tickets import selectors, services
from tickets.api.common import (
    BODY_MAX,
    CREATE_ERRORS,
    IDEMPOTENCY_KEY,
    POST_ERRORS,
    READ_ERRORS,
    SUBJECT_MAX,
    CustomerIn,
    Input,
    StorefrontApi,
    TagText,
    Text,
    TicketOut,
    new_ticket_body,
    storefront_ticket_body,
    validated,
)
from tickets.idempotency import idempotent
from tickets.models import (
    Category,
    Channel,
    Kind,
    Ticket,
)


class TicketCreateIn(Input):
    subject = Text(max_length=SUBJECT_MAX)
    body = Text(max_length=BODY_MAX)
    category = serializers.ChoiceField(choices=Category.choices, default=Category.OTHER)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    customer = CustomerIn(required=False)
    order_external_id = Text(max_length=100, required=False, allow_blank=True, default="")
    tags = serializers.ListField(
        child=TagText(),
        required=False,
        max_length=20,
        help_text="Labels for the desk (1-50 characters each, no commas); storefront reads do not show them.",
    )


class MessageCreateIn(Input):
    body = Text(max_length=BODY_MAX)


TICKET_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The ticket's id.")


class TicketCreateApi(StorefrontApi):
    @extend_schema(
        operation_id="tickets_create",
        tags=["storefront: tickets"],
        summary="Open an inquiry ticket",
        parameters=[IDEMPOTENCY_KEY],
        request=TicketCreateIn,
        responses={201: TicketOut, **CREATE_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(TicketCreateIn, request.data)
        storefront = request.user.storefront
        customer_data = data.pop("customer", None) or {}
        with transaction.atomic():
            customer = (
                services.customer_upsert(storefront=storefront, **customer_data)
                if any(customer_data.values())
                else None
            )
            ticket = services.ticket_create(storefront=storefront, customer=customer, kind=Kind.INQUIRY, **data)
        return Response(new_ticket_body(ticket), status=status.HTTP_201_CREATED)


class TicketDetailApi(StorefrontApi):
    @extend_schema(
        operation_id="tickets_retrieve",
        tags=["storefront: tickets"],
        summary="One ticket with its public messages",
        parameters=[TICKET_ID],
        responses={200: TicketOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(storefront_ticket_body(storefront=request.user.storefront, public_id=id))


class TicketMessageCreateApi(StorefrontApi):
    @extend_schema(
        operation_id="tickets_messages_create",
        tags=["storefront: tickets"],
        summary="Add a customer message",
        description="Reopens a pending or resolved ticket. On a closed ticket the message opens a new ticket "
        "linked to the old one; the answer is then that new ticket.",
        parameters=[TICKET_ID, IDEMPOTENCY_KEY],
        request=MessageCreateIn,
        responses={201: TicketOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        storefront = request.user.storefront
        ticket = selectors.ticket_get_for_storefront(storefront=storefront, public_id=id)
        data = validated(MessageCreateIn, request.data)
        message = services.ticket_add_customer_message(ticket=ticket, body=data["body"], storefront=storefront)
        public_id = Ticket.objects.values_list("public_id", flat=True).get(pk=message.ticket_id)
        body = storefront_ticket_body(storefront=storefront, public_id=public_id)
        return Response(body, status=status.HTTP_201_CREATED)
