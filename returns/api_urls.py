"""`/api/v1/`: the storefront's return and refund endpoints and the staff's (included by aftersales/urls.py)."""

from django.urls import path

from returns import api

urlpatterns = [
    path("returns/", api.ReturnListCreateApi.as_view(), name="api-returns"),
    path("returns/<str:id>/", api.ReturnDetailApi.as_view(), name="api-return"),
    path("returns/<str:id>/attachments/", api.ReturnAttachmentApi.as_view(), name="api-return-attachments"),
    path("returns/<str:id>/shipment/", api.ReturnShipmentApi.as_view(), name="api-return-shipment"),
    path("returns/<str:id>/cancel/", api.ReturnCancelApi.as_view(), name="api-return-cancel"),
    path("refunds/<str:id>/", api.RefundDetailApi.as_view(), name="api-refund"),
    path("refunds/<str:id>/confirm/", api.RefundConfirmApi.as_view(), name="api-refund-confirm"),
    path("desk/returns/", api.DeskReturnListApi.as_view(), name="api-desk-returns"),
    path("desk/returns/<str:id>/", api.DeskReturnDetailApi.as_view(), name="api-desk-return"),
    path("desk/returns/<str:id>/approve/", api.DeskReturnApproveApi.as_view(), name="api-desk-return-approve"),
    path("desk/returns/<str:id>/reject/", api.DeskReturnRejectApi.as_view(), name="api-desk-return-reject"),
    path("desk/returns/<str:id>/receive/", api.DeskReturnReceiveApi.as_view(), name="api-desk-return-receive"),
    path("desk/returns/<str:id>/inspect/", api.DeskReturnInspectApi.as_view(), name="api-desk-return-inspect"),
    path("desk/returns/<str:id>/refund/", api.DeskReturnRefundApi.as_view(), name="api-desk-return-refund"),
    path("desk/returns/<str:id>/exchange/", api.DeskReturnExchangeApi.as_view(), name="api-desk-return-exchange"),
    path("desk/returns/<str:id>/repair/", api.DeskReturnRepairApi.as_view(), name="api-desk-return-repair"),
    path("desk/returns/<str:id>/cancel/", api.DeskReturnCancelApi.as_view(), name="api-desk-return-cancel"),
    path("desk/refunds/", api.DeskRefundListApi.as_view(), name="api-desk-refunds"),
    path("desk/refunds/<str:id>/", api.DeskRefundDetailApi.as_view(), name="api-desk-refund"),
    path("desk/refunds/<str:id>/lower/", api.DeskRefundLowerApi.as_view(), name="api-desk-refund-lower"),
    path("desk/refunds/<str:id>/issue/", api.DeskRefundIssueApi.as_view(), name="api-desk-refund-issue"),
    path("desk/refunds/<str:id>/mark/", api.DeskRefundMarkApi.as_view(), name="api-desk-refund-mark"),
]
