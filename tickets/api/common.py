"""Shared by the ticket API modules and the other apps' APIs: the API-key scheme, the error format in the
schema, output serializers, strict input fields, the storefront base view."""

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from aftersales.money import decimal_pattern
from aftersales.schema import STOREFRONT_AUTH
from tickets import selectors
from tickets.idempotency import idempotent
from tickets.masking import mask_email, mask_phone
from tickets.models import (
    MESSAGE_BODY_MAX,
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
from tickets.panels import ticket_context
from tickets.permissions import IsStorefront
from tickets.selectors import SLA_STATES

SUBJECT_MAX = 200
BODY_MAX = MESSAGE_BODY_MAX
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


class NewEventMessageOut(Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=MessageKind.choices)
    body = serializers.CharField()


class NewEventOut(Serializer):
    """An event the action's sender had not seen (tickets.services.collision.new_event_data)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    actor_type = serializers.ChoiceField(choices=ActorType.choices)
    actor_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    message = NewEventMessageOut(allow_null=True)


class ErrorSerializer(Serializer):
    """The one error format of the API."""

    type = serializers.CharField(help_text="A stable code, e.g. validation_error, not_found, idempotency_key_reused.")
    detail = serializers.CharField(help_text="A sentence for people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Validation only: messages per field path ("customer.email", "Idempotency-Key").',
    )
    new_events = NewEventOut(
        many=True,
        required=False,
        help_text="`ticket_changed` only: the customer messages and others' replies sent after `seen_event_id`.",
    )

    class Meta:
        ref_name = "Error"


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERROR_DESCRIPTIONS = {
    400: "Invalid input; `errors` names the fields (a body field, a query parameter, the Idempotency-Key header).",
    401: "No, bad or revoked credentials.",
    403: "These credentials may not use this endpoint.",
    404: "No such object, or not yours.",
    409: "Illegal state change, a request with the same Idempotency-Key still in flight, or `ticket_changed` (the "
    "ticket has new messages since `seen_event_id`: see `new_events`, resend with `confirm: true`).",
    413: "The request body is too large.",
    415: "The body's content type is not the one this endpoint takes (JSON; multipart/form-data for files).",
    422: "The Idempotency-Key was already used with a different request.",
    429: "Throttled; retry after the number of seconds in the Retry-After header.",
}


def errors(*codes: int, **described: str) -> dict[int, OpenApiResponse]:
    """The error answers an operation can give, in the error format, each with its sentence; an operation's own
    sentence for a code is passed by the code's text: `errors(400, 404, **{"404": "No figures that day."})`."""
    return {code: error_response(described.get(str(code), ERROR_DESCRIPTIONS[code])) for code in codes}


# What each kind of operation can answer besides its success: a read of one object; a list (its filters and cursor
# are validated); a POST that creates (idempotent: 409 while a twin is in flight, 422 for a reused key; a body that
# is too large or not JSON); a POST on an existing object (404 and illegal state changes besides).
AUTH_ERRORS = errors(401, 403, 429)
READ_ERRORS = errors(401, 403, 404, 429)
LIST_ERRORS = errors(400, 401, 403, 429)
CREATE_ERRORS = errors(
    400, 401, 403, 409, 413, 415, 422, 429, **{"409": "A request with the same Idempotency-Key is still in flight."}
)
POST_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422, 429)
# An Idempotency-Key as the server takes it: 1 to 255 characters that a header can carry, none of them a control
# character, not all of them blank (a header carries Latin-1; ECMAScript's \u escapes, as the schema needs them).
IDEMPOTENCY_KEY_PATTERN = (
    r"^[\u0020-\u007e\u0080-\u00ff]*"
    r"[\u0021-\u007e\u0080-\u0084\u0086-\u009f\u00a1-\u00ff]"
    r"[\u0020-\u007e\u0080-\u00ff]*$"
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": IDEMPOTENCY_KEY_PATTERN},
    OpenApiParameter.HEADER,
    required=False,
    description="At most 255 characters. A retry with the same key and body gets the stored answer back "
    "(header Idempotent-Replayed: true) for 24 hours.",
)


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def validated_query(serializer_class: type[serializers.Serializer], params: QueryDict) -> dict[str, Any]:
    """Query parameters validated as given: an empty value (`?page_size=`) is a value and must be valid, never taken
    for an absent parameter as DRF does with form input. Repeatable parameters (a list field) keep every value;
    others the last, as DRF's own pagination reads them. Unknown parameters are ignored."""
    fields = serializer_class().fields
    repeatable = (serializers.ListField, serializers.MultipleChoiceField)
    data = {
        key: values if isinstance(fields[key], repeatable) else values[-1]
        for key, values in params.lists()
        if key in fields
    }
    return validated(serializer_class, data)


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
    attachments = AttachmentOut(many=True, source="attachment_list")

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
    merged_into = serializers.SerializerMethodField(
        help_text="Set when the ticket was merged into another: read that one; messages posted here land there."
    )
    messages = PublicMessageOut(many=True, source="shown_messages")

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "string", "format": "uuid"}, "reference": {"type": "string"}},
            "required": ["id", "reference"],
        }
    )
    def get_merged_into(self, ticket: Ticket) -> dict[str, str] | None:
        if ticket.merged_into_id is None:
            return None
        target = ticket.merged_into
        return {"id": str(target.public_id), "reference": target.reference}


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
    tags = serializers.SerializerMethodField(help_text="The ticket's tags, sorted.")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, ticket: Ticket) -> list[str]:
        return selectors.tag_names_of(ticket)

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


