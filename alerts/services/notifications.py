"""Who hears about an alert, in the desk and by e-mail, and the optional outgoing alert webhook.

- at_risk: the assignee;
- breach: the assignee and the supervisors of the ticket's team;
- escalation level 2, severe complaints, KPI alerts: all supervisors (and the assignee, if any; a KPI alert has
  no ticket, its e-mail links to the KPI alerts on the dashboard);
- escalation level 3: as level 2, plus the admin contacts in settings.ADMIN_ALERT_EMAILS (e-mail only).

The in-desk rows are written in the transaction that raised the alerts; e-mails and the webhook go out from a Celery
task enqueued after commit, which marks what it sent so a re-run sends nothing twice.
"""

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alerts.models import Alert, AlertKind, Notification
from tickets.models import Team
from tickets.roles import SUPERVISORS

logger = logging.getLogger(__name__)


def alerts_notify(*, alert_ids: list[int], now: datetime | None = None) -> int:
    """Write the in-desk notifications of newly raised alerts and enqueue their e-mails after commit; the number of
    notifications (those written before included). Call it in the transaction that inserted the alerts, with only
    the ids actually inserted.

    Who (sla.md): the ticket's assignee for every alert; a breach also the supervisors of its team; escalations,
    severe complaints and KPI alerts all supervisors. Four queries whatever the number of alerts; a notification
    already written is left alone (the unique (recipient, alert) constraint).
    """
    if not alert_ids:
        return 0
    now = now or timezone.now()
    alerts = list(Alert.objects.filter(pk__in=alert_ids).values("pk", "kind", "team_id", "ticket__assignee_id"))
    supervisors = set(
        get_user_model().objects.filter(groups__name=SUPERVISORS, is_active=True).values_list("pk", flat=True)
    )
    team_supervisors: dict[int, set[int]] = {}
    breached_teams = {alert["team_id"] for alert in alerts if alert["kind"] == AlertKind.BREACH and alert["team_id"]}
    for team_id, user_id in Team.members.through.objects.filter(
        team_id__in=breached_teams, user_id__in=supervisors
    ).values_list("team_id", "user_id"):
        team_supervisors.setdefault(team_id, set()).add(user_id)
    assignees = {alert["ticket__assignee_id"] for alert in alerts if alert["ticket__assignee_id"]}
    active_assignees = set(
        get_user_model().objects.filter(pk__in=assignees, is_active=True).values_list("pk", flat=True)
    )
    notifications = []
    for alert in alerts:
        recipients = {alert["ticket__assignee_id"]} & active_assignees
        if alert["kind"] == AlertKind.BREACH:
            recipients |= team_supervisors.get(alert["team_id"], set())
        elif alert["kind"] != AlertKind.AT_RISK:
            recipients |= supervisors
        notifications += [
            Notification(recipient_id=user_id, alert_id=alert["pk"], created_at=now) for user_id in sorted(recipients)
        ]
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    created = len(notifications)
    ids = list(alert_ids)

    def enqueue() -> None:
        from alerts.tasks import send_alert_notifications

        try:
            send_alert_notifications.delay(ids)
        except Exception:  # a broker outage must not fail the sweep; the desk notifications are already stored
            logger.exception("Could not enqueue alert notifications for %s alerts", len(ids))

    transaction.on_commit(enqueue)
    return created


def _subject(alert: Alert) -> str:
    reference = alert.ticket.reference if alert.ticket_id else ""
    return " ".join(part for part in (f"[{alert.get_kind_display()}]", reference, str(alert.text)) if part)


def _body(alert: Alert, recipient_tz: str) -> str:
    lines = [str(alert.text)]
    if alert.ticket_id:
        lines.append(_("Ticket: %(reference)s") % {"reference": alert.ticket.reference})
        lines.append(_("Subject: %(subject)s") % {"subject": alert.ticket.subject})
        lines.append(
            settings.SITE_URL.rstrip("/") + reverse("tickets:ticket", args=[alert.ticket.reference])
            if getattr(settings, "SITE_URL", "")
            else reverse("tickets:ticket", args=[alert.ticket.reference])
        )
    elif alert.kind == AlertKind.KPI:
        # A KPI alert has no ticket: it links to the KPI alerts on the dashboard.
        path = reverse("alerts:dashboard") + "?kind=" + AlertKind.KPI
        lines.append(settings.SITE_URL.rstrip("/") + path if getattr(settings, "SITE_URL", "") else path)
    with timezone.override(recipient_tz):
        lines.append(_("At: %(when)s") % {"when": timezone.localtime(alert.occurred_at).strftime("%Y-%m-%d %H:%M %Z")})
    return "\n".join(lines)


