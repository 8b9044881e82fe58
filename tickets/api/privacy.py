"""Personal data through the API: a storefront erases its customer; a supervisor reveals a customer's contact
details on a ticket (the desk API otherwise masks them)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from tickets import selectors
from tickets.api.common import (
    IDEMPOTENCY_KEY,
    POST_ERRORS,
    CustomerOut,
    EmptyIn,
    StorefrontApi,
    error_response,
    validated,
)
from tickets.api.desk import REFERENCE, DeskApi
from tickets.idempotency import idempotent
from tickets.services.privacy import customer_erase, customer_reveal


class ErasedCountsOut(Serializer):
    """How many rows of each kind this call changed; all 0 when there was nothing left to erase."""

    customer = serializers.IntegerField(help_text="The customer's name, e-mail and phone.")
    ticket_subjects = serializers.IntegerField(help_text="Subjects of their inquiries and complaints.")
    customer_messages = serializers.IntegerField(help_text="Their messages, replaced whole.")
    staff_messages = serializers.IntegerField(help_text="Replies and notes naming them, scrubbed.")
    attachments = serializers.IntegerField(help_text="Files on their tickets, deleted.")
    survey_comments = serializers.IntegerField()
    return_requests = serializers.IntegerField(help_text="Descriptions and tracking numbers; staff notes scrubbed.")
    refunds = serializers.IntegerField(help_text="Staff notes on refunds naming them.")
    complaints = serializers.IntegerField(help_text="Their notes; staff findings and notes scrubbed.")
    events = serializers.IntegerField(help_text="Timeline entries naming them.")
    webhook_payloads = serializers.IntegerField(help_text="Stored webhook deliveries about their tickets.")
    stored_answers = serializers.IntegerField(help_text="Stored answers of Idempotency-Key requests.")


class ErasureOut(Serializer):
    external_id = serializers.CharField()
    erased_at = serializers.DateTimeField(help_text="When their data was first erased.")
    already_erased = serializers.BooleanField(help_text="True when an earlier call had erased everything already.")
    erased = ErasedCountsOut()


class CustomerEraseApi(StorefrontApi):
    @extend_schema(
        operation_id="customers_erase",
        tags=["storefront: customers"],
        summary="Erase a customer's personal data",
        description="The customer's name, e-mail and phone, their messages, descriptions, notes and survey comments "
        "and their attachments are erased for good, and their details are scrubbed from everything written about "
        "them; counts, times, states and amounts are kept. A second call erases nothing more and says so "
        "(`already_erased`).",
        parameters=[
            OpenApiParameter("external_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Your customer id."),
            IDEMPOTENCY_KEY,
        ],
        request=EmptyIn,
        responses={200: ErasureOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, external_id: str) -> Response:
        validated(EmptyIn, request.data)
        storefront = request.user.storefront
        customer = selectors.customer_get_for_storefront(storefront=storefront, external_id=external_id)
        result = customer_erase(customer=customer, storefront=storefront)
        return Response(ErasureOut(result.as_dict()).data)


class DeskRevealApi(DeskApi):
    @extend_schema(
        operation_id="desk_tickets_reveal_customer",
        tags=["desk: tickets"],
        summary="Reveal the customer's full contact details (supervisors; logged on the ticket)",
        description="The desk API masks customers' e-mail addresses and phone numbers. A supervisor reads them "
        "whole here; each call writes a `contact_revealed` event with who and when to the ticket's timeline (a "
        "retry with the same Idempotency-Key replays the answer of the reveal it repeats).",
        parameters=[REFERENCE, IDEMPOTENCY_KEY],
        request=EmptyIn,
        responses={
            200: CustomerOut,
            **POST_ERRORS,
            403: error_response("Your role may not reveal contact details."),
            404: error_response("No such ticket, or it has no customer."),
        },
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        validated(EmptyIn, request.data)
        customer = customer_reveal(ticket=ticket, user=request.user)
        # The full details are for this answer only: no cache keeps them.
        return Response(CustomerOut(customer).data, headers={"Cache-Control": "no-store"})
