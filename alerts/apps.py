from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        from alerts import panels

        panels.register()

        from alerts.services.automation import automation_notify
        from tickets.services.notify import register_staff_notifier

        register_staff_notifier("alerts", automation_notify)
