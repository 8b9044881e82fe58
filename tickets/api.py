"""The ticket API: storefront endpoints (`/api/v1/tickets/`) and staff endpoints (`/api/v1/desk/`).

Each view parses with an input serializer, calls one selector or service and renders with an output serializer.
Every POST is @idempotent. The schema at /api/schema/ is generated from the extend_schema declarations here.
"""

import base64
import binascii
import json
import re
from datetime import date as date_cls
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from aftersales.errors import InvalidInput
from tickets import roles, selectors, services
from tickets.idempotency import idempotent
from tickets.models import (
    ActorType,
    CannedResponse,
    Category,
    Channel,
    EventKind,
    Kind,
    Message,
    MessageKind,
    Metric,
    SalesStat,
    Severity,
    Status,
    Team,
    Ticket,
)
from tickets.permissions import IsDeskAgent, IsStorefront
from tickets.selectors import QUEUE_SCOPES, SLA_STATES
from tickets.services.sales import sales_stat_upsert

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


class ErrorSerializer(serializers.Serializer):
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


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


AUTH_ERRORS = {
    401: _error("No, bad or revoked credentials."),
    403: _error("These credentials may not use this endpoint."),
    429: _error("Throttled; retry after the number of seconds in the Retry-After header."),
}
READ_ERRORS = {**AUTH_ERRORS, 404: _error("No such object, or not yours.")}
POST_ERRORS = {
    **READ_ERRORS,
    400: _error("Invalid input; `errors` names the fields. Also a malformed Idempotency-Key."),
    409: _error("Illegal state change, or a request with the same Idempotency-Key still in flight."),
    413: _error("An attachment is larger than 10 MB."),
    415: _error("Unsupported content type or attachment type."),
    422: _error("The Idempotency-Key was already used with a different request."),
}
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="At most 255 characters. A retry with the same key and body gets the stored answer back "
    "(header Idempotent-Replayed: true) for 24 hours.",
)


def _validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Output serializers -----------------------------------------------------------------------------------------


class CustomerOut(serializers.Serializer):
    external_id = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


class AttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class MessageOut(serializers.Serializer):
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


class TicketOut(serializers.Serializer):
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


class StaffRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, user: Any) -> str:
        return user.get_full_name() or user.get_username()


class NamedRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TicketRefOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()


class DeskTicketOut(serializers.Serializer):
    """A row of the desk queue."""

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


class ClockOut(serializers.Serializer):
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


class EventOut(serializers.Serializer):
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


class CannedResponseOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="With placeholders {customer_name} {reference} {order_id} {agent_name}.")
    team = NamedRefOut(allow_null=True)


class CannedRenderOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="The text with the placeholders filled for this ticket.")


# --- Rendering helpers ------------------------------------------------------------------------------------------


def _storefront_ticket_body(*, storefront: Any, public_id: Any) -> dict[str, Any]:
    ticket = selectors.ticket_get_for_storefront(storefront=storefront, public_id=public_id)
    ticket.shown_messages = list(selectors.ticket_public_messages(ticket=ticket))
    return TicketOut(ticket, context={"customer": ticket.customer}).data


def _desk_ticket_body(ticket: Ticket) -> dict[str, Any]:
    """The full desk view of a ticket already checked for visibility."""
    # All messages, notes included: the desk shows everything; two queries whatever the number of messages.
    ticket.shown_messages = list(
        ticket.messages.select_related("author").prefetch_related("attachments").order_by("created_at", "id")
    )
    ticket.shown_timeline = list(selectors.ticket_timeline(ticket=ticket))
    ticket.shown_clocks = selectors.ticket_clocks(ticket=ticket)
    return DeskTicketDetailOut(ticket, context={"customer": ticket.customer}).data


