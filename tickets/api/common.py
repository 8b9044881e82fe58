"""Shared by the ticket API modules and the other apps' APIs: the API-key scheme, the error format in the
schema, output serializers, strict input fields, the storefront base view."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from aftersales.schema import STOREFRONT_AUTH
from tickets import selectors
from tickets.masking import mask_email, mask_phone
from tickets.models import (
    ActorType,
    Category,
    Channel,
    EventKind,
    Kind,
    Message,
    MessageKind,
    Metric,
    Severity,
    Status,
    Ticket,
)
from tickets.permissions import IsStorefront
from tickets.selectors import SLA_STATES

SUBJECT_MAX = 200
BODY_MAX = 20000
SLA_STATE_LABELS = {
    "on_track": gettext_lazy("On track"),
    "at_risk": gettext_lazy("At risk"),
    "breached": gettext_lazy("Breached"),
}
SLA_STATE_CHOICES = [(state, SLA_STATE_LABELS[state]) for state in SLA_STATES]


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tickets.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A storefront API key, sent as "Api-Key <key>".',
        }


# --- Errors -----------------------------------------------------------------------------------------------------


class ErrorSerializer(Serializer):
    """The one error format of the API."""

    type = serializers.CharField(help_text="A stable code, e.g. validation_error, not_found, idempotency_key_reused.")
    detail = serializers.CharField(help_text="A sentence for people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Validation only: messages per field path ("customer.email", "Idempotency-Key").',
    )

    class Meta:
        ref_name = "Error"


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


AUTH_ERRORS = {
    401: error_response("No, bad or revoked credentials."),
    403: error_response("These credentials may not use this endpoint."),
    429: error_response("Throttled; retry after the number of seconds in the Retry-After header."),
}
READ_ERRORS = {**AUTH_ERRORS, 404: error_response("No such object, or not yours.")}
POST_ERRORS = {
    **READ_ERRORS,
    400: error_response("Invalid input; `errors` names the fields. Also a malformed Idempotency-Key."),
    409: error_response("Illegal state change, or a request with the same Idempotency-Key still in flight."),
    413: error_response("An attachment is larger than 10 MB."),
    415: error_response("Unsupported content type or attachment type."),
    422: error_response("The Idempotency-Key was already used with a different request."),
}
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="At most 255 characters. A retry with the same key and body gets the stored answer back "
    "(header Idempotent-Replayed: true) for 24 hours.",
)


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Output serializers -----------------------------------------------------------------------------------------


class CustomerOut(Serializer):
    external_id = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


class DeskCustomerOut(Serializer):
    """A customer as the desk API shows them to staff: the name, the e-mail and phone masked (tickets.masking).
    Supervisors read them whole through the ticket's reveal endpoint, which logs it."""

    external_id = serializers.CharField()
    name = serializers.CharField()
    email = serializers.SerializerMethodField(help_text="Masked, e.g. l***@example.com.")
    phone = serializers.SerializerMethodField(help_text="Masked, e.g. 138****0003.")
    erased_at = serializers.DateTimeField(allow_null=True, help_text="When their personal data was erased.")

    @extend_schema_field(OpenApiTypes.STR)
    def get_email(self, customer: Any) -> str:
        return mask_email(customer.email)

    @extend_schema_field(OpenApiTypes.STR)
    def get_phone(self, customer: Any) -> str:
        return mask_phone(customer.phone)


