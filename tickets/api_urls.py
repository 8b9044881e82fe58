"""`/api/v1/`: the ticket endpoints, then the other apps' (included by aftersales/urls.py)."""

from django.urls import path

from tickets import api

urlpatterns = [
    path("tickets/", api.TicketCreateApi.as_view(), name="api-ticket-create"),
    path("tickets/<str:id>/", api.TicketDetailApi.as_view(), name="api-ticket-detail"),
    path("tickets/<str:id>/messages/", api.TicketMessageCreateApi.as_view(), name="api-ticket-messages"),
    path("desk/tickets/", api.DeskTicketListApi.as_view(), name="api-desk-tickets"),
    path("desk/tickets/<str:reference>/", api.DeskTicketDetailApi.as_view(), name="api-desk-ticket"),
    path("desk/tickets/<str:reference>/reply/", api.DeskReplyApi.as_view(), name="api-desk-reply"),
    path("desk/tickets/<str:reference>/notes/", api.DeskNoteApi.as_view(), name="api-desk-notes"),
    path("desk/tickets/<str:reference>/acknowledge/", api.DeskAcknowledgeApi.as_view(), name="api-desk-acknowledge"),
    path("desk/tickets/<str:reference>/assign/", api.DeskAssignApi.as_view(), name="api-desk-assign"),
    path("desk/tickets/<str:reference>/status/", api.DeskStatusApi.as_view(), name="api-desk-status"),
    path("desk/tickets/<str:reference>/severity/", api.DeskSeverityApi.as_view(), name="api-desk-severity"),
    path("desk/tickets/<str:reference>/category/", api.DeskCategoryApi.as_view(), name="api-desk-category"),
    path(
        "desk/tickets/<str:reference>/customer-messages/",
        api.DeskCustomerMessageApi.as_view(),
        name="api-desk-customer-messages",
    ),
    path("desk/canned-responses/", api.DeskCannedListApi.as_view(), name="api-desk-canned"),
    path(
        "desk/tickets/<str:reference>/canned-responses/<int:canned_id>/render/",
        api.DeskCannedRenderApi.as_view(),
        name="api-desk-canned-render",
    ),
]
