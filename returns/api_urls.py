"""`/api/v1/`: the storefront's return and refund endpoints and the staff's (included by aftersales/urls.py)."""

from django.urls import path

from aftersales import converters  # noqa: F401 (registers <text:>: no control characters in a path)
from returns.api import desk, storefront

urlpatterns = [
    path("returns/", storefront.ReturnListCreateApi.as_view(), name="api-returns"),
    path("returns/<text:id>/", storefront.ReturnDetailApi.as_view(), name="api-return"),
    path("returns/<text:id>/attachments/", storefront.ReturnAttachmentApi.as_view(), name="api-return-attachments"),
    path("returns/<text:id>/shipment/", storefront.ReturnShipmentApi.as_view(), name="api-return-shipment"),
    path("returns/<text:id>/cancel/", storefront.ReturnCancelApi.as_view(), name="api-return-cancel"),
    path("refunds/<text:id>/", storefront.RefundDetailApi.as_view(), name="api-refund"),
    path("refunds/<text:id>/confirm/", storefront.RefundConfirmApi.as_view(), name="api-refund-confirm"),
    path("desk/returns/", desk.DeskReturnListApi.as_view(), name="api-desk-returns"),
    path("desk/returns/<text:id>/", desk.DeskReturnDetailApi.as_view(), name="api-desk-return"),
    path("desk/returns/<text:id>/approve/", desk.DeskReturnApproveApi.as_view(), name="api-desk-return-approve"),
    path("desk/returns/<text:id>/reject/", desk.DeskReturnRejectApi.as_view(), name="api-desk-return-reject"),
    path("desk/returns/<text:id>/receive/", desk.DeskReturnReceiveApi.as_view(), name="api-desk-return-receive"),
    path("desk/returns/<text:id>/inspect/", desk.DeskReturnInspectApi.as_view(), name="api-desk-return-inspect"),
    path("desk/returns/<text:id>/refund/", desk.DeskReturnRefundApi.as_view(), name="api-desk-return-refund"),
    path("desk/returns/<text:id>/exchange/", desk.DeskReturnExchangeApi.as_view(), name="api-desk-return-exchange"),
    path("desk/returns/<text:id>/repair/", desk.DeskReturnRepairApi.as_view(), name="api-desk-return-repair"),
    path("desk/returns/<text:id>/cancel/", desk.DeskReturnCancelApi.as_view(), name="api-desk-return-cancel"),
    path("desk/refunds/", desk.DeskRefundListApi.as_view(), name="api-desk-refunds"),
    path("desk/refunds/<text:id>/", desk.DeskRefundDetailApi.as_view(), name="api-desk-refund"),
    path("desk/refunds/<text:id>/lower/", desk.DeskRefundLowerApi.as_view(), name="api-desk-refund-lower"),
    path("desk/refunds/<text:id>/issue/", desk.DeskRefundIssueApi.as_view(), name="api-desk-refund-issue"),
    path("desk/refunds/<text:id>/mark/", desk.DeskRefundMarkApi.as_view(), name="api-desk-refund-mark"),
]
