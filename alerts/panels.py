"""What the alerts app adds to the desk: the alerts dashboard, the reports and notifications in the navigation, and
the ticket's SLA alerts as a panel on the ticket page (registered from AlertsConfig.ready)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from alerts import selectors
from tickets import roles
from tickets.panels import register_nav_item, register_ticket_panel


def build_alerts_panel(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    alerts = selectors.ticket_alerts(ticket=ticket)
    if not alerts:
        return None
    user = request.user
    return {
        "template": "alerts/_ticket_panel.html",
        "ticket_alerts": alerts,
        "can_acknowledge": roles.is_supervisor(user) or ticket.assignee_id == user.pk,
    }


def register() -> None:
    register_nav_item(label=_("Alerts"), url_name="alerts:dashboard", visible=roles.is_supervisor, order=10)
    register_nav_item(label=_("Reports"), url_name="alerts:reports", visible=roles.is_supervisor, order=15)
    register_nav_item(label=_("Changes"), url_name="alerts:audit", visible=roles.is_supervisor, order=80)
    register_nav_item(
        label=_("Notifications"), url_name="alerts:notifications", visible=roles.is_staff_member, order=90
    )
    register_ticket_panel(kind="sla_alerts", build=build_alerts_panel, order=5)
