"""Staff endpoints for everything the desk does with tickets: `/api/v1/desk/`."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.fields import empty
from rest_framework.pagination import BasePagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from aftersales.errors import InvalidInput, NotFound
from aftersales.pagination import StrictCursorPagination
from aftersales.parsers import JSONParser
from aftersales.schema import STAFF_AUTH
from tickets import roles, selectors, services
from tickets.api.common import (
    BODY_MAX,
    CREATE_ERRORS,
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
    Kept,
    KeptDetail,
    KeptList,
    NamedRefOut,
    PageIn,
    QueryBoolean,
    QueryInteger,
    TagText,
    Text,
    WholeListOut,
    cursor_field,
    desk_ticket_after_action,
    desk_ticket_body,
    errors,
    validated,
    validated_query,
)
from tickets.idempotency import idempotent
from tickets.models import (
    BulkJob,
    BulkJobStatus,
    Category,
    Channel,
    Kind,
    Macro,
    MacroScope,
    SavedView,
    Severity,
    Status,
    Team,
    Ticket,
)
from tickets.permissions import IsDeskAgent
from tickets.selectors import QUEUE_SCOPES
from tickets.services.bulk import BULK_JOB_MAX, BULK_SYNC_MAX

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
    tag = serializers.ListField(
        child=Text(max_length=50),
        required=False,
        max_length=10,
        help_text="Repeatable: tickets carrying every one of these tags (any case).",
    )
    view = QueryInteger(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="A saved view's id: its filters (the parameters given narrow them further).",
    )
    cursor = cursor_field()
    page_size = QueryInteger(required=False, min_value=1, max_value=QueueCursorPagination.max_page_size)


class DeskApi(APIView):
    permission_classes = [IsDeskAgent]
    openapi_auth = STAFF_AUTH


REFERENCE = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="E.g. T-000123.")
DESK_TAGS = ["desk: tickets"]


def _queue_filters(params: dict[str, Any]) -> dict[str, Any]:
    fields = ("kind", "category", "severity", "channel", "storefront", "sla")
    filters: dict[str, Any] = {field: params[field] for field in fields if field in params}
    if params.get("status"):
        filters["status"] = sorted(params["status"])
    if params.get("tag"):
        filters["tags"] = params["tag"]
    return filters


def _listed(request: Request, params: dict[str, Any], *, field: str) -> QuerySet[Ticket]:
    """The tickets the list gives for these parameters: the queue's, or a saved view's narrowed by them. The bulk
    endpoint's "all matching" reads them here too, so that it acts on exactly what the list shows."""
    filters = _queue_filters(params)
    search = params.get("q", "")
    if "view" not in params:
        return selectors.ticket_queue(user=request.user, scope=params["scope"], filters=filters, search=search)
    view = selectors.saved_view_get_for_user(user=request.user, view_id=params["view"])
    if view is None:
        raise InvalidInput(_("No such view."), field=field)
    # The parameters given narrow the view, as the filters picked on the queue page do.
    return selectors.saved_view_queue(
        user=request.user, view=view, filters=filters, search=search, scope=params["scope"]
    )


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
        tickets = _listed(request, params, field="view")
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


class TagsIn(Input):
    add = serializers.ListField(
        child=TagText(),
        required=False,
        default=list,
        max_length=50,
    )
    remove = serializers.ListField(
        child=TagText(),
        required=False,
        default=list,
        max_length=50,
    )


