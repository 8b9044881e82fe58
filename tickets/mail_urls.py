from django.urls import path

from aftersales import converters  # noqa: F401 (registers <text:>)
from tickets import mail_views

app_name = "mail"
urlpatterns = [
    path("desk/outbox/", mail_views.outbox, name="outbox"),
    path("desk/outbox/<text:name>/<int:index>/", mail_views.outbox_message, name="outbox_message"),
    path("desk/tickets/<text:reference>/mail/<int:inbound_id>/", mail_views.inbound_message, name="inbound_message"),
    path("inbound/<slug:provider>/", mail_views.provider_inbound, name="provider_inbound"),
]
