"""Staff endpoints (`/api/v1/desk/complaints/`): the list with filters, one complaint, and one POST per workflow
step (each calling one service; a refused step is 409 with nothing changed). Every POST is @idempotent."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.pagination import StrictCursorPagination
from aftersales.schema import STAFF_AUTH
from complaints import selectors, services
from complaints.api.common import (
    NOTE_MAX,
    DeskComplaintOut,
    DeskComplaintPageOut,
    desk_body,
)
from complaints.models import (
    ComplaintCategory,
    ComplaintStatus,
    CustomerResponse,
    Department,
    RootCause,
)
from complaints.selectors import AGE_BUCKETS
from tickets.api.common import (
    BODY_MAX,
    IDEMPOTENCY_KEY,
    LIST_ERRORS,
    POST_ERRORS,
    READ_ERRORS,
    Boolean,
    DateTime,
    EmptyIn,
    Input,
    Integer,
    Money,
    PageIn,
    Text,
    validated,
    validated_query,
)
from tickets.idempotency import idempotent
from tickets.models import Severity
from tickets.permissions import IsDeskAgent

# --- Desk endpoints -----------------------------------------------------------------------------------------------


class ComplaintPagination(StrictCursorPagination):
    ordering = ("-created_at", "-id")


class DeskComplaintListIn(PageIn):
    status = serializers.MultipleChoiceField(
        choices=ComplaintStatus.choices, required=False, help_text="Repeatable. Default: every state."
    )
    category = serializers.ChoiceField(choices=ComplaintCategory.choices, required=False)
    department = serializers.ChoiceField(choices=Department.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    age = serializers.ChoiceField(
        choices=[(key, key) for key in AGE_BUCKETS], required=False, help_text="How long ago it was received."
    )
    created_after = DateTime(required=False)
    created_before = DateTime(required=False)


DESK_ID = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The complaint's id (UUID) or reference (C-000123)."
)
DESK_TAGS = ["desk: complaints"]


class DeskApi(APIView):
    permission_classes = [IsDeskAgent]
    openapi_auth = STAFF_AUTH


class DeskComplaintListApi(DeskApi):
    @extend_schema(
        operation_id="desk_complaints_list",
        tags=DESK_TAGS,
        summary="Complaints you may see, newest first",
        parameters=[DeskComplaintListIn],
        responses={200: DeskComplaintPageOut, **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = validated_query(DeskComplaintListIn, request.query_params)
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


class ProposeIn(Input):
    findings = Text(max_length=BODY_MAX, help_text="What the investigation found (internal).")
    proposed_solution = Text(max_length=BODY_MAX, help_text="What we offer the customer (public).")
    compensation_amount = Money(min_value=0, required=False, allow_null=True)
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$",
        trim_whitespace=False,
        required=False,
        allow_blank=True,
        default="",
        help_text="ISO 4217; default CNY.",
    )
    notify_customer = Boolean(default=True, help_text="Send the proposal to the customer as a public reply.")


class ResponseIn(Input):
    response = serializers.ChoiceField(choices=CustomerResponse.choices)
    note = Text(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class ExecuteIn(Input):
    execution_note = Text(max_length=BODY_MAX)


class FollowUpIn(Input):
    follow_up_note = Text(max_length=BODY_MAX)
    follow_up_satisfaction = Integer(min_value=1, max_value=5, required=False, allow_null=True)


class ArchiveIn(Input):
    # Not required here: the service refuses a missing root cause with its own message naming the field.
    root_cause_code = serializers.ChoiceField(choices=RootCause.choices, required=False, allow_blank=True)
    root_cause = Text(max_length=BODY_MAX, required=False, allow_blank=True, default="")
    lessons = Text(max_length=BODY_MAX, required=False, allow_blank=True, default="")


class DepartmentIn(Input):
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
        validated(EmptyIn, request.data)
        complaint = services.complaint_start_investigation(complaint=complaint, user=request.user)
        return Response(desk_body(complaint))


class DeskProposeApi(DeskApi):
    @_step(
        operation_id="desk_complaints_propose",
        summary="Propose a solution (investigating -> solution_proposed)",
        request=ProposeIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_user(user=request.user, id=id)
        data = validated(ProposeIn, request.data)
        complaint = services.complaint_propose_solution(
            complaint=complaint,
            user=request.user,
            findings=data["findings"],
            proposed_solution=data["proposed_solution"],
            compensation_amount=data.get("compensation_amount"),
            currency=data["currency"],
            notify_customer=data["notify_customer"],
        )
        return Response(desk_body(complaint))


class DeskResponseApi(DeskApi):
    @_step(
        operation_id="desk_complaints_customer_response",
        summary="Record the customer's answer (solution_proposed -> accepted or declined)",
        request=ResponseIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_user(user=request.user, id=id)
        data = validated(ResponseIn, request.data)
        complaint = services.complaint_record_response(
            complaint=complaint, user=request.user, response=data["response"], note=data["note"]
        )
        return Response(desk_body(complaint))


class DeskExecuteApi(DeskApi):
    @_step(
        operation_id="desk_complaints_execute",
        summary="Carry out the accepted solution (accepted -> executing)",
        request=ExecuteIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        complaint = selectors.complaint_get_for_user(user=request.user, id=id)
        data = validated(ExecuteIn, request.data)
        complaint = services.complaint_start_execution(
            complaint=complaint, user=request.user, execution_note=data["execution_note"]
        )
        return Response(desk_body(complaint))


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
        data = validated(FollowUpIn, request.data)
        complaint = services.complaint_follow_up(
            complaint=complaint,
            user=request.user,
            follow_up_note=data["follow_up_note"],
            satisfaction=data.get("follow_up_satisfaction"),
        )
        return Response(desk_body(complaint))


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
        data = validated(ArchiveIn, request.data)
        complaint = services.complaint_archive(
            complaint=complaint,
            user=request.user,
            root_cause_code=data.get("root_cause_code") or "",
            root_cause=data["root_cause"],
            lessons=data["lessons"],
        )
        return Response(desk_body(complaint))


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
        data = validated(DepartmentIn, request.data)
        complaint = services.complaint_change_department(
            complaint=complaint, user=request.user, department=data["department"]
        )
        return Response(desk_body(complaint))
