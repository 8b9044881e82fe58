"""Every write of the alerts app: the sweep, KPI evaluation, notifications, acknowledging alerts."""

from alerts.services.alerts import alert_acknowledge, alerts_acknowledge_stages, notifications_mark_read
from alerts.services.kpis import kpis_evaluate
from alerts.services.notifications import alerts_notify, alerts_send_notifications, alerts_send_pending
from alerts.services.sweep import sla_sweep

__all__ = [
    "alert_acknowledge",
    "alerts_acknowledge_stages",
    "alerts_notify",
    "alerts_send_notifications",
    "alerts_send_pending",
    "kpis_evaluate",
    "notifications_mark_read",
    "sla_sweep",
]