def _post_webhook(alert: Alert, url: str) -> bool:
    payload = {
        "kind": alert.kind,
        "metric": alert.metric,
        "level": alert.level,
        "text": str(alert.text),
        "ticket": alert.ticket.reference if alert.ticket_id else None,
        "team": alert.team.name if alert.team_id else None,
        "occurred_at": alert.occurred_at.isoformat(),
        "created_at": alert.created_at.isoformat(),
    }
    if alert.kind == AlertKind.KPI:
        payload["kpi"] = alert.data
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        logger.warning("Alert webhook %s failed for alert %s", url, alert.pk, exc_info=True)
        return False


def _claim(model: type, pk: int, field: str, now: datetime) -> bool:
    """Mark a part as sent before sending it: of two runs racing on one part, only the one that claims it sends
    (at most once; a crash between claim and send loses that one e-mail, never duplicates it)."""
    return model.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(**{field: now}) == 1


def alerts_send_notifications(*, alert_ids: list[int], now: datetime | None = None) -> int:
    """E-mail each notification not yet e-mailed (in the recipient's language and time zone), the admin contacts of
    level-3 escalations, and post the alert webhook. Safe to re-run and to run twice at once: each part is claimed
    before it is sent. A failed webhook post is released for the next run."""
    now = now or timezone.now()
    sent = 0
    pending = (
        Notification.objects.filter(alert_id__in=alert_ids, emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("alert__ticket", "alert__team", "recipient__profile")
    )
    for notification in pending:
        if not _claim(Notification, notification.pk, "emailed_at", now):
            continue
        recipient = notification.recipient
        profile = getattr(recipient, "profile", None)
        language = profile.language if profile else settings.LANGUAGE_CODE
        tz = profile.time_zone if profile else settings.TIME_ZONE
        with translation.override(language):
            send_mail(
                _subject(notification.alert),
                _body(notification.alert, tz),
                settings.DEFAULT_FROM_EMAIL,
                [recipient.email],
            )
        sent += 1
    alerts = Alert.objects.filter(pk__in=alert_ids).select_related("ticket", "team")
    admin_emails = list(getattr(settings, "ADMIN_ALERT_EMAILS", []))
    webhook_url = getattr(settings, "ALERT_WEBHOOK_URL", "")
    for alert in alerts:
        is_level_3 = alert.kind == AlertKind.ESCALATION and alert.level >= 3
        if (
            admin_emails
            and is_level_3
            and not alert.admins_emailed_at
            and _claim(Alert, alert.pk, "admins_emailed_at", now)
        ):
            send_mail(_subject(alert), _body(alert, settings.TIME_ZONE), settings.DEFAULT_FROM_EMAIL, admin_emails)
            sent += 1
        claimed = webhook_url and not alert.webhook_sent_at and _claim(Alert, alert.pk, "webhook_sent_at", now)
        if claimed and not _post_webhook(alert, webhook_url):
            Alert.objects.filter(pk=alert.pk).update(webhook_sent_at=None)
    return sent


# The after-commit task normally sends within seconds; the catch-up leaves it this long before stepping in.
PENDING_GRACE = timedelta(minutes=2)
PENDING_WINDOW = timedelta(hours=24)


def alerts_send_pending(*, now: datetime | None = None, limit: int = 500) -> int:
    """Catch-up for notifications whose after-commit task never ran (broker down at that moment, worker lost):
    sends what is still unsent among the alerts of the last 24 hours. Run by beat every few minutes."""
    now = now or timezone.now()
    since, until = now - PENDING_WINDOW, now - PENDING_GRACE
    alert_ids = set(
        Notification.objects.filter(emailed_at__isnull=True, created_at__gte=since, created_at__lte=until)
        .exclude(recipient__email="")
        .values_list("alert_id", flat=True)[:limit]
    )
    recent = Alert.objects.filter(created_at__gte=since, created_at__lte=until)
    if getattr(settings, "ALERT_WEBHOOK_URL", ""):
        alert_ids.update(recent.filter(webhook_sent_at__isnull=True).values_list("pk", flat=True)[:limit])
    if getattr(settings, "ADMIN_ALERT_EMAILS", []):
        alert_ids.update(
            recent.filter(kind=AlertKind.ESCALATION, level__gte=3, admins_emailed_at__isnull=True).values_list(
                "pk", flat=True
            )[:limit]
        )
    if not alert_ids:
        return 0
    return alerts_send_notifications(alert_ids=sorted(alert_ids), now=now)