class DeskTagsApi(DeskApi):
    @_desk_action(
        operation_id="desk_tickets_tags",
        summary="Add and remove tags",
        description="Tags are trimmed, 1-50 characters, without commas, the same whatever their case; a bad one is "
        "400 naming `tags`, and nothing changes.",
        request=TagsIn,
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = validated(TagsIn, request.data)
        services.ticket_tags_change(
            ticket=ticket, actor=services.Actor(user=request.user), add=data["add"], remove=data["remove"]
        )
        return Response(desk_ticket_after_action(ticket, user=request.user))


class TagSuggestIn(Serializer):
    q = Text(required=False, max_length=50, allow_blank=True, default="")


class TagSuggestOut(Serializer):
    results = serializers.ListField(child=serializers.CharField())


class DeskTagSuggestApi(DeskApi):
    @extend_schema(
        operation_id="desk_tags_list",
        tags=["desk: tags"],
        summary="Tag names for autocomplete: those starting with `q` (any case), the most used first",
        parameters=[TagSuggestIn],
        responses={200: TagSuggestOut, **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = validated_query(TagSuggestIn, request.query_params)
        return Response({"results": selectors.tags_matching(prefix=params["q"])})


# --- Bulk actions -------------------------------------------------------------------------------------------------


class BulkFilterIn(Input):
    """The queue's filters, as the desk list takes them: the tickets "all matching the filter"."""

    scope = serializers.ChoiceField(choices=[(scope, scope) for scope in QUEUE_SCOPES], default="all")
    status = serializers.ListField(child=serializers.ChoiceField(choices=Status.choices), required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    storefront = Integer(required=False, min_value=1, max_value=2**63 - 1)
    sla = serializers.ChoiceField(choices=SLA_STATE_CHOICES, required=False)
    q = Text(required=False, max_length=200)
    tag = serializers.ListField(child=Text(max_length=50), required=False, max_length=10)
    view = Integer(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="A saved view's id: its tickets, narrowed by the other filters given (as `view=` on the list).",
    )


class BulkIn(Input):
    exactly_one_of = (("references", "filter"), ("actions", "macro"))

    references = serializers.ListField(
        child=Text(max_length=20),
        required=False,
        max_length=BULK_JOB_MAX,
        help_text="Up to 100 are answered at once; more (up to 10,000) run as a background job.",
    )
    filter = BulkFilterIn(required=False, help_text="Instead of references: every ticket the queue lists with it.")
    actions = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text='The action vocabulary\'s {"type", "value"}: set_status, assign_team, assign_agent, add_tags, '
        "remove_tags, reply, note...",
    )
    macro = Integer(required=False, min_value=1, max_value=2**63 - 1, help_text="Instead of actions: a macro's id.")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("references" in data) == ("filter" in data):
            raise serializers.ValidationError({"references": [_("Give either references or a filter.")]})
        if ("actions" in data) == ("macro" in data):
            raise serializers.ValidationError({"actions": [_("Give either actions or a macro.")]})
        return data


class BulkResultOut(Serializer):
    reference = serializers.CharField()
    ok = serializers.BooleanField()
    error = serializers.CharField(allow_null=True, help_text="Why this ticket was refused; null when done.")


class BulkResultsOut(Serializer):
    results = BulkResultOut(many=True)


class BulkJobOut(Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=BulkJobStatus.choices)
    total = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    actions = serializers.ListField(child=serializers.DictField())
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    results_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_results_url(self, job: BulkJob) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-desk-bulk-job-results", args=[job.pk]))


class DeskBulkApi(DeskApi):
    @extend_schema(
        operation_id="desk_tickets_bulk",
        tags=DESK_TAGS,
        summary="The same actions on many tickets",
        description="Each ticket all-or-nothing, one refusal never stopping the others. Up to 100 references: "
        "200 with a result per ticket. More, or a filter: 202 with a background job (its progress at its URL).",
        parameters=[IDEMPOTENCY_KEY],
        request=BulkIn,
        responses={200: BulkResultsOut, 202: BulkJobOut, **CREATE_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(BulkIn, request.data)
        if "macro" in data:
            macro = selectors.macros_for(user=request.user).filter(pk=data["macro"]).first()
            if macro is None:
                raise InvalidInput(_("No such macro."), field="macro")
            data["actions"] = services.macro_bulk_actions(macro)
        if "references" in data and len(services.bulk_references(data["references"])) <= BULK_SYNC_MAX:
            results = services.tickets_bulk_apply(
                user=request.user, references=data["references"], actions=data["actions"]
            )
            return Response({"results": results})
        unknown: list[str] = []
        if "references" in data:
            ids, unknown = services.bulk_tickets_found(references=data["references"])
        else:
            params = data["filter"]
            tickets = _listed(request, params, field="filter.view")
            ids = list(tickets.values_list("pk", flat=True)[: BULK_JOB_MAX + 1])
        job = services.bulk_job_create(
            user=request.user, actions=data["actions"], ticket_ids=ids, unknown_references=unknown
        )
        body = BulkJobOut(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["results_url"]})


JOB_ID = OpenApiParameter("job_id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _job_for(request: Request, job_id: int) -> BulkJob:
    job = selectors.bulk_job_get_for_user(user=request.user, job_id=job_id)
    if job is None:
        raise Http404("No such bulk action.")
    return job


class DeskBulkJobApi(DeskApi):
    @extend_schema(
        operation_id="desk_bulk_jobs_retrieve",
        tags=DESK_TAGS,
        summary="A bulk action's progress",
        parameters=[JOB_ID],
        responses={200: BulkJobOut, **READ_ERRORS},
    )
    def get(self, request: Request, job_id: int) -> Response:
        return Response(BulkJobOut(_job_for(request, job_id), context={"request": request}).data)


class BulkResultPagination(StrictCursorPagination):
    ordering = ("ok", "id")
    page_size = 200


class BulkResultPageOut(Serializer):
    results = BulkResultOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class DeskBulkJobResultsApi(DeskApi):
    @extend_schema(
        operation_id="desk_bulk_jobs_results",
        tags=DESK_TAGS,
        summary="A bulk action's result per ticket, the refused ones first",
        parameters=[JOB_ID, PageIn],
        responses={200: BulkResultPageOut, **errors(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request, job_id: int) -> Response:
        job = _job_for(request, job_id)
        validated_query(PageIn, request.query_params)
        paginator = BulkResultPagination()
        page = paginator.paginate_queryset(job.results.all(), request, view=self)
        rows = [{"reference": r.reference, "ok": r.ok, "error": r.error or None} for r in page]
        return paginator.get_paginated_response(BulkResultOut(rows, many=True).data)


# --- Merge, link, split -------------------------------------------------------------------------------------------


class MergeIn(Input):
    sources = serializers.ListField(child=Text(max_length=20), min_length=1, max_length=50)


class LinkIn(Input):
    reference = Text(max_length=20)


class SplitIn(Input):
    message_id = Integer(min_value=1, max_value=2**63 - 1)
    following = Boolean(required=False, default=False, help_text="Move the messages after it too.")


def _visible_tickets(request: Request, references: list[str], field: str) -> list[Ticket]:
    tickets, missing = selectors.tickets_get_for_user(user=request.user, references=references)
    if missing:
        # A reference that names no ticket the user may see is not found, as the ticket in the path would be.
        raise NotFound(
            _("No such ticket, or you may not see it: %(reference)s") % {"reference": missing[0]}, field=field
        )
    return tickets


class DeskMergeApi(DeskApi):
    @_desk_action(
        operation_id="desk_tickets_merge",
        summary="Merge other tickets into this one",
        description="Same storefront only; never into a closed ticket (409). The sources' messages move here, their "
        "returns and complaints too; each source is closed with `merged_into`, and the storefront hears "
        "`ticket.merged`.",
        request=MergeIn,
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        target = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = validated(MergeIn, request.data)
        sources = _visible_tickets(request, data["sources"], "sources")
        services.ticket_merge(target=target, sources=sources, user=request.user)
        return Response(desk_ticket_after_action(target, user=request.user))


class DeskLinkApi(DeskApi):
    @_desk_action(
        operation_id="desk_tickets_link",
        summary="Link a related ticket (both ways)",
        request=LinkIn,
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = validated(LinkIn, request.data)
        (other,) = _visible_tickets(request, [data["reference"]], "reference")
        services.ticket_link(ticket=ticket, other=other, user=request.user)
        return Response(desk_ticket_after_action(ticket, user=request.user))


class DeskSplitApi(DeskApi):
    @_desk_action(
        operation_id="desk_tickets_split",
        summary="Split a customer message into a new ticket",
        description="The new ticket (same customer, linked to this one) is the answer. Only a customer message, "
        "never the ticket's last one, and never on a closed ticket: 409 (a message not on the ticket: 404).",
        request=SplitIn,
        created=True,
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        data = validated(SplitIn, request.data)
        new = services.ticket_split(
            ticket=ticket, message_id=data["message_id"], following=data["following"], user=request.user
        )
        return Response(desk_ticket_after_action(new, user=request.user), status=status.HTTP_201_CREATED)


# --- Saved views --------------------------------------------------------------------------------------------------

VIEW_TAGS = ["desk: saved views"]


class SavedViewIn(Input):
    name = Text(max_length=100)
    team = Integer(
        required=False,
        allow_null=True,
        default=None,
        help_text="A team's id for a team view (supervisors); null: yours.",
    )
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text="status (list), kind, category, severity, channel, storefront (id), team (id), assignee (username, "
        '"me" or "none"), tags (list), sla, created_from, created_to (YYYY-MM-DD), q.',
    )
    sort = serializers.CharField(required=False, allow_blank=True, default="", help_text="due, created, -created, ...")
    columns = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    position = Integer(required=False, min_value=0, max_value=10_000, default=100)


class SavedViewOut(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    team = NamedRefOut(allow_null=True)
    owner = serializers.CharField(source="owner.username")
    filters = serializers.DictField()
    sort = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    position = serializers.IntegerField()


class SavedViewPageOut(WholeListOut):
    results = SavedViewOut(many=True)


# Kept by a person for themselves or for a team (saved views, macros): the input names the team by its id.
class _KeptForTeam(Kept, DeskApi):
    def kept_input(self, request: Request) -> dict[str, Any]:
        data = validated(self.input, request.data)
        team_id = data.pop("team")
        data["team"] = None if team_id is None else Team.objects.filter(pk=team_id).first()
        if team_id is not None and data["team"] is None:
            raise InvalidInput(_("No such team."), field="team")
        return data


@extend_schema(tags=VIEW_TAGS)
class _SavedViews(_KeptForTeam):
    input, output = SavedViewIn, SavedViewOut

    def kept_list(self, request: Request) -> QuerySet[SavedView]:
        return selectors.saved_views_for(user=request.user).select_related("owner")

    def kept(self, request: Request, view_id: int) -> SavedView:
        view = selectors.saved_view_get_for_user(user=request.user, view_id=view_id)
        if view is None:
            raise Http404("No such view.")
        return view

    def create(self, request: Request, data: dict[str, Any]) -> SavedView:
        return services.saved_view_create(user=request.user, **data)

    def update(self, request: Request, view: SavedView, data: dict[str, Any]) -> SavedView:
        return services.saved_view_update(view=view, user=request.user, **data)

    def remove(self, request: Request, view: SavedView) -> None:
        services.saved_view_delete(view=view, user=request.user)


VIEW_ID = OpenApiParameter("view_id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    get=extend_schema(
        operation_id="desk_views_list",
        summary="Your saved views and your teams'",
        responses={200: SavedViewPageOut, **LIST_ERRORS},
    ),
    post=extend_schema(
        operation_id="desk_views_create",
        summary="Save a view (a team's: supervisors)",
        parameters=[IDEMPOTENCY_KEY],
        request=SavedViewIn,
        responses={201: SavedViewOut, **CREATE_ERRORS},
    ),
)
class DeskSavedViewListApi(KeptList, _SavedViews):
    pass


@extend_schema(parameters=[VIEW_ID])
@extend_schema_view(
    get=extend_schema(
        operation_id="desk_views_retrieve",
        summary="A saved view",
        responses={200: SavedViewOut, **READ_ERRORS},
    ),
    put=extend_schema(
        operation_id="desk_views_update",
        summary="Change a saved view (yours; a team's: supervisors)",
        request=SavedViewIn,
        responses={200: SavedViewOut, **errors(400, 401, 403, 404, 413, 415, 429)},
    ),
    delete=extend_schema(
        operation_id="desk_views_destroy",
        summary="Delete a saved view (yours; a team's: supervisors)",
        responses={204: None, **READ_ERRORS},
    ),
)
class DeskSavedViewDetailApi(KeptDetail, _SavedViews):
    pass


# --- Macros -------------------------------------------------------------------------------------------------------

MACRO_TAGS = ["desk: macros"]


class MacroIn(Input):
    name = Text(max_length=100)
    scope = serializers.ChoiceField(choices=MacroScope.choices, default=MacroScope.PERSONAL)
    team = Integer(required=False, allow_null=True, default=None, help_text="A team macro's team (id).")
    actions = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        help_text="The action vocabulary's [{type, value}]; texts per language.",
    )
    send_reply = Boolean(required=False, default=True, help_text="Off: the desk puts the reply in the reply box.")
    is_active = Boolean(required=False, default=True)
    position = Integer(required=False, min_value=0, max_value=10_000, default=100)


class MacroOut(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    scope = serializers.ChoiceField(choices=MacroScope.choices)
    team = NamedRefOut(allow_null=True)
    owner = serializers.CharField(source="owner.username")
    actions = serializers.ListField(child=serializers.DictField())
    send_reply = serializers.BooleanField()
    is_active = serializers.BooleanField()
    position = serializers.IntegerField()


class MacroListOut(WholeListOut):
    results = MacroOut(many=True)


class MacroApplyIn(SeenIn):
    dry_run = Boolean(required=False, default=False, help_text="Say what would change, changing nothing.")


class MacroApplyOut(Serializer):
    dry_run = serializers.BooleanField()
    changes = serializers.ListField(child=serializers.DictField())
    reply = serializers.CharField(allow_null=True, help_text="The reply as rendered for this ticket.")
    note = serializers.CharField(allow_null=True)
    ticket = DeskTicketDetailOut(help_text="The ticket after the macro (unchanged with dry_run).")


@extend_schema(tags=MACRO_TAGS)
class _Macros(_KeptForTeam):
    input, output = MacroIn, MacroOut

    def kept_list(self, request: Request) -> QuerySet[Macro]:
        return selectors.macros_for(user=request.user)

    def kept(self, request: Request, macro_id: int) -> Macro:
        macro = selectors.macros_managed_by(user=request.user).filter(pk=macro_id).first()
        if macro is None:
            raise Http404("No such macro.")
        return macro

    def create(self, request: Request, data: dict[str, Any]) -> Macro:
        return services.macro_create(user=request.user, **data)

    def update(self, request: Request, macro: Macro, data: dict[str, Any]) -> Macro:
        return services.macro_update(macro=macro, user=request.user, **data)

    def remove(self, request: Request, macro: Macro) -> None:
        services.macro_delete(macro=macro, user=request.user)


@extend_schema_view(
    get=extend_schema(
        operation_id="desk_macros_list",
        summary="The macros you may apply: global, your teams' and your own",
        responses={200: MacroListOut, **LIST_ERRORS},
    ),
    post=extend_schema(
        operation_id="desk_macros_create",
        summary="Save a macro (team and global: supervisors)",
        parameters=[IDEMPOTENCY_KEY],
        request=MacroIn,
        responses={201: MacroOut, **CREATE_ERRORS},
    ),
)
class DeskMacroListApi(KeptList, _Macros):
    pass


MACRO_ID = OpenApiParameter("macro_id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema(parameters=[MACRO_ID])
@extend_schema_view(
    get=extend_schema(
        operation_id="desk_macros_retrieve",
        summary="A macro you keep",
        responses={200: MacroOut, **READ_ERRORS},
    ),
    put=extend_schema(
        operation_id="desk_macros_update",
        summary="Change a macro you keep",
        request=MacroIn,
        responses={200: MacroOut, **errors(400, 401, 403, 404, 413, 415, 429)},
    ),
    delete=extend_schema(
        operation_id="desk_macros_destroy",
        summary="Delete a macro you keep",
        responses={204: None, **READ_ERRORS},
    ),
)
class DeskMacroDetailApi(KeptDetail, _Macros):
    pass


class DeskMacroApplyApi(DeskApi):
    @extend_schema(
        operation_id="desk_tickets_macro_apply",
        tags=MACRO_TAGS,
        summary="Apply a macro to a ticket (all its actions, or none)",
        description="With dry_run: what would change and the rendered reply, nothing changed.",
        parameters=[REFERENCE, MACRO_ID, IDEMPOTENCY_KEY],
        request=MacroApplyIn,
        responses={200: MacroApplyOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, reference: str, macro_id: int) -> Response:
        ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
        macro = selectors.macros_for(user=request.user, ticket=ticket).filter(pk=macro_id).first()
        if macro is None:
            raise Http404("No such macro.")
        data = validated(MacroApplyIn, request.data)
        result = services.macro_apply(
            macro=macro,
            ticket=ticket,
            user=request.user,
            dry_run=data["dry_run"],
            seen_event_id=data.get("seen_event_id"),
            confirm=data.get("confirm", False),
        )
        body = {**result.as_json(), "ticket": desk_ticket_after_action(ticket, user=request.user)}
        return Response(body)