class LinkedTicketOut(Serializer):
    reference = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)


class OrderLineContextOut(Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="quantity x unit price")


class OrderRefundContextOut(Serializer):
    reference = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    due_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)


class OrderReturnContextOut(Serializer):
    reference = serializers.CharField()
    ticket_reference = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    resolution = serializers.CharField()
    resolution_label = serializers.CharField()
    refundable_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    carrier = serializers.CharField(help_text="The return parcel's carrier, once sent.")
    tracking_number = serializers.CharField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    refunds = OrderRefundContextOut(many=True)


class OrderContextOut(Serializer):
    """The ticket's order as its storefront sent it (with a return), with its returns and refunds."""

    external_id = serializers.CharField()
    placed_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField()
    currency = serializers.CharField()
    lines = OrderLineContextOut(many=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    refunded = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Refunds that succeeded, of the returns listed."
    )
    returns = OrderReturnContextOut(many=True, help_text="The order's returns on tickets you may see.")
    hidden_returns = serializers.IntegerField(help_text="The order's returns on tickets you may not see.")


class CustomerTicketRowOut(Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    subject = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    created_at = serializers.DateTimeField()


class CustomerTicketsOut(Serializer):
    """The customer's other tickets in the storefront (by storefront id, e-mail or phone), newest first (up to 10),
    counts over all their tickets, this one included, and their language."""

    tickets = CustomerTicketRowOut(many=True)
    total = serializers.IntegerField()
    returns = serializers.IntegerField()
    complaints = serializers.IntegerField()
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, help_text="The customer's language: their storefront's (canned texts and macros)."
    )


