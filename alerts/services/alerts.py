"""Staff actions on alerts."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import IllegalStateChange, NotPermitted
from alerts.models import Alert, Notification
from tickets.roles import is_agent, is_supervisor


@transaction.atomic
def alert_acknowledge(*, alert: Alert, user: Any, now: datetime | None = None) -> Alert:
    """Record who took charge of an alert and when; the alert stays open until its clock stops."""
    now = now or timezone.now()
    if not (is_supervisor(user) or (is_agent(user) and alert.ticket_id and alert.ticket.assignee_id == user.pk)):
        raise NotPermitted(_("Only a supervisor or the ticket's assignee can acknowledge this alert."))
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        raise IllegalStateChange(_("This alert is already acknowledged."), field="alert")
    alert.acknowledged_by = user
    alert.acknowledged_at = now
    alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    Notification.objects.filter(alert=alert, recipient=user, read_at__isnull=True).update(read_at=now)
    return alert


def notifications_mark_read(*, user: Any, now: datetime | None = None) -> int:
    """Mark all of a user's notifications read."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=now or timezone.now())
