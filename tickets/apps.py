from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # Macros: each agent keeps their own, supervisors the team and global ones (tickets.services.macros).
        from tickets import roles
        from tickets.panels import register_nav_item

        register_nav_item(label=_("Macros"), url_name="tickets:macros", visible=roles.is_agent, order=90)
        # Sign-in: marks each login's session (second factor owed, idle clock); see tickets.signin.
        from django.contrib.auth import get_user_model
        from django.utils.translation import gettext_lazy

        from tickets import roles, settings_cache, signin  # noqa: F401

        # The e-mail channel's panel on the ticket page (its mails in and out).
        from tickets.mail_views import build_email_panel
        from tickets.models import (
            ApiKey,
            BusinessCalendar,
            CalendarDay,
            RoutingRule,
            SlaPolicy,
            StaffProfile,
            Storefront,
            Team,
            Trigger,
        )
        from tickets.panels import register_nav_item

        register_nav_item(
            label=gettext_lazy("Automation"), url_name="tickets:automation", visible=roles.is_supervisor, order=90
        )
        from tickets.panels import register_ticket_panel

        register_ticket_panel(kind="email", build=build_email_panel, order=5)
        # Privacy: a customer's erasure takes their mails too.
        from tickets.services.inbound import erase_customer_mail
        from tickets.services.privacy import register_erasure_part

        register_erasure_part("email", erase_customer_mail)

        # The settings every storefront call reads come from Django's cache until one of these changes.
        user = get_user_model()
        settings_cache.connect(
            Storefront,
            ApiKey,
            Team,
            RoutingRule,
            SlaPolicy,
            BusinessCalendar,
            CalendarDay,
            StaffProfile,
            Trigger,
            user,
            memberships=(Team.members.through, user.groups.through),
        )