def _desk_ticket_after_action(ticket: Ticket) -> dict[str, Any]:
    # Reloaded without the visibility filter: an agent who just handed the ticket to another team still gets the
    # result of their own action.
    fresh = Ticket.objects.select_related("customer", "team", "assignee", "storefront", "previous_ticket").get(
        pk=ticket.pk
    )
    return _desk_ticket_body(fresh)


# --- Storefront endpoints ---------------------------------------------------------------------------------------


class Text(serializers.CharField):
    """A string field that refuses numbers and booleans instead of turning them into text: wrong types are 400."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CustomerIn(serializers.Serializer):
    external_id = Text(max_length=100, required=False, allow_blank=True, default="")
    name = Text(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = Text(max_length=40, required=False, allow_blank=True, default="")


class TicketCreateIn(serializers.Serializer):
    subject = Text(max_length=SUBJECT_MAX)
    body = Text(max_length=BODY_MAX)
    category = serializers.ChoiceField(choices=Category.choices, default=Category.OTHER)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    customer = CustomerIn(required=False)
    order_external_id = Text(max_length=100, required=False, allow_blank=True, default="")


class MessageCreateIn(serializers.Serializer):
    body = Text(max_length=BODY_MAX)


TICKET_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The ticket's id.")


class StorefrontApi(APIView):
    permission_classes = [IsStorefront]


class TicketCreateApi(StorefrontApi):
    @extend_schema(
        operation_id="tickets_create",
        tags=["storefront: tickets"],
        summary="Open an inquiry ticket",
        parameters=[IDEMPOTENCY_KEY],
        request=TicketCreateIn,
        responses={201: TicketOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = _validated(TicketCreateIn, request.data)
        storefront = request.user.storefront
        customer_data = data.pop("customer", None) or {}
        with transaction.atomic():
            customer = (
                services.customer_upsert(storefront=storefront, **customer_data)
                if any(customer_data.values())
                else None
            )
            ticket = services.ticket_create(storefront=storefront, customer=customer, kind=Kind.INQUIRY, **data)
        body = _storefront_ticket_body(storefront=storefront, public_id=ticket.public_id)
        return Response(body, status=status.HTTP_201_CREATED)


class TicketDetailApi(StorefrontApi):
    @extend_schema(
        operation_id="tickets_retrieve",
        tags=["storefront: tickets"],
        summary="One ticket with its public messages",
        parameters=[TICKET_ID],
        responses={200: TicketOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(_storefront_ticket_body(storefront=request.user.storefront, public_id=id))


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
        data = _validated(MessageCreateIn, request.data)
        message = services.ticket_add_customer_message(ticket=ticket, body=data["body"], storefront=storefront)
        public_id = Ticket.objects.values_list("public_id", flat=True).get(pk=message.ticket_id)
        body = _storefront_ticket_body(storefront=storefront, public_id=public_id)
        return Response(body, status=status.HTTP_201_CREATED)


# --- Desk endpoints ---------------------------------------------------------------------------------------------


class QueueCursorPagination(BasePagination):
    """Keyset pagination in the queue's order: soonest deadline first, tickets without a deadline last, then id.

    DRF's CursorPagination keys on the first ordering field alone and cannot encode a NULL deadline, so the cursor
    here carries (next_due_at, id) and a direction.
    """

    page_size = 50
    max_page_size = 200

    def paginate_queryset(self, queryset: QuerySet[Ticket], request: Request, view: Any = None) -> list[Ticket]:
        self.request = request
        size = request.query_params.get("page_size")
        size = min(int(size), self.max_page_size) if size and size.isdigit() and int(size) > 0 else self.page_size
        cursor = self._decode(request.query_params.get("cursor"))
        forward = (F("next_due_at").asc(nulls_last=True), "id")
        backward = (F("next_due_at").desc(nulls_first=True), "-id")
        reverse = False
        if cursor is None:
            queryset = queryset.order_by(*forward)
        else:
            due, pk, reverse = cursor
            if reverse:
                before = (
                    Q(next_due_at__isnull=False) | Q(next_due_at__isnull=True, id__lt=pk)
                    if due is None
                    else Q(next_due_at__lt=due) | Q(next_due_at=due, id__lt=pk)
                )
                queryset = queryset.filter(before).order_by(*backward)
            else:
                after = (
                    Q(next_due_at__isnull=True, id__gt=pk)
                    if due is None
                    else Q(next_due_at__gt=due) | Q(next_due_at=due, id__gt=pk) | Q(next_due_at__isnull=True)
                )
                queryset = queryset.filter(after).order_by(*forward)
        rows = list(queryset[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
        self.next_row = rows[-1] if rows and (more if not reverse else True) else None
        self.previous_row = rows[0] if rows and (more if reverse else cursor is not None) else None
        return rows

    def _decode(self, raw: str | None) -> tuple[datetime | None, int, bool] | None:
        if not raw:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
            due = datetime.fromisoformat(data["d"]) if data["d"] is not None else None
            if due is not None and due.tzinfo is None:
                raise ValueError("naive")
            pk = data["i"]
            if not isinstance(pk, int) or isinstance(pk, bool):
                raise ValueError("id")
            return due, pk, bool(data["r"])
        except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error, json.JSONDecodeError):
            raise InvalidInput(_("Invalid cursor."), field="cursor") from None

    def _link(self, row: Ticket | None, *, reverse: bool) -> str | None:
        if row is None:
            return None
        due = row.next_due_at.isoformat() if row.next_due_at else None
        token = json.dumps({"d": due, "i": row.pk, "r": int(reverse)}, separators=(",", ":"))
        url = self.request.build_absolute_uri()
        return replace_query_param(url, "cursor", base64.urlsafe_b64encode(token.encode()).decode("ascii"))

    def get_paginated_response(self, data: list[dict[str, Any]]) -> Response:
        return Response(
            {
                "results": data,
                "next": self._link(self.next_row, reverse=False),
                "previous": self._link(self.previous_row, reverse=True),
            }
        )


class DeskTicketPageOut(serializers.Serializer):
    results = DeskTicketOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class DeskQueueIn(serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=[(scope, scope) for scope in QUEUE_SCOPES],
        default="all",
        help_text="mine, team, unassigned, or all the tickets you may see.",
    )
    status = serializers.MultipleChoiceField(
        choices=Status.choices, required=False, help_text="Repeatable. Default: the open statuses."
    )
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    storefront = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    sla = serializers.ChoiceField(choices=SLA_STATE_CHOICES, required=False)
    q = Text(required=False, max_length=200, help_text="Reference, customer, order id, words.")
    cursor = Text(required=False, max_length=500)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=QueueCursorPagination.max_page_size)


class DeskApi(APIView):
    permission_classes = [IsDeskAgent]


REFERENCE = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="E.g. T-000123.")
DESK_TAGS = ["desk: tickets"]


class DeskTicketListApi(DeskApi):
    @extend_schema(
        operation_id="desk_tickets_list",
        tags=DESK_TAGS,
        summary="The queue",
        description="Ordered like the desk queue: the soonest SLA deadline first, tickets without one last.",
        parameters=[DeskQueueIn],
        responses={200: DeskTicketPageOut, 400: _error("Invalid filter."), **AUTH_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = _validated(DeskQueueIn, request.query_params)
        fields = ("kind", "category", "severity", "channel", "storefront", "sla")
        filters: dict[str, Any] = {field: params[field] for field in fields if field in params}
        if params.get("status"):
            filters["status"] = sorted(params["status"])
        tickets = selectors.ticket_queue(
            user=request.user, scope=params["scope"], filters=filters, search=params.get("q", "")
        )
        paginator = QueueCursorPagination()
        page = paginator.paginate_queryset(tickets, request, view=self)
        return paginator.get_paginated_response(DeskTicketOut(page, many=True).data)


class DeskTicketDetailApi(DeskApi):
    @extend_schema(
        operation_id="desk_tickets_retrieve",
        tags=DESK_TAGS,
        summary="A ticket with every message, internal notes included, and its timeline",
        parameters=[REFERENCE],
        responses={200: DeskTicketDetailOut, **READ_ERRORS},
    )
    def get(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        return Response(_desk_ticket_body(ticket))


def _desk_action(*, operation_id: str, summary: str, request: Any, created: bool = False, description: str = ""):
    return extend_schema(
        operation_id=operation_id,
        tags=DESK_TAGS,
        summary=summary,
        description=description,
        parameters=[REFERENCE, IDEMPOTENCY_KEY],
        request=request,
        responses={201 if created else 200: DeskTicketDetailOut, **POST_ERRORS},
    )


class AttachmentsIn(serializers.Serializer):
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="multipart/form-data only."
    )


class ReplyIn(AttachmentsIn):
    body = Text(max_length=BODY_MAX)
    status = serializers.ChoiceField(
        choices=Status.choices, required=False, help_text="Move the ticket too, e.g. pending or resolved."
    )


class NoteIn(AttachmentsIn):
    body = Text(max_length=BODY_MAX)


class EmptyIn(serializers.Serializer):
    pass


class AssignIn(serializers.Serializer):
    assignee = Text(max_length=150, required=False, allow_null=True, help_text="Username or id; null unassigns.")
    team = Text(max_length=100, required=False, allow_null=True, help_text="Team name or id.")


class StatusIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = Text(max_length=500, required=False, allow_blank=True, default="")


class SeverityIn(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)


class CategoryIn(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)


class CustomerMessageIn(serializers.Serializer):
    body = Text(max_length=BODY_MAX)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)


class DeskReplyApi(DeskApi):
    @_desk_action(
        operation_id="desk_tickets_reply", summary="Public reply to the customer", request=ReplyIn, created=True
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = _validated(ReplyIn, request.data)
        services.ticket_reply(
            ticket=ticket,
            user=request.user,
            body=data["body"],
            attachments=data["attachments"],
            status=data.get("status"),
        )
        return Response(_desk_ticket_after_action(ticket), status=status.HTTP_201_CREATED)


class DeskNoteApi(DeskApi):
    @_desk_action(operation_id="desk_tickets_note", summary="Internal note", request=NoteIn, created=True)
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = _validated(NoteIn, request.data)
        services.ticket_add_note(ticket=ticket, user=request.user, body=data["body"], attachments=data["attachments"])
        return Response(_desk_ticket_after_action(ticket), status=status.HTTP_201_CREATED)


class DeskCustomerMessageApi(DeskApi):
    @_desk_action(
        operation_id="desk_tickets_customer_message",
        summary="Log a customer's message (e.g. a phone call)",
        description="On a closed ticket this opens a new linked ticket; the answer is then that ticket.",
        request=CustomerMessageIn,
        created=True,
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = _validated(CustomerMessageIn, request.data)
        message = services.ticket_add_customer_message(
            ticket=ticket, body=data["body"], user=request.user, channel=data["channel"]
        )
        return Response(_desk_ticket_after_action(message.ticket), status=status.HTTP_201_CREATED)


class DeskAcknowledgeApi(DeskApi):
    @_desk_action(
        operation_id="desk_tickets_acknowledge",
        summary="Acknowledge: take ownership and tell the customer",
        request=EmptyIn,
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        ticket = services.ticket_acknowledge(ticket=ticket, user=request.user)
        return Response(_desk_ticket_after_action(ticket))


def _by_id_or(value: str, field: str) -> Q:
    """An id when the value is a plain number that fits the id column (anything bigger would be a database error),
    else the given name field."""
    if value.isascii() and value.isdigit():
        return Q(pk=int(value)) if len(value) <= 18 else Q(pk__in=[])
    return Q(**{field: value})


def _resolve_team(value: str | None, *, user: Any, ticket: Ticket) -> Team | None:
    if value is None:
        return None
    lookup = _by_id_or(value, "name")
    teams = Team.objects.all() if roles.is_supervisor(user) else Team.objects.filter(pk=ticket.team_id)
    team = teams.filter(lookup).first()
    if team is None:
        raise InvalidInput(_("No such team, or you may not assign to it."), field="team")
    return team


def _resolve_assignee(value: str | None, *, team: Team | None) -> Any:
    if value is None:
        return None
    lookup = _by_id_or(value, "username")
    members = team.members.filter(is_active=True) if team is not None else get_user_model().objects.none()
    assignee = members.filter(lookup).first()
    if assignee is None:
        raise InvalidInput(_("No such member of the ticket's team."), field="assignee")
    return assignee


class DeskAssignApi(DeskApi):
    @_desk_action(
        operation_id="desk_tickets_assign",
        summary="Assign to a person and/or a team",
        description="Agents assign within the ticket's team; supervisors to any team.",
        request=AssignIn,
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = _validated(AssignIn, request.data)
        team = _resolve_team(data.get("team"), user=request.user, ticket=ticket) or ticket.team
        assignee = _resolve_assignee(data.get("assignee"), team=team)
        ticket = services.ticket_assign(ticket=ticket, user=request.user, assignee=assignee, team=team)
        return Response(_desk_ticket_after_action(ticket))


class DeskStatusApi(DeskApi):
    @_desk_action(operation_id="desk_tickets_status", summary="Change the status", request=StatusIn)
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = _validated(StatusIn, request.data)
        ticket = services.ticket_change_status(
            ticket=ticket, status=data["status"], user=request.user, reason=data["reason"]
        )
        return Response(_desk_ticket_after_action(ticket))


class DeskSeverityApi(DeskApi):
    @_desk_action(operation_id="desk_tickets_severity", summary="Change the severity", request=SeverityIn)
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = _validated(SeverityIn, request.data)
        ticket = services.ticket_change_severity(ticket=ticket, severity=data["severity"], user=request.user)
        return Response(_desk_ticket_after_action(ticket))


class DeskCategoryApi(DeskApi):
    @_desk_action(operation_id="desk_tickets_category", summary="Change the category", request=CategoryIn)
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = _validated(CategoryIn, request.data)
        ticket = services.ticket_change_category(ticket=ticket, category=data["category"], user=request.user)
        return Response(_desk_ticket_after_action(ticket))


def _canned_visible_to(user: Any) -> QuerySet[CannedResponse]:
    """Active canned responses of the user's teams plus the shared ones; supervisors see all."""
    canned = CannedResponse.objects.filter(is_active=True).select_related("team")
    if roles.is_supervisor(user):
        return canned
    return canned.filter(Q(team__isnull=True) | Q(team__in=user.teams.all()))


