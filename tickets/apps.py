from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # Sign-in: marks each login's session (second factor owed, idle clock); see tickets.signin.
        from tickets import signin  # noqa: F401