class DeskTicketDetailOut(DeskTicketOut):
    """A ticket as the desk shows it: every message including internal notes, and the timeline of events."""

    order = OrderContextOut(allow_null=True, source="shown_order", help_text="null: no order known for the ticket.")
    customer_tickets = CustomerTicketsOut(source="shown_customer_tickets")

    closed_at = serializers.DateTimeField(allow_null=True)
    last_event_id = serializers.IntegerField(
        allow_null=True, help_text="The newest event's id: send it as `seen_event_id` with an action (collision guard)."
    )
    previous_ticket = TicketRefOut(allow_null=True, help_text="The closed ticket this one follows up.")
    merged_into = TicketRefOut(allow_null=True, help_text="The ticket this one was merged into.")
    links = serializers.SerializerMethodField(help_text="Related tickets (links go both ways).")

    @extend_schema_field(LinkedTicketOut(many=True))
    def get_links(self, ticket: Ticket) -> list[dict[str, Any]]:
        return selectors.linked_tickets_of(ticket)

    messages = MessageOut(many=True, source="shown_messages")
    timeline = EventOut(many=True, source="shown_timeline")
    clocks = ClockOut(many=True, source="shown_clocks", help_text="Running clocks first, soonest deadline first.")


class CannedResponseOut(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="With placeholders {customer_name} {reference} {order_id} {agent_name}.")
    body_zh = serializers.CharField(
        help_text="The text for customers writing in Simplified Chinese; empty: the English."
    )
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


def new_ticket_body(ticket: Ticket) -> dict[str, Any]:
    """What a storefront reads of a ticket it has just created, from the rows written (ticket_create sets
    `opening_message`): the same answer as a read, without reading it back."""
    opening = ticket.opening_message
    ticket.shown_messages = [opening] if opening is not None and opening.is_public else []
    return TicketOut(ticket, context={"customer": ticket.customer}).data


def desk_ticket_body(ticket: Ticket, *, user: Any) -> dict[str, Any]:
    """The full desk view of a ticket already checked for visibility."""
    # All messages, notes included: the desk shows everything; two queries whatever the number of messages.
    ticket.shown_messages = list(
        ticket.messages.select_related("author").prefetch_related("attachments").order_by("created_at", "id")
    )
    ticket.shown_timeline = list(selectors.ticket_timeline(ticket=ticket))
    ticket.last_event_id = max((event.pk for event in ticket.shown_timeline), default=None)
    ticket.shown_clocks = selectors.ticket_clocks(ticket=ticket)
    ticket.shown_order = ticket_context(ticket, "order", user=user)
    ticket.shown_customer_tickets = selectors.customer_tickets(ticket=ticket, user=user)
    return DeskTicketDetailOut(ticket, context={"customer": ticket.customer}).data


def desk_ticket_after_action(ticket: Ticket, *, user: Any) -> dict[str, Any]:
    # Reloaded without the visibility filter: an agent who just handed the ticket to another team still gets the
    # result of their own action.
    fresh = selectors.with_links(
        selectors.with_tag_names(
            Ticket.objects.select_related(
                "customer", "team", "assignee", "storefront", "previous_ticket", "merged_into"
            )
        )
    ).get(pk=ticket.pk)
    return desk_ticket_body(fresh, user=user)


# --- Storefront endpoints ---------------------------------------------------------------------------------------


class Text(serializers.CharField):
    """A string field that refuses numbers and booleans instead of turning them into text: wrong types are 400. Its
    length is the length sent, as the schema's maxLength means it (DRF would measure it after trimming the blanks)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length, length=len(data))
        return super().to_internal_value(data)


# A tag as tickets.services.tags_validate takes it: 1-50 characters once trimmed (str.strip(), which the pattern's \s
# shares), no comma; the blanks around it are trimmed, so the length sent is bounded only by the field's max_length.
TAG_PATTERN = r"^\s*[^\s,\u0000](?:[^,\u0000]{0,48}[^\s,\u0000])?\s*$"
TAG_SENT_MAX = 1000


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": TAG_SENT_MAX, "pattern": TAG_PATTERN})
class TagText(Text):
    """A tag's name as sent: validated by tickets.services.tags_validate (400 naming `tags`), described exactly."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=TAG_SENT_MAX, trim_whitespace=False, **kwargs)


