"""Staff endpoints for everything the desk does with tickets: `/api/v1/desk/`."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.fields import empty
from rest_framework.pagination import BasePagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from aftersales.errors import InvalidInput
from aftersales.pagination import StrictCursorPagination
from aftersales.parsers import JSONParser
from aftersales.schema import STAFF_AUTH
from tickets import roles, selectors, services
from tickets.api.common import (
    BODY_MAX,
    IDEMPOTENCY_KEY,
    LIST_ERRORS,
    POST_ERRORS,
    READ_ERRORS,
    SLA_STATE_CHOICES,
    Boolean,
    CannedRenderOut,
    CannedResponseOut,
    DeskTicketDetailOut,
    DeskTicketOut,
    EmptyIn,
    Input,
    Integer,
    PageIn,
    QueryBoolean,
    QueryInteger,
    Text,
    cursor_field,
    desk_ticket_after_action,
    desk_ticket_body,
    validated,
    validated_query,
)
from tickets.idempotency import idempotent
from tickets.models import (
    Category,
    Channel,
    Kind,
    Severity,
    Status,
    Team,
    Ticket,
)
from tickets.permissions import IsDeskAgent
from tickets.selectors import QUEUE_SCOPES

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
        # The view validated both (DeskQueueIn).
        size = int(request.query_params.get("page_size") or self.page_size)
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


class DeskTicketPageOut(Serializer):
    results = DeskTicketOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class DeskQueueIn(Serializer):
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
    storefront = QueryInteger(required=False, min_value=1, max_value=2**63 - 1)
    sla = serializers.ChoiceField(choices=SLA_STATE_CHOICES, required=False)
    q = Text(required=False, max_length=200, help_text="Reference, customer, order id, words.")
    cursor = cursor_field()
    page_size = QueryInteger(required=False, min_value=1, max_value=QueueCursorPagination.max_page_size)


class DeskApi(APIView):
    permission_classes = [IsDeskAgent]
    openapi_auth = STAFF_AUTH


REFERENCE = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="E.g. T-000123.")
DESK_TAGS = ["desk: tickets"]


class DeskTicketListApi(DeskApi):
    @extend_schema(
        operation_id="desk_tickets_list",
        tags=DESK_TAGS,
        summary="The queue",
        description="Ordered like the desk queue: the soonest SLA deadline first, tickets without one last.",
        parameters=[DeskQueueIn],
        responses={200: DeskTicketPageOut, **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = validated_query(DeskQueueIn, request.query_params)
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
        return Response(desk_ticket_body(ticket, user=request.user))


def _desk_action(*, operation_id: str, summary: str, request: Any, created: bool = False, description: str = "") -> Any:
    return extend_schema(
        operation_id=operation_id,
        tags=DESK_TAGS,
        summary=summary,
        description=description,
        parameters=[REFERENCE, IDEMPOTENCY_KEY],
        request=request,
        responses={201 if created else 200: DeskTicketDetailOut, **POST_ERRORS},
    )


SEEN_EVENT_HELP = (
    "The ticket's `last_event_id` when you read it. If the customer or a colleague wrote to the customer since, the "
    "action is refused with 409 `ticket_changed` and `new_events`, changing nothing; send it again with "
    "`confirm: true` to go ahead. Without it the action goes through (scripts)."
)


class SeenIn(Input):
    """The collision guard's fields (tickets.services.collision), on every action a person takes on a ticket."""

    seen_event_id = Integer(required=False, min_value=0, max_value=2**63 - 1, help_text=SEEN_EVENT_HELP)
    confirm = Boolean(required=False, default=False, help_text="Go ahead although the ticket changed.")


class FormBoolean(QueryBoolean):
    """`true` or `false` in a form body, in any case (form encoders write Python's `True`); absent means false, as in
    JSON (DRF would read an absent field of a form as an unticked checkbox, which is the same here)."""

    default_empty_html = empty

    def to_internal_value(self, data: Any) -> bool:
        return super().to_internal_value(data.lower() if isinstance(data, str) else data)


class SeenFormIn(Serializer):
    """The same fields in a multipart/form-data body, where every value is text."""

    seen_event_id = QueryInteger(required=False, min_value=0, max_value=2**63 - 1, help_text=SEEN_EVENT_HELP)
    confirm = FormBoolean(required=False, help_text="`true` to go ahead although the ticket changed.")


class ReplyIn(SeenIn):
    body = Text(max_length=BODY_MAX)
    status = serializers.ChoiceField(
        choices=Status.choices, required=False, help_text="Move the ticket too, e.g. pending or resolved."
    )


class ReplyWithFilesIn(SeenFormIn, ReplyIn):
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class NoteIn(SeenIn):
    body = Text(max_length=BODY_MAX)


class NoteWithFilesIn(SeenFormIn, NoteIn):
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)


def _seen(data: dict[str, Any]) -> dict[str, Any]:
    return {"seen_event_id": data.get("seen_event_id"), "confirm": data.get("confirm", False)}


class WithFilesApi:
    """A message with files: JSON without them, or multipart/form-data with them (the files as repeated
    `attachments` parts). Each form has its own schema: JSON cannot carry a file, and multipart carries only flat
    text fields, which these bodies are."""

    parser_classes = [JSONParser, MultiPartParser]

    @staticmethod
    def with_files(request: Request) -> bool:
        return request.content_type.startswith("multipart/")


