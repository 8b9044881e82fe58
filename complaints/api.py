"""The complaint API: storefront endpoints (`/api/v1/complaints/`) and staff endpoints (`/api/v1/desk/complaints/`).

Each view parses with an input serializer, calls one selector or service and renders with an output serializer.
Every POST is @idempotent. A storefront sees the state and the public outcome only (the proposal, the compensation,
the customer's answer), never the findings or internal notes.
"""

from typing import Any

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors, services
from complaints.models import (
    ALLOWED_MOVES,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    CustomerResponse,
    Department,
    RootCause,
)
from complaints.selectors import AGE_BUCKETS
from tickets import services as ticket_services
from tickets.api import (
    AUTH_ERRORS,
    IDEMPOTENCY_KEY,
    POST_ERRORS,
    READ_ERRORS,
    CustomerIn,
    CustomerOut,
    NamedRefOut,
    StaffRefOut,
    Text,
    _error,
    _validated,
)
from tickets.idempotency import idempotent
from tickets.models import Severity, Status
from tickets.permissions import IsDeskAgent, IsStorefront

BODY_MAX = 20000
NOTE_MAX = 5000

# --- Output -------------------------------------------------------------------------------------------------------


class ComplaintTicketOut(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", help_text="Post the customer's messages to this ticket.")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)


class CustomerResponseOut(serializers.Serializer):
    response = serializers.ChoiceField(choices=CustomerResponse.choices)
    at = serializers.DateTimeField()
    note = serializers.CharField()


class ComplaintOut(serializers.Serializer):
    """What a storefront sees: the state and the public outcome."""

    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ComplaintStatus.choices)
    category = serializers.ChoiceField(choices=ComplaintCategory.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    order_external_id = serializers.CharField(source="ticket.order_external_id")
    ticket = ComplaintTicketOut()
    proposed_solution = serializers.CharField(help_text="Empty until a solution is proposed.")
    compensation_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Offered with the proposal, if any."
    )
    currency = serializers.CharField(help_text="ISO 4217; empty without compensation.")
    customer_response = serializers.SerializerMethodField(help_text="The customer's answer to the current proposal.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(CustomerResponseOut(allow_null=True))
    def get_customer_response(self, complaint: Complaint) -> dict[str, Any] | None:
        if not complaint.customer_response:
            return None
        return CustomerResponseOut(
            {
                "response": complaint.customer_response,
                "at": complaint.customer_response_at,
                "note": complaint.customer_response_note,
            }
        ).data


class DeskComplaintOut(ComplaintOut):
    """What staff see: everything, findings and notes included."""

    department = serializers.ChoiceField(choices=Department.choices)
    findings = serializers.CharField()
    execution_note = serializers.CharField()
    follow_up_note = serializers.CharField()
    follow_up_satisfaction = serializers.IntegerField(allow_null=True, min_value=1, max_value=5)
    root_cause_code = serializers.CharField(help_text="One of the root cause codes; empty until archived.")
    root_cause = serializers.CharField()
    lessons = serializers.CharField()
    archived_at = serializers.DateTimeField(allow_null=True)
    customer = CustomerOut(source="ticket.customer", allow_null=True)
    storefront = NamedRefOut(source="ticket.storefront")
    team = NamedRefOut(source="ticket.team", allow_null=True)
    assignee = StaffRefOut(source="ticket.assignee", allow_null=True)
    next_steps = serializers.SerializerMethodField(help_text="The states this complaint may move to next.")

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ComplaintStatus.choices)))
    def get_next_steps(self, complaint: Complaint) -> list[str]:
        return sorted(ALLOWED_MOVES[complaint.status])


class DeskComplaintPageOut(serializers.Serializer):
    results = DeskComplaintOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


def _desk_body(complaint: Complaint) -> dict[str, Any]:
    # Reloaded without the visibility filter: an agent whose complaint just went to another department still gets
    # the result of their own action.
    fresh = Complaint.objects.select_related(
        "ticket", "ticket__customer", "ticket__team", "ticket__assignee", "ticket__storefront"
    ).get(pk=complaint.pk)
    return DeskComplaintOut(fresh).data


# --- Storefront endpoints -----------------------------------------------------------------------------------------


class ComplaintCreateIn(serializers.Serializer):
    category = serializers.ChoiceField(choices=ComplaintCategory.choices)
    body = Text(max_length=BODY_MAX, help_text="The customer's words; the opening message of the ticket.")
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MINOR)
    customer = CustomerIn(required=False)
    order_external_id = Text(max_length=100, required=False, allow_blank=True, default="")


