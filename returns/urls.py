from django.urls import path

from aftersales import converters  # noqa: F401 (registers <text:>: no control characters in a path)
from returns import views

app_name = "returns"
urlpatterns = [
    path("desk/returns/", views.returns_queue, name="queue"),
    path("desk/refunds/", views.refunds_queue, name="refunds"),
    path("desk/returns/<text:reference>/", views.return_detail, name="detail"),
    path("desk/returns/<text:reference>/approve/", views.return_approve, name="approve"),
    path("desk/returns/<text:reference>/reject/", views.return_reject, name="reject"),
    path("desk/returns/<text:reference>/cancel/", views.return_cancel, name="cancel"),
    path("desk/returns/<text:reference>/receive/", views.return_receive, name="receive"),
    path("desk/returns/<text:reference>/inspect/", views.return_inspect, name="inspect"),
    path("desk/returns/<text:reference>/refund/", views.return_refund, name="refund"),
    path("desk/returns/<text:reference>/exchange/", views.return_exchange, name="exchange"),
    path("desk/returns/<text:reference>/repair/", views.return_repair, name="repair"),
    path("desk/refunds/<text:refund_id>/lower/", views.refund_lower, name="refund_lower"),
    path("desk/refunds/<text:refund_id>/issue/", views.refund_issue, name="refund_issue"),
    path("desk/refunds/<text:refund_id>/settle/", views.refund_settle, name="refund_settle"),
]
