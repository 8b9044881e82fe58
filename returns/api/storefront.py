"""Storefront return and refund endpoints: `/api/v1/returns/`, `/api/v1/refunds/`."""

from drf_spectacular.utils import OpenApiRequest, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from returns import selectors, services
from returns.api.common import (
    REFUND_ID,
    RETURN_ID,
    STOREFRONT_TAGS,
    AttachmentIn,
    ConfirmIn,
    EvidenceOut,
    ReasonIn,
    RefundOut,
    ReturnCreateIn,
    ReturnListIn,
    ReturnOut,
    ReturnPageOut,
    ShipmentIn,
    create_args,
    paginate,
    storefront_return,
)
from tickets.api.common import (
    CREATE_ERRORS,
    IDEMPOTENCY_KEY,
    LIST_ERRORS,
    POST_ERRORS,
    READ_ERRORS,
    StorefrontApi,
    errors,
    validated,
    validated_query,
)
from tickets.idempotency import idempotent

# --- Storefront endpoints -------------------------------------------------------------------------------------------


class ReturnListCreateApi(StorefrontApi):
    @extend_schema(
        operation_id="returns_list",
        tags=STOREFRONT_TAGS,
        summary="List own returns",
        parameters=[ReturnListIn],
        responses={200: ReturnPageOut, **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = validated_query(ReturnListIn, request.query_params)
        filters.pop("cursor", None)
        filters.pop("page_size", None)
        returns = selectors.returns_for_storefront(storefront=request.user.storefront, **filters)
        return paginate(self, request, returns, ReturnOut)

    @extend_schema(
        operation_id="returns_create",
        tags=STOREFRONT_TAGS,
        summary="Create a return request",
        description="The policy decides at once where it can: `decision.outcome` is auto_approved (status "
        "approved), needs_review (status requested) or auto_rejected (status rejected).",
        parameters=[IDEMPOTENCY_KEY],
        request=ReturnCreateIn,
        responses={201: ReturnOut, **CREATE_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(ReturnCreateIn, request.data)
        return_request = services.return_create(storefront=request.user.storefront, **create_args(data))
        # Answered from the rows just written (return_create sets their lists): the same answer as a read.
        return Response(ReturnOut(return_request).data, status=status.HTTP_201_CREATED)


class ReturnDetailApi(StorefrontApi):
    @extend_schema(
        operation_id="returns_retrieve",
        tags=STOREFRONT_TAGS,
        summary="One return",
        parameters=[RETURN_ID],
        responses={200: ReturnOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(storefront_return(request, id))


class ReturnAttachmentApi(StorefrontApi):
    # A file travels as multipart/form-data, and only here: any other content type is 415.
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="returns_attachments_create",
        tags=STOREFRONT_TAGS,
        summary="Add an evidence photo or PDF",
        description="multipart/form-data with one part, `file`.",
        parameters=[RETURN_ID, IDEMPOTENCY_KEY],
        request={
            "multipart/form-data": OpenApiRequest(
                AttachmentIn, encoding={"file": {"contentType": "image/jpeg, image/png, image/webp, application/pdf"}}
            )
        },
        responses={
            201: EvidenceOut,
            **errors(
                400,
                401,
                403,
                404,
                409,
                413,
                415,
                422,
                429,
                **{
                    "413": "The file is larger than 10 MB.",
                    "415": "The body is not multipart/form-data, or the file is not JPEG, PNG, WebP or PDF.",
                },
            ),
        },
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        storefront = request.user.storefront
        return_request = selectors.return_get_for_storefront(storefront=storefront, public_id=id)
        upload = validated(AttachmentIn, request.data)["file"]
        attachment = services.return_add_evidence(return_request=return_request, upload=upload, storefront=storefront)
        return Response(EvidenceOut(attachment).data, status=status.HTTP_201_CREATED)


class ReturnShipmentApi(StorefrontApi):
    @extend_schema(
        operation_id="returns_shipment_create",
        tags=STOREFRONT_TAGS,
        summary="The customer shipped the item back",
        description="approved -> in_transit.",
        parameters=[RETURN_ID, IDEMPOTENCY_KEY],
        request=ShipmentIn,
        responses={200: ReturnOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        storefront = request.user.storefront
        return_request = selectors.return_get_for_storefront(storefront=storefront, public_id=id)
        data = validated(ShipmentIn, request.data)
        services.return_ship(return_request=return_request, storefront=storefront, **data)
        return Response(storefront_return(request, id))


class ReturnCancelApi(StorefrontApi):
    @extend_schema(
        operation_id="returns_cancel_create",
        tags=STOREFRONT_TAGS,
        summary="The customer withdraws the return",
        description="Allowed before the item is received (requested, approved, in_transit) while no refund is under "
        "way.",
        parameters=[RETURN_ID, IDEMPOTENCY_KEY],
        request=ReasonIn,
        responses={200: ReturnOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        storefront = request.user.storefront
        return_request = selectors.return_get_for_storefront(storefront=storefront, public_id=id)
        data = validated(ReasonIn, request.data)
        services.return_cancel(return_request=return_request, storefront=storefront, reason=data["reason"])
        return Response(storefront_return(request, id))


class RefundDetailApi(StorefrontApi):
    @extend_schema(
        operation_id="refunds_retrieve",
        tags=STOREFRONT_TAGS,
        summary="One refund",
        parameters=[REFUND_ID],
        responses={200: RefundOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: str) -> Response:
        refund = selectors.refund_get_for_storefront(storefront=request.user.storefront, public_id=id)
        return Response(RefundOut(refund).data)


class RefundConfirmApi(StorefrontApi):
    @extend_schema(
        operation_id="refunds_confirm_create",
        tags=STOREFRONT_TAGS,
        summary="Confirm a refund paid out (or not)",
        description="processing -> succeeded (with the storefront's transaction_id) or failed (with a failure_reason).",
        parameters=[REFUND_ID, IDEMPOTENCY_KEY],
        request=ConfirmIn,
        responses={200: RefundOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: str) -> Response:
        storefront = request.user.storefront
        refund = selectors.refund_get_for_storefront(storefront=storefront, public_id=id)
        data = validated(ConfirmIn, request.data)
        refund = services.refund_settle(refund=refund, storefront=storefront, **data)
        refund = selectors.refund_get_for_storefront(storefront=storefront, public_id=id)
        return Response(RefundOut(refund).data)