class CannedPagination(CursorPagination):
    ordering = ("title", "id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 200


class CannedPageOut(serializers.Serializer):
    results = CannedResponseOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class DeskCannedListApi(DeskApi):
    @extend_schema(
        operation_id="desk_canned_responses_list",
        tags=["desk: canned responses"],
        summary="Canned responses of your teams and the shared ones",
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY),
            OpenApiParameter("page_size", OpenApiTypes.INT, OpenApiParameter.QUERY),
        ],
        responses={200: CannedPageOut, 404: _error("Invalid cursor."), **AUTH_ERRORS},
    )
    def get(self, request: Request) -> Response:
        paginator = CannedPagination()
        page = paginator.paginate_queryset(_canned_visible_to(request.user), request, view=self)
        return paginator.get_paginated_response(CannedResponseOut(page, many=True).data)


class DeskCannedRenderApi(DeskApi):
    @extend_schema(
        operation_id="desk_canned_responses_render",
        tags=["desk: canned responses"],
        summary="A canned response filled in for one ticket",
        parameters=[REFERENCE, OpenApiParameter("canned_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: CannedRenderOut, **READ_ERRORS},
    )
    def get(self, request: Request, reference: str, canned_id: int) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        canned = _canned_visible_to(request.user).filter(pk=canned_id).first()
        if canned is None:
            raise Http404("No such canned response.")
        text = services.canned_response_render(canned=canned, ticket=ticket, agent=request.user)
        return Response(CannedRenderOut({"id": canned.pk, "title": canned.title, "body": text}).data)


# --- Storefront: daily sales figures ----------------------------------------------------------------------------

# The storefront's own calendar day; UTC+14 is at most one day ahead of any server clock.
SALES_DAYS_AHEAD = 1
SALES_FIRST_DATE = date_cls(2000, 1, 1)
SALES_DATE = OpenApiParameter(
    "date", OpenApiTypes.DATE, OpenApiParameter.PATH, description="The storefront's calendar day, YYYY-MM-DD."
)


class StrictInteger(serializers.IntegerField):
    """A JSON integer: strings, floats and booleans are refused instead of being turned into numbers."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class MoneyString(serializers.DecimalField):
    """An amount as a decimal string ("199.00"); numbers are refused (no floats on the way to money)."""

    default_error_messages = {
        "invalid": gettext_lazy('A decimal string is required, e.g. "199.00".'),
    }

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class SalesStatIn(serializers.Serializer):
    orders = StrictInteger(min_value=0, max_value=2_147_483_647, help_text="Orders placed that day.")
    revenue = MoneyString(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), help_text='Revenue of that day, e.g. "12999.00".'
    )
    currency = serializers.RegexField(
        r"^[A-Z]{3}$",
        help_text="ISO 4217, e.g. CNY.",
        error_messages={"invalid": gettext_lazy("Three upper-case letters, e.g. CNY.")},
    )


class SalesStatOut(serializers.Serializer):
    date = serializers.DateField()
    orders = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _sales_date(value: str) -> date_cls:
    """The path's date: YYYY-MM-DD exactly, from 2000 on, and not later than tomorrow (400 on `date` otherwise)."""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(value)
        day = date_cls.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Give the date as YYYY-MM-DD."), field="date") from None
    latest = timezone.now().date() + timedelta(days=SALES_DAYS_AHEAD)
    if day > latest:
        raise InvalidInput(_("This date is in the future."), field="date")
    if day < SALES_FIRST_DATE:
        raise InvalidInput(_("This date is too far in the past."), field="date")
    return day


class SalesStatApi(StorefrontApi):
    @extend_schema(
        operation_id="sales_stats_update",
        tags=["storefront: sales"],
        summary="Set one day's orders and revenue (upsert)",
        description="Creates the day's figures (201) or replaces them (200). Repeating the same PUT changes nothing. "
        "Orders and revenue are the denominators of the return rate, complaint rate and after-sales cost.",
        parameters=[SALES_DATE],
        request=SalesStatIn,
        responses={
            200: OpenApiResponse(SalesStatOut, description="The day's figures were replaced."),
            201: OpenApiResponse(SalesStatOut, description="The day's figures were created."),
            400: _error("Invalid input; `errors` names the field (date, orders, revenue, currency)."),
            **AUTH_ERRORS,
        },
    )
    def put(self, request: Request, date: str) -> Response:
        day = _sales_date(date)
        data = _validated(SalesStatIn, request.data)
        stat, created = sales_stat_upsert(storefront=request.user.storefront, day=day, **data)
        return Response(SalesStatOut(stat).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        operation_id="sales_stats_retrieve",
        tags=["storefront: sales"],
        summary="One day's orders and revenue, as last set",
        parameters=[SALES_DATE],
        responses={
            200: SalesStatOut,
            400: _error("The date is not YYYY-MM-DD."),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request, date: str) -> Response:
        day = _sales_date(date)
        stat = SalesStat.objects.filter(storefront=request.user.storefront, date=day).first()
        if stat is None:
            raise Http404("No figures for this day.")
        return Response(SalesStatOut(stat).data)
