"""Staff actions on alerts."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import IllegalStateChange, NotPermitted
from alerts.models import Alert, Notification
from tickets.roles import is_agent, is_supervisor


def _check_may_acknowledge(alert: Alert, user: Any) -> None:
    if not (is_supervisor(user) or (is_agent(user) and alert.ticket_id and alert.ticket.assignee_id == user.pk)):
        raise NotPermitted(_("Only a supervisor or the ticket's assignee can acknowledge this alert."))


@transaction.atomic
def alert_acknowledge(*, alert: Alert, user: Any, now: datetime | None = None) -> Alert:
    """Record who took charge of an alert and when; the alert stays open until its clock stops."""
    now = now or timezone.now()
    _check_may_acknowledge(alert, user)
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        raise IllegalStateChange(_("This alert is already acknowledged."), field="alert")
    alert.acknowledged_by = user
    alert.acknowledged_at = now
    alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    Notification.objects.filter(alert=alert, recipient=user, read_at__isnull=True).update(read_at=now)
    return alert


@transaction.atomic
def alerts_acknowledge_stages(*, alerts: list[Alert], user: Any, now: datetime | None = None) -> int:
    """Acknowledge rows of the alerts page: for each alert, every open, unacknowledged stage of its ticket's clock
    (at risk, breached, each escalation level) -- or the alert alone when it has no clock. Alerts this user may not
    acknowledge are refused as a whole. Returns how many alerts were acknowledged."""
    now = now or timezone.now()
    for alert in alerts:
        _check_may_acknowledge(alert, user)
    clock_ids = {alert.clock_id for alert in alerts if alert.clock_id}
    alert_ids = {alert.pk for alert in alerts if not alert.clock_id}
    targets = Alert.objects.filter(acknowledged_at__isnull=True).filter(
        Q(clock_id__in=clock_ids, resolved_at__isnull=True) | Q(pk__in=alert_ids)
    )
    # Locked in id order, as alert_acknowledge locks one: two supervisors acknowledging overlapping rows never
    # deadlock, and each alert is acknowledged once (the second finds it done and leaves it).
    locked = list(targets.select_for_update().order_by("pk").values_list("pk", flat=True))
    done = Alert.objects.filter(pk__in=locked, acknowledged_at__isnull=True).update(
        acknowledged_by=user, acknowledged_at=now
    )
    Notification.objects.filter(alert_id__in=locked, recipient=user, read_at__isnull=True).update(read_at=now)
    return done


def notifications_mark_read(*, user: Any, now: datetime | None = None) -> int:
    """Mark all of a user's notifications read."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=now or timezone.now())
