"""`/api/v1/`: the storefront's return and refund endpoints and the staff's (included by aftersales/urls.py)."""

from django.urls import path

from returns.api import desk, storefront

urlpatterns = [
    path("returns/", storefront.ReturnListCreateApi.as_view(), name="api-returns"),
    path("returns/<str:id>/", storefront.ReturnDetailApi.as_view(), name="api-return"),
    path("returns/<str:id>/attachments/", storefront.ReturnAttachmentApi.as_view(), name="api-return-attachments"),
    path("returns/<str:id>/shipment/", storefront.ReturnShipmentApi.as_view(), name="api-return-shipment"),
    path("returns/<str:id>/cancel/", storefront.ReturnCancelApi.as_view(), name="api-return-cancel"),
    path("refunds/<str:id>/", storefront.RefundDetailApi.as_view(), name="api-refund"),
    path("refunds/<str:id>/confirm/", storefront.RefundConfirmApi.as_view(), name="api-refund-confirm"),
    path("desk/returns/", desk.DeskReturnListApi.as_view(), name="api-desk-returns"),
    path("desk/returns/<str:id>/", desk.DeskReturnDetailApi.as_view(), name="api-desk-return"),
    path("desk/returns/<str:id>/approve/", desk.DeskReturnApproveApi.as_view(), name="api-desk-return-approve"),
    path("desk/returns/<str:id>/reject/", desk.DeskReturnRejectApi.as_view(), name="api-desk-return-reject"),
    path("desk/returns/<str:id>/receive/", desk.DeskReturnReceiveApi.as_view(), name="api-desk-return-receive"),
    path("desk/returns/<str:id>/inspect/", desk.DeskReturnInspectApi.as_view(), name="api-desk-return-inspect"),
    path("desk/returns/<str:id>/refund/", desk.DeskReturnRefundApi.as_view(), name="api-desk-return-refund"),
    path("desk/returns/<str:id>/exchange/", desk.DeskReturnExchangeApi.as_view(), name="api-desk-return-exchange"),
    path("desk/returns/<str:id>/repair/", desk.DeskReturnRepairApi.as_view(), name="api-desk-return-repair"),
    path("desk/returns/<str:id>/cancel/", desk.DeskReturnCancelApi.as_view(), name="api-desk-return-cancel"),
    path("desk/refunds/", desk.DeskRefundListApi.as_view(), name="api-desk-refunds"),
    path("desk/refunds/<str:id>/", desk.DeskRefundDetailApi.as_view(), name="api-desk-refund"),
    path("desk/refunds/<str:id>/lower/", desk.DeskRefundLowerApi.as_view(), name="api-desk-refund-lower"),
    path("desk/refunds/<str:id>/issue/", desk.DeskRefundIssueApi.as_view(), name="api-desk-refund-issue"),
    path("desk/refunds/<str:id>/mark/", desk.DeskRefundMarkApi.as_view(), name="api-desk-refund-mark"),
]