class AssignIn(SeenIn):
    assignee = Text(max_length=150, required=False, allow_null=True, help_text="Username or id; null unassigns.")
    team = Text(max_length=100, required=False, allow_null=True, help_text="Team name or id.")


class StatusIn(SeenIn):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = Text(max_length=500, required=False, allow_blank=True, default="")


class SeverityIn(Input):
    severity = serializers.ChoiceField(choices=Severity.choices)


class CategoryIn(Input):
    category = serializers.ChoiceField(choices=Category.choices)


class CustomerMessageIn(Input):
    body = Text(max_length=BODY_MAX)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)


class DeskReplyApi(WithFilesApi, DeskApi):
    @_desk_action(
        operation_id="desk_tickets_reply",
        summary="Public reply to the customer",
        description="JSON, or multipart/form-data to attach files (`attachments`, repeated).",
        request={"application/json": ReplyIn, "multipart/form-data": ReplyWithFilesIn},
        created=True,
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = validated(ReplyWithFilesIn if self.with_files(request) else ReplyIn, request.data)
        services.ticket_reply(
            ticket=ticket,
            user=request.user,
            body=data["body"],
            attachments=data.get("attachments", []),
            status=data.get("status"),
            **_seen(data),
        )
        return Response(desk_ticket_after_action(ticket, user=request.user), status=status.HTTP_201_CREATED)


class DeskNoteApi(WithFilesApi, DeskApi):
    @_desk_action(
        operation_id="desk_tickets_note",
        summary="Internal note",
        description="JSON, or multipart/form-data to attach files (`attachments`, repeated).",
        request={"application/json": NoteIn, "multipart/form-data": NoteWithFilesIn},
        created=True,
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = validated(NoteWithFilesIn if self.with_files(request) else NoteIn, request.data)
        services.ticket_add_note(
            ticket=ticket, user=request.user, body=data["body"], attachments=data.get("attachments", []), **_seen(data)
        )
        return Response(desk_ticket_after_action(ticket, user=request.user), status=status.HTTP_201_CREATED)


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
        data = validated(CustomerMessageIn, request.data)
        message = services.ticket_add_customer_message(
            ticket=ticket, body=data["body"], user=request.user, channel=data["channel"]
        )
        return Response(desk_ticket_after_action(message.ticket, user=request.user), status=status.HTTP_201_CREATED)


class DeskAcknowledgeApi(DeskApi):
    @_desk_action(
        operation_id="desk_tickets_acknowledge",
        summary="Acknowledge: take ownership and tell the customer",
        request=EmptyIn,
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        validated(EmptyIn, request.data)
        ticket = services.ticket_acknowledge(ticket=ticket, user=request.user)
        return Response(desk_ticket_after_action(ticket, user=request.user))


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
        data = validated(AssignIn, request.data)
        team = _resolve_team(data.get("team"), user=request.user, ticket=ticket) or ticket.team
        assignee = _resolve_assignee(data.get("assignee"), team=team)
        ticket = services.ticket_assign(ticket=ticket, user=request.user, assignee=assignee, team=team, **_seen(data))
        return Response(desk_ticket_after_action(ticket, user=request.user))


class DeskStatusApi(DeskApi):
    @_desk_action(operation_id="desk_tickets_status", summary="Change the status", request=StatusIn)
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = validated(StatusIn, request.data)
        ticket = services.ticket_change_status(
            ticket=ticket, status=data["status"], user=request.user, reason=data["reason"], **_seen(data)
        )
        return Response(desk_ticket_after_action(ticket, user=request.user))


class DeskSeverityApi(DeskApi):
    @_desk_action(operation_id="desk_tickets_severity", summary="Change the severity", request=SeverityIn)
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = validated(SeverityIn, request.data)
        ticket = services.ticket_change_severity(ticket=ticket, severity=data["severity"], user=request.user)
        return Response(desk_ticket_after_action(ticket, user=request.user))


class DeskCategoryApi(DeskApi):
    @_desk_action(operation_id="desk_tickets_category", summary="Change the category", request=CategoryIn)
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = validated(CategoryIn, request.data)
        ticket = services.ticket_change_category(ticket=ticket, category=data["category"], user=request.user)
        return Response(desk_ticket_after_action(ticket, user=request.user))


class CannedPagination(StrictCursorPagination):
    ordering = ("title", "id")
    page_size = 100


class CannedPageOut(Serializer):
    results = CannedResponseOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class DeskCannedListApi(DeskApi):
    @extend_schema(
        operation_id="desk_canned_responses_list",
        tags=["desk: canned responses"],
        summary="Canned responses of your teams and the shared ones",
        parameters=[PageIn],
        responses={200: CannedPageOut, **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        validated_query(PageIn, request.query_params)
        paginator = CannedPagination()
        page = paginator.paginate_queryset(selectors.canned_responses_for(user=request.user), request, view=self)
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
        canned = selectors.canned_responses_for(user=request.user, ticket=ticket).filter(pk=canned_id).first()
        if canned is None:
            raise Http404("No such canned response.")
        text = services.canned_response_render(canned=canned, ticket=ticket, agent=request.user)
        return Response(CannedRenderOut({"id": canned.pk, "title": canned.title, "body": text}).data)
