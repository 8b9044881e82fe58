"""Staff return and refund endpoints: `/api/v1/desk/returns/`, `/api/v1/desk/refunds/`."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.pagination import DueCursorPagination
from aftersales.schema import STAFF_AUTH
from returns import selectors, services
from returns.api.common import (
    DESK_RETURN_ID,
    DESK_TAGS,
    REFUND_ID,
    ConfirmIn,
    DeskRefundListIn,
    DeskRefundPageOut,
    DeskRefundRowOut,
    DeskReturnListIn,
    DeskReturnOut,
    DeskReturnPageOut,
    ExchangeIn,
    InspectIn,
    ReasonIn,
    RefundCreateIn,
    RefundLowerIn,
    RefundOut,
    RepairIn,
    RequiredReasonIn,
    desk_return,
    paginate,
)
from returns.models import (
    Refund,
    ReturnRequest,
)
from tickets import roles
from tickets.api.common import (
    IDEMPOTENCY_KEY,
    LIST_ERRORS,
    POST_ERRORS,
    READ_ERRORS,
    EmptyIn,
    validated,
    validated_query,
)
from tickets.idempotency import idempotent
from tickets.permissions import is_storefront

# --- Staff endpoints ------------------------------------------------------------------------------------------------


class IsDeskStaff(BasePermission):
    """Agents, supervisors and finance; each action checks its own role (403 otherwise)."""

    message = _("This endpoint is for staff.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not is_storefront(user) and roles.is_staff_member(user))


class DeskApi(APIView):
    permission_classes = [IsDeskStaff]
    openapi_auth = STAFF_AUTH

    def return_for(self, request: Request, id: str) -> ReturnRequest:
        return selectors.return_get_for_user(user=request.user, id=id)

    def refund_for(self, request: Request, id: str) -> Refund:
        return selectors.refund_get_for_user(user=request.user, public_id=id)


class DeskReturnListApi(DeskApi):
    @extend_schema(
        operation_id="desk_returns_list",
        tags=DESK_TAGS,
        summary="Returns you may see, newest first",
        parameters=[DeskReturnListIn],
        responses={200: DeskReturnPageOut, **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = validated_query(DeskReturnListIn, request.query_params)
        returns = selectors.returns_visible_to(request.user)
        if filters.get("status"):
            returns = returns.filter(status=filters["status"])
        returns = selectors.with_details(returns)
        return paginate(self, request, returns, DeskReturnOut)


class DeskReturnDetailApi(DeskApi):
    @extend_schema(
        operation_id="desk_returns_retrieve",
        tags=DESK_TAGS,
        summary="One return",
        parameters=[DESK_RETURN_ID],
        responses={200: DeskReturnOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(DeskReturnOut(self.return_for(request, id)).data)


def _desk_action(
    *, operation_id: str, summary: str, request_serializer: type[serializers.Serializer], description: str = ""
) -> Any:
    return extend_schema(
        operation_id=operation_id,
        tags=DESK_TAGS,
        summary=summary,
        description=description,
        parameters=[DESK_RETURN_ID, IDEMPOTENCY_KEY],
        request=request_serializer,
        responses={200: DeskReturnOut, **POST_ERRORS},
    )


class DeskReturnApproveApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_approve",
        summary="Approve (agents)",
        request_serializer=ReasonIn,
        description="Approves a return needing review, or overrules the policy's automatic rejection (reason "
        "required).",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = validated(ReasonIn, request.data)
        return_request = services.return_approve(
            return_request=self.return_for(request, id), user=request.user, reason=data["reason"]
        )
        return Response(desk_return(request, return_request))


class DeskReturnRejectApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_reject",
        summary="Reject (agents)",
        request_serializer=RequiredReasonIn,
        description="Rejects a return needing review, or overrules the policy's automatic approval before shipment.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = validated(RequiredReasonIn, request.data)
        return_request = services.return_reject(
            return_request=self.return_for(request, id), user=request.user, reason=data["reason"]
        )
        return Response(desk_return(request, return_request))


class DeskReturnReceiveApi(DeskApi):
    @_desk_action(operation_id="desk_returns_receive", summary="Record receipt (agents)", request_serializer=EmptyIn)
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        validated(EmptyIn, request.data)
        return_request = services.return_receive(return_request=self.return_for(request, id), user=request.user)
        return Response(desk_return(request, return_request))


class DeskReturnInspectApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_inspect",
        summary="Record the inspection (agents)",
        request_serializer=InspectIn,
        description="Passed: a refund return gets its refund (pending, for finance). Failed: the return is "
        "rejected with the notes as reason.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = validated(InspectIn, request.data)
        return_request = services.return_inspect(return_request=self.return_for(request, id), user=request.user, **data)
        return Response(desk_return(request, return_request))


class DeskReturnExchangeApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_exchange",
        summary="Request the exchange (agents)",
        request_serializer=ExchangeIn,
        description="Sends return.exchange_requested to the storefront and completes the return.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = validated(ExchangeIn, request.data)
        return_request = services.return_request_exchange(
            return_request=self.return_for(request, id), user=request.user, **data
        )
        return Response(desk_return(request, return_request))


class DeskReturnRepairApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_repair",
        summary="Record the repair (agents)",
        request_serializer=RepairIn,
        description="Completes the return.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = validated(RepairIn, request.data)
        return_request = services.return_record_repair(
            return_request=self.return_for(request, id), user=request.user, **data
        )
        return Response(desk_return(request, return_request))


class DeskReturnCancelApi(DeskApi):
    @_desk_action(
        operation_id="desk_returns_cancel",
        summary="Cancel on the customer's behalf (agents)",
        request_serializer=ReasonIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = validated(ReasonIn, request.data)
        return_request = services.return_cancel(
            return_request=self.return_for(request, id), user=request.user, reason=data["reason"]
        )
        return Response(desk_return(request, return_request))


class DeskReturnRefundApi(DeskApi):
    @extend_schema(
        operation_id="desk_returns_refund",
        tags=DESK_TAGS,
        summary="Refund the return (agents)",
        description="Creates a pending refund: by default what is left of the refundable amount; less needs a "
        "reason; more is refused, as is anything above what was paid for the order.",
        parameters=[DESK_RETURN_ID, IDEMPOTENCY_KEY],
        request=RefundCreateIn,
        responses={201: RefundOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = validated(RefundCreateIn, request.data)
        refund = services.refund_create(return_request=self.return_for(request, id), user=request.user, **data)
        return Response(RefundOut(refund).data, status=status.HTTP_201_CREATED)


class DeskRefundListApi(DeskApi):
    @extend_schema(
        operation_id="desk_refunds_list",
        tags=["desk: refunds"],
        summary="Refunds to issue or settle, oldest due first",
        parameters=[DeskRefundListIn],
        responses={200: DeskRefundPageOut, **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = validated_query(DeskRefundListIn, request.query_params)
        refunds = selectors.refunds_queue(user=request.user, status=filters.get("status"))
        return paginate(self, request, refunds, DeskRefundRowOut, pagination=DueCursorPagination)


class DeskRefundDetailApi(DeskApi):
    @extend_schema(
        operation_id="desk_refunds_retrieve",
        tags=["desk: refunds"],
        summary="One refund",
        parameters=[REFUND_ID],
        responses={200: RefundOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(RefundOut(self.refund_for(request, id)).data)


def _refund_action(*, operation_id: str, summary: str, request_serializer: Any, description: str = "") -> Any:
    return extend_schema(
        operation_id=operation_id,
        tags=["desk: refunds"],
        summary=summary,
        description=description,
        parameters=[REFUND_ID, IDEMPOTENCY_KEY],
        request=request_serializer,
        responses={200: RefundOut, **POST_ERRORS},
    )


class DeskRefundLowerApi(DeskApi):
    @_refund_action(
        operation_id="desk_refunds_lower",
        summary="Lower a pending refund (agents)",
        request_serializer=RefundLowerIn,
        description="A damage deduction; never raises the amount.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = validated(RefundLowerIn, request.data)
        refund = services.refund_lower(refund=self.refund_for(request, id), user=request.user, **data)
        return Response(RefundOut(refund).data)


class DeskRefundIssueApi(DeskApi):
    @_refund_action(
        operation_id="desk_refunds_issue",
        summary="Issue a refund (finance)",
        request_serializer=EmptyIn,
        description="pending -> processing; the storefront is asked (refund.requested) to pay it out.",
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        validated(EmptyIn, request.data)
        refund = services.refund_issue(refund=self.refund_for(request, id), user=request.user)
        return Response(RefundOut(refund).data)


class DeskRefundMarkApi(DeskApi):
    @_refund_action(
        operation_id="desk_refunds_mark",
        summary="Mark a refund succeeded or failed by hand (finance)",
        request_serializer=ConfirmIn,
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        data = validated(ConfirmIn, request.data)
        refund = services.refund_settle(refund=self.refund_for(request, id), user=request.user, **data)
        return Response(RefundOut(refund).data)
