from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("desk/", views.queue, name="queue"),
    path("desk/preferences/", views.preferences, name="preferences"),
    path("desk/language/", views.set_language, name="set_language"),
    path("desk/tickets/<str:reference>/", views.ticket_detail, name="ticket"),
    path("desk/tickets/<str:reference>/canned/", views.canned_insert, name="canned_insert"),
    path("desk/tickets/<str:reference>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("desk/tickets/<str:reference>/reply/", views.ticket_reply, name="reply"),
    path("desk/tickets/<str:reference>/customer-message/", views.ticket_customer_message, name="customer_message"),
    path("desk/tickets/<str:reference>/acknowledge/", views.ticket_acknowledge, name="acknowledge"),
    path("desk/tickets/<str:reference>/assign/", views.ticket_assign, name="assign"),
    path("desk/tickets/<str:reference>/status/", views.ticket_change_status, name="status"),
    path("desk/tickets/<str:reference>/severity/", views.ticket_change_severity, name="severity"),
    path("desk/tickets/<str:reference>/category/", views.ticket_change_category, name="category"),
    path("desk/tickets/<str:reference>/reveal/", views.ticket_reveal_customer, name="reveal"),
]