class Integer(serializers.IntegerField):
    """A JSON integer: strings, floats and booleans are refused instead of being turned into numbers."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class Boolean(serializers.BooleanField):
    """JSON true or false: "yes", 1 and "on" are refused, as the schema says."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class Money(serializers.DecimalField):
    """An amount as a decimal string ("199.00"), exactly as the schema's pattern spells it: no number (no floats on
    the way to money), no exponent, no leading zeros or blanks, at most 2 decimals; no minus sign where negatives are
    invalid, and no zero where the least amount is 0.01."""

    default_error_messages = {
        "invalid": gettext_lazy('A decimal string is required, e.g. "199.00".'),
    }

    def __init__(self, *, max_digits: int = 12, decimal_places: int = 2, **kwargs: Any) -> None:
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, coerce_to_string=True, **kwargs)
        self.pattern = decimal_pattern(
            whole_digits=max_digits - decimal_places, places=decimal_places, least=self.min_value
        )

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not re.fullmatch(self.pattern, data):
            self.fail("invalid")
        return super().to_internal_value(data)


# RFC 3339, as the schema's `format: date-time` means it: a date, "T", a time and an offset (api.md: times with
# offset; a time without one would be read in some server's zone). Years 1000 to 2999: far enough for any order, near
# enough that no offset moves an instant out of what Python can hold.
DATE_TIME_PATTERN = (
    r"^[12][0-9]{3}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_DATE_TIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<hours>[0-9]{2}):(?P<minutes>[0-9]{2}))"
)