COMPLAINT_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The complaint's id.")
STOREFRONT_TAGS = ["storefront: complaints"]


class ComplaintCreateApi(APIView):
    permission_classes = [IsStorefront]

    @extend_schema(
        operation_id="complaints_create",
        tags=STOREFRONT_TAGS,
        summary="File a complaint",
        description="Opens a complaint and its ticket (kind complaint); the body is the customer's first message. "
        "A severe complaint alerts the supervisors at the next SLA sweep.",
        parameters=[IDEMPOTENCY_KEY],
        request=ComplaintCreateIn,
        responses={201: ComplaintOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = _validated(ComplaintCreateIn, request.data)
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


class ComplaintDetailApi(APIView):
    permission_classes = [IsStorefront]

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


class ComplaintResponseIn(serializers.Serializer):
    response = serializers.ChoiceField(choices=CustomerResponse.choices)
    note = Text(max_length=NOTE_MAX, required=False, allow_blank=True, default="", help_text="The customer's words.")


class ComplaintResponseApi(APIView):
    permission_classes = [IsStorefront]

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
        data = _validated(ComplaintResponseIn, request.data)
        services.complaint_record_response(
            complaint=complaint, storefront=storefront, response=data["response"], note=data["note"]
        )
        complaint = selectors.complaint_get_for_storefront(storefront=storefront, public_id=id)
        return Response(ComplaintOut(complaint).data)


# --- Desk endpoints -----------------------------------------------------------------------------------------------


class ComplaintPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class DeskComplaintListIn(serializers.Serializer):
    status = serializers.MultipleChoiceField(
        choices=ComplaintStatus.choices, required=False, help_text="Repeatable. Default: every state."
    )
    category = serializers.ChoiceField(choices=ComplaintCategory.choices, required=False)
    department = serializers.ChoiceField(choices=Department.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    age = serializers.ChoiceField(
        choices=[(key, key) for key in AGE_BUCKETS], required=False, help_text="How long ago it was received."
    )
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    cursor = Text(required=False, max_length=500)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=ComplaintPagination.max_page_size)


DESK_ID = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The complaint's id (UUID) or reference (C-000123)."
)
DESK_TAGS = ["desk: complaints"]


class DeskApi(APIView):
    permission_classes = [IsDeskAgent]


class DeskComplaintListApi(DeskApi):
    @extend_schema(
        operation_id="desk_complaints_list",
        tags=DESK_TAGS,
        summary="Complaints you may see, newest first",
        parameters=[DeskComplaintListIn],
        responses={200: DeskComplaintPageOut, 400: _error("Invalid filter."), **AUTH_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = _validated(DeskComplaintListIn, request.query_params)
        filters = {
            key: params[key]
            for key in ("category", "department", "severity", "age", "created_after", "created_before")
            if key in params
        }
        if params.get("status"):
            filters["status"] = sorted(params["status"])
        complaints = selectors.complaint_list(user=request.user, filters=filters)
        paginator = ComplaintPagination()
        page = paginator.paginate_queryset(complaints, request, view=self)
        return paginator.get_paginated_response(DeskComplaintOut(page, many=True).data)


class DeskComplaintDetailApi(DeskApi):
    @extend_schema(
        operation_id="desk_complaints_retrieve",
        tags=DESK_TAGS,
        summary="One complaint with everything staff may see",
        parameters=[DESK_ID],
        responses={200: DeskComplaintOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_user(user=request.user, id=id)
        return Response(DeskComplaintOut(complaint).data)


def _step(*, operation_id: str, summary: str, request: Any, description: str = "") -> Any:
    return extend_schema(
        operation_id=operation_id,
        tags=DESK_TAGS,
        summary=summary,
        description=description,
        parameters=[DESK_ID, IDEMPOTENCY_KEY],
        request=request,
        responses={200: DeskComplaintOut, **POST_ERRORS},
    )


class EmptyIn(serializers.Serializer):
    pass


class ProposeIn(serializers.Serializer):
    findings = Text(max_length=BODY_MAX, help_text="What the investigation found (internal).")
    proposed_solution = Text(max_length=BODY_MAX, help_text="What we offer the customer (public).")
    compensation_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True, coerce_to_string=True
    )
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$", required=False, allow_blank=True, default="", help_text="ISO 4217; default CNY."
    )
    notify_customer = serializers.BooleanField(
        default=True, help_text="Send the proposal to the customer as a public reply."
    )


class ResponseIn(serializers.Serializer):
    response = serializers.ChoiceField(choices=CustomerResponse.choices)
    note = Text(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class ExecuteIn(serializers.Serializer):
    execution_note = Text(max_length=BODY_MAX)


class FollowUpIn(serializers.Serializer):
    follow_up_note = Text(max_length=BODY_MAX)
    follow_up_satisfaction = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)


class ArchiveIn(serializers.Serializer):
    # Not required here: the service refuses a missing root cause with its own message naming the field.
    root_cause_code = serializers.ChoiceField(choices=RootCause.choices, required=False, allow_blank=True)
    root_cause = Text(max_length=BODY_MAX, required=False, allow_blank=True, default="")
    lessons = Text(max_length=BODY_MAX, required=False, allow_blank=True, default="")


class DepartmentIn(serializers.Serializer):
    department = serializers.ChoiceField(choices=Department.choices)


class DeskInvestigateApi(DeskApi):
    @_step(
        operation_id="desk_complaints_investigate",
        summary="Start the investigation (received or declined -> investigating)",
        description="The first investigation acknowledges the complaint's ticket and tells the customer.",
        request=EmptyIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_user(user=request.user, id=id)
        complaint = services.complaint_start_investigation(complaint=complaint, user=request.user)
        return Response(_desk_body(complaint))


class DeskProposeApi(DeskApi):
    @_step(
        operation_id="desk_complaints_propose",
        summary="Propose a solution (investigating -> solution_proposed)",
        request=ProposeIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_user(user=request.user, id=id)
        data = _validated(ProposeIn, request.data)
        complaint = services.complaint_propose_solution(
            complaint=complaint,
            user=request.user,
            findings=data["findings"],
            proposed_solution=data["proposed_solution"],
            compensation_amount=data.get("compensation_amount"),
            currency=data["currency"],
            notify_customer=data["notify_customer"],
        )
        return Response(_desk_body(complaint))


class DeskResponseApi(DeskApi):
    @_step(
        operation_id="desk_complaints_customer_response",
        summary="Record the customer's answer (solution_proposed -> accepted or declined)",
        request=ResponseIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_user(user=request.user, id=id)
        data = _validated(ResponseIn, request.data)
        complaint = services.complaint_record_response(
            complaint=complaint, user=request.user, response=data["response"], note=data["note"]
        )
        return Response(_desk_body(complaint))


class DeskExecuteApi(DeskApi):
    @_step(
        operation_id="desk_complaints_execute",
        summary="Carry out the accepted solution (accepted -> executing)",
        request=ExecuteIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_user(user=request.user, id=id)
        data = _validated(ExecuteIn, request.data)
        complaint = services.complaint_start_execution(
            complaint=complaint, user=request.user, execution_note=data["execution_note"]
        )
        return Response(_desk_body(complaint))


class DeskFollowUpApi(DeskApi):
    @_step(
        operation_id="desk_complaints_follow_up",
        summary="Follow up with the customer (executing -> follow_up)",
        description="Resolves the complaint's ticket.",
        request=FollowUpIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_user(user=request.user, id=id)
        data = _validated(FollowUpIn, request.data)
        complaint = services.complaint_follow_up(
            complaint=complaint,
            user=request.user,
            follow_up_note=data["follow_up_note"],
            satisfaction=data.get("follow_up_satisfaction"),
        )
        return Response(_desk_body(complaint))


class DeskArchiveApi(DeskApi):
    @_step(
        operation_id="desk_complaints_archive",
        summary="Archive with the root cause and lessons (follow_up -> archived)",
        description="Refused with 400 naming root_cause_code, root_cause or lessons when one is missing.",
        request=ArchiveIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_user(user=request.user, id=id)
        data = _validated(ArchiveIn, request.data)
        complaint = services.complaint_archive(
            complaint=complaint,
            user=request.user,
            root_cause_code=data.get("root_cause_code") or "",
            root_cause=data["root_cause"],
            lessons=data["lessons"],
        )
        return Response(_desk_body(complaint))


class DeskDepartmentApi(DeskApi):
    @_step(
        operation_id="desk_complaints_department",
        summary="Hand the complaint to another department (supervisors)",
        description="The complaint's ticket moves to that department's team.",
        request=DepartmentIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_user(user=request.user, id=id)
        data = _validated(DepartmentIn, request.data)
        complaint = services.complaint_change_department(
            complaint=complaint, user=request.user, department=data["department"]
        )
        return Response(_desk_body(complaint))