class AttachmentOut(Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class MessageOut(Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=MessageKind.choices)
    body = serializers.CharField()
    author_name = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    attachments = AttachmentOut(many=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_author_name(self, message: Message) -> str:
        if message.author is not None:
            return message.author.get_full_name() or message.author.get_username()
        if message.kind == MessageKind.CUSTOMER:
            # The ticket's customer comes in the serializer context: message.ticket would cost a query per message.
            customer = self.context.get("customer")
            return customer.name if customer is not None else ""
        return ""


PUBLIC_MESSAGE_KINDS = [(kind.value, kind.label) for kind in (MessageKind.PUBLIC, MessageKind.CUSTOMER)]


class PublicMessageOut(MessageOut):
    kind = serializers.ChoiceField(choices=PUBLIC_MESSAGE_KINDS)


class TicketOut(Serializer):
    """What a storefront sees of a ticket: public replies and customer messages, never internal notes."""

    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    subject = serializers.CharField()
    customer = CustomerOut(allow_null=True)
    order_external_id = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    first_response_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    messages = PublicMessageOut(many=True, source="shown_messages")


class StaffRefOut(Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, user: Any) -> str:
        return user.get_full_name() or user.get_username()


class NamedRefOut(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TicketRefOut(Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()


class DeskTicketOut(Serializer):
    """A row of the desk queue."""

    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    subject = serializers.CharField()
    customer = DeskCustomerOut(allow_null=True)
    order_external_id = serializers.CharField()
    storefront = NamedRefOut()
    team = NamedRefOut(allow_null=True)
    assignee = StaffRefOut(allow_null=True)
    next_due_at = serializers.DateTimeField(allow_null=True, help_text="The soonest running SLA deadline.")
    next_warn_at = serializers.DateTimeField(allow_null=True, help_text="The soonest SLA warning point.")
    sla_state = serializers.SerializerMethodField(help_text="null when no SLA clock is running.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    first_response_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=SLA_STATE_CHOICES, allow_null=True))
    def get_sla_state(self, ticket: Ticket) -> str | None:
        # The same rule as selectors.sla_state_q, read from the ticket's own columns: no per-row clock query.
        now = self.context.get("now") or timezone.now()
        if ticket.next_due_at is None:
            return None
        if ticket.next_due_at <= now:
            return "breached"
        if ticket.next_warn_at is not None and ticket.next_warn_at <= now:
            return "at_risk"
        return "on_track"


class ClockOut(Serializer):
    metric = serializers.ChoiceField(choices=Metric.choices)
    started_at = serializers.DateTimeField()
    warn_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    paused_at = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)
    escalation_level = serializers.IntegerField()
    is_running = serializers.BooleanField()
    met = serializers.BooleanField(allow_null=True, help_text="Stopped in time; null while running.")


class EventOut(Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    actor_type = serializers.ChoiceField(choices=ActorType.choices)
    actor_name = serializers.SerializerMethodField()
    message_id = serializers.IntegerField(allow_null=True)
    data = serializers.DictField(help_text="What changed, e.g. {'from': 'open', 'to': 'resolved'}.")
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor_name(self, event: Any) -> str:
        if event.actor_user is not None:
            return event.actor_user.get_full_name() or event.actor_user.get_username()
        if event.actor_storefront is not None:
            return event.actor_storefront.name
        return _("System")


class DeskTicketDetailOut(DeskTicketOut):
    """A ticket as the desk shows it: every message including internal notes, and the timeline of events."""

    closed_at = serializers.DateTimeField(allow_null=True)
    previous_ticket = TicketRefOut(allow_null=True, help_text="The closed ticket this one follows up.")
    messages = MessageOut(many=True, source="shown_messages")
    timeline = EventOut(many=True, source="shown_timeline")
    clocks = ClockOut(many=True, source="shown_clocks", help_text="Running clocks first, soonest deadline first.")


class CannedResponseOut(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="With placeholders {customer_name} {reference} {order_id} {agent_name}.")
    team = NamedRefOut(allow_null=True)


class CannedRenderOut(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="The text with the placeholders filled for this ticket.")


# --- Rendering helpers ------------------------------------------------------------------------------------------


def storefront_ticket_body(*, storefront: Any, public_id: Any) -> dict[str, Any]:
    ticket = selectors.ticket_get_for_storefront(storefront=storefront, public_id=public_id)
    ticket.shown_messages = list(selectors.ticket_public_messages(ticket=ticket))
    return TicketOut(ticket, context={"customer": ticket.customer}).data


def desk_ticket_body(ticket: Ticket) -> dict[str, Any]:
    """The full desk view of a ticket already checked for visibility."""
    # All messages, notes included: the desk shows everything; two queries whatever the number of messages.
    ticket.shown_messages = list(
        ticket.messages.select_related("author").prefetch_related("attachments").order_by("created_at", "id")
    )
    ticket.shown_timeline = list(selectors.ticket_timeline(ticket=ticket))
    ticket.shown_clocks = selectors.ticket_clocks(ticket=ticket)
    return DeskTicketDetailOut(ticket, context={"customer": ticket.customer}).data


def desk_ticket_after_action(ticket: Ticket) -> dict[str, Any]:
    # Reloaded without the visibility filter: an agent who just handed the ticket to another team still gets the
    # result of their own action.
    fresh = Ticket.objects.select_related("customer", "team", "assignee", "storefront", "previous_ticket").get(
        pk=ticket.pk
    )
    return desk_ticket_body(fresh)


# --- Storefront endpoints ---------------------------------------------------------------------------------------


class Text(serializers.CharField):
    """A string field that refuses numbers and booleans instead of turning them into text: wrong types are 400."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CustomerIn(Serializer):
    external_id = Text(max_length=100, required=False, allow_blank=True, default="")
    name = Text(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = Text(max_length=40, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A customer with nothing in it is nobody the desk could show, find or answer: leave the object out instead.
        if not any(value.strip() for value in attrs.values()):
            raise serializers.ValidationError(
                _("Give at least one of external_id, name, email or phone, or leave the customer out.")
            )
        return attrs


class StorefrontApi(APIView):
    permission_classes = [IsStorefront]
    openapi_auth = STOREFRONT_AUTH
