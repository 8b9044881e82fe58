from django.urls import path

from aftersales import converters  # noqa: F401 (registers <text:>: no control characters in a path)
from tickets import automation_views, views

app_name = "tickets"
urlpatterns = [
    path("desk/", views.queue, name="queue"),
    path("desk/bulk/", views.bulk, name="bulk"),
    path("desk/macros/", views.macros, name="macros"),
    path("desk/macros/<int:macro_id>/delete/", views.macro_delete, name="macro_delete"),
    path("desk/tickets/<text:reference>/macro/", views.ticket_macro, name="macro"),
    path("desk/bulk/<int:job_id>/", views.bulk_job, name="bulk_job"),
    path("desk/preferences/", views.preferences, name="preferences"),
    path("desk/language/", views.set_language, name="set_language"),
    path("desk/tickets/<text:reference>/", views.ticket_detail, name="ticket"),
    path("desk/tickets/<text:reference>/canned/", views.canned_insert, name="canned_insert"),
    path(
        "desk/tickets/<text:reference>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"
    ),
    path("desk/tickets/<text:reference>/reply/", views.ticket_reply, name="reply"),
    path("desk/tickets/<text:reference>/customer-message/", views.ticket_customer_message, name="customer_message"),
    path("desk/tickets/<text:reference>/acknowledge/", views.ticket_acknowledge, name="acknowledge"),
    path("desk/tickets/<text:reference>/assign/", views.ticket_assign, name="assign"),
    path("desk/tickets/<text:reference>/status/", views.ticket_change_status, name="status"),
    path("desk/tickets/<text:reference>/severity/", views.ticket_change_severity, name="severity"),
    path("desk/tickets/<text:reference>/category/", views.ticket_change_category, name="category"),
    path("desk/tickets/<text:reference>/tags/", views.ticket_tags, name="tags"),
    path("desk/tickets/<text:reference>/merge/", views.ticket_merge, name="merge"),
    path("desk/tickets/<text:reference>/link/", views.ticket_link, name="link"),
    path("desk/tickets/<text:reference>/split/", views.ticket_split, name="split"),
    path("desk/tickets/<text:reference>/reveal/", views.ticket_reveal_customer, name="reveal"),
    path("desk/automation/", automation_views.overview, name="automation"),
    path("desk/automation/chat-channels/", automation_views.channel_create, name="automation_channel"),
    path("desk/automation/<str:kind>/new/", automation_views.rule_edit, name="automation_new"),
    path("desk/automation/<str:kind>/<int:rule_id>/", automation_views.rule_edit, name="automation_rule"),
]