def parse_date_time(value: Any) -> datetime | None:
    """An RFC 3339 date-time with its offset, in UTC, or None when the text is not one. Fractions past microseconds
    are cut, as PostgreSQL keeps no more; the offset is applied here, as PostgreSQL takes none beyond 15:59 hours
    while RFC 3339 allows 23:59."""
    if not isinstance(value, str) or not re.fullmatch(DATE_TIME_PATTERN, value):
        return None
    parts = _DATE_TIME.fullmatch(value)
    if parts is None:
        return None
    try:
        moment = datetime.fromisoformat(f"{parts['date']}T{parts['time']}.{(parts['fraction'] or '')[:6]:0<6}")
        hours, minutes = int(parts["hours"] or 0), int(parts["minutes"] or 0)
        if hours > 23 or minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes) * (-1 if parts["sign"] == "-" else 1)
        return moment.replace(tzinfo=dt_timezone(offset)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


@extend_schema_field({"type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN})
class DateTime(serializers.DateTimeField):
    """An instant as RFC 3339 text with its offset ("2026-11-01T10:00:00+08:00")."""

    default_error_messages = {
        "invalid": gettext_lazy(
            'An RFC 3339 date and time with its offset is required, e.g. "2026-11-01T10:00:00+08:00".'
        ),
    }

    def to_internal_value(self, value: Any) -> datetime:
        moment = parse_date_time(value)
        if moment is None:
            self.fail("invalid")
        return moment


@extend_schema_field({"type": "string", "format": "date", "pattern": "^2[0-9]{3}-[0-9]{2}-[0-9]{2}$"})
class QueryDate(serializers.DateField):
    """A day as YYYY-MM-DD, from 2000 to 2999 (no other spelling: "2026-1-5" or "05/01/2026" are refused)."""

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"2[0-9]{3}-[0-9]{2}-[0-9]{2}", value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class QueryInteger(serializers.IntegerField):
    """An integer query parameter: its decimal digits and nothing else ("1.0", " 1", "1e3" are refused)."""

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not re.fullmatch(r"-?[0-9]{1,19}", data):
            self.fail("invalid")
        return super().to_internal_value(data)


class QueryBoolean(serializers.BooleanField):
    """A boolean query parameter: `true` or `false`, as the schema spells it."""

    def to_internal_value(self, data: Any) -> bool:
        if data not in ("true", "false"):
            self.fail("invalid")
        return data == "true"


def cursor_field() -> serializers.RegexField:
    """The cursor of a list's `next` and `previous` links: base64 text, which only the server makes (the lists'
    paginators refuse one they did not make)."""
    return serializers.RegexField(
        r"^[A-Za-z0-9+/=_-]+$",
        trim_whitespace=False,
        required=False,
        max_length=500,
        help_text="From a page's `next` or `previous` link.",
        error_messages={"invalid": gettext_lazy("Invalid cursor.")},
    )


class PageIn(Serializer):
    """A list's paging parameters (cursor pagination, as every list of the API)."""

    cursor = cursor_field()
    page_size = QueryInteger(required=False, min_value=1, max_value=200)


# A request body. A field the server does not know is refused (400 naming it), never silently dropped: a typo, or a
# field sent in a form the server cannot read. The schema says so (`additionalProperties: false`). (A comment, not a
# docstring: the schema would show a docstring as the description of every body.)
class Input(Serializer):
    refuses_unknown_fields = True

    def to_internal_value(self, data: Any) -> Any:
        known = self.fields
        unknown = (
            {str(key): [_("Unknown field.")] for key in data if key not in known} if isinstance(data, Mapping) else {}
        )
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not unknown or not isinstance(exc.detail, dict):
                raise
            # Every mistake at once: the known fields' errors (nested unknown fields among them) and the unknown ones.
            raise serializers.ValidationError({**exc.detail, **unknown}) from None
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class EmptyIn(Input):
    """No fields: an action whose body is empty or `{}`."""


class CustomerIn(Input):
    external_id = Text(max_length=100, required=False, allow_blank=True, default="")
    name = Text(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="", trim_whitespace=False)
    phone = Text(max_length=40, required=False, allow_blank=True, default="")


class StorefrontApi(APIView):
    permission_classes = [IsStorefront]
    openapi_auth = STOREFRONT_AUTH


# --- Objects the desk keeps -------------------------------------------------------------------------------------


# Something the desk keeps and edits whole (saved views, macros, automation rules, chat channels): KeptList and
# KeptDetail answer its endpoints through these hooks; `kept` finds the path's object or raises Http404. (Comments,
# not docstrings, on these views: the schema would show a docstring as the description of every endpoint.)
class Kept:
    input: type[Serializer]
    output: type[Serializer]

    def kept_list(self, request: Request) -> Iterable[Any]:
        raise NotImplementedError

    def kept(self, request: Request, **path: int) -> Any:
        raise NotImplementedError

    def kept_input(self, request: Request) -> dict[str, Any]:
        return validated(self.input, request.data)

    def create(self, request: Request, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update(self, request: Request, kept: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def remove(self, request: Request, kept: Any) -> None:
        raise NotImplementedError

    def answer(self, kept: Any, *, many: bool = False) -> Any:
        return self.output(kept, many=many).data


class WholeListOut(Serializer):
    """A list answered whole (a person's saved views, macros, the automation rules: a few dozen at most), in the
    shape of every list of the API."""

    next = serializers.URLField(allow_null=True, help_text="Always null: the list comes whole.")
    previous = serializers.URLField(allow_null=True, help_text="Always null: the list comes whole.")


class KeptList(Kept):
    def get(self, request: Request) -> Response:
        return Response({"results": self.answer(self.kept_list(request), many=True), "next": None, "previous": None})

    @idempotent
    def post(self, request: Request) -> Response:
        kept = self.create(request, self.kept_input(request))
        return Response(self.answer(kept), status=status.HTTP_201_CREATED)


class KeptDetail(Kept):
    def get(self, request: Request, **path: int) -> Response:
        return Response(self.answer(self.kept(request, **path)))

    def put(self, request: Request, **path: int) -> Response:
        # Found before the body is read: an object the user may not see is 404 whatever they send.
        kept = self.kept(request, **path)
        return Response(self.answer(self.update(request, kept, self.kept_input(request))))

    def delete(self, request: Request, **path: int) -> Response:
        self.remove(request, self.kept(request, **path))
        return Response(status=status.HTTP_204_NO_CONTENT)
