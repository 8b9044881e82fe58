"""What automation rules tell staff (tickets.services.notify): an `automation` alert with the rule's text, and an
in-desk notification (e-mailed once) to each recipient."""

import logging
from datetime import datetime

from django.db import transaction

from alerts.models import Alert, AlertKind, Notification
from tickets.models import Ticket

logger = logging.getLogger(__name__)


def automation_notify(*, user_ids: list[int], text: str, ticket: Ticket | None, now: datetime) -> Alert:
    """One alert and its notifications, in the caller's transaction; the e-mails go after commit."""
    alert = Alert.objects.create(
        kind=AlertKind.AUTOMATION,
        ticket=ticket,
        team_id=ticket.team_id if ticket is not None else None,
        message=text[:500],
        occurred_at=now,
        created_at=now,
    )
    Notification.objects.bulk_create(
        [Notification(recipient_id=user_id, alert=alert, created_at=now) for user_id in user_ids],
        ignore_conflicts=True,
    )

    def enqueue() -> None:
        from alerts.tasks import send_alert_notifications

        try:
            send_alert_notifications.delay([alert.pk])
        except Exception:  # the broker is down: the catch-up task sends them later; the desk has them already
            logger.exception("Could not enqueue the notifications of automation alert %s", alert.pk)

    transaction.on_commit(enqueue)
    return alert
