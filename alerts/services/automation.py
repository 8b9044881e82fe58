"""What automation rules tell staff (tickets.services.notify): an `automation` alert with the rule's text, and an
in-desk notification (e-mailed once) to each recipient."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError
from alerts.models import Alert, AlertKind, Notification
from tickets import services as ticket_services
from tickets.models import SlaPolicy, Ticket
from tickets.services.notify import supervisors_alert
from tickets.settings_cache import cached

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


# The trigger event of each kind of SLA alert.
SLA_EVENTS = {AlertKind.AT_RISK: "sla.warning", AlertKind.BREACH: "sla.breached"}


def _policies_with_actions() -> dict[int, tuple[list, list]]:
    return {
        pk: (level2, level3)
        for pk, level2, level3 in SlaPolicy.objects.values_list("pk", "level2_actions", "level3_actions")
        if level2 or level3
    }


def sla_alerts_act(*, kind: str, level: int, alert_ids: list[int], now: datetime) -> int:
    """What newly raised SLA alerts set off besides notifications: the escalation level's actions of the clock's
    policy, and the triggers on sla.warning / sla.breached. Called by the sweep after the alerts committed, one
    transaction per alert: the ticket's row lock is taken before anything of it is changed (the lock order of every
    ticket change), and the alert is claimed in the same transaction, so each acts once. Returns how many acted."""
    event = SLA_EVENTS.get(kind)
    listens = event is not None and ticket_services.automation_listens(event)
    policies = cached("sla_escalation_actions", _policies_with_actions) if kind == AlertKind.ESCALATION else {}
    if not listens and not policies:
        return 0  # nothing to do: no query
    rows = Alert.objects.filter(pk__in=alert_ids, ticket__isnull=False).values_list(
        "pk", "ticket_id", "clock__policy_id", "clock__policy__name", "metric"
    )
    acted = 0
    for alert_id, ticket_id, policy_id, policy_name, metric in rows:
        actions = []
        if policy_id in policies:
            actions = policies[policy_id][0 if level == 2 else 1] if level in (2, 3) else []
        if not actions and not listens:
            continue
        with transaction.atomic():
            ticket = ticket_services.ticket_lock(ticket_id)
            claimed = Alert.objects.filter(pk=alert_id, data={}).update(data={"automation": now.isoformat()})
            if not claimed:
                continue  # another sweep acted on it
            if actions:
                rule = _("%(policy)s: escalation level %(level)s") % {"policy": policy_name, "level": level}
                try:
                    ticket_services.actions_apply(
                        ticket=ticket, actions=actions, actor=ticket_services.SYSTEM, rule_name=rule, now=now
                    )
                except ApplicationError as error:
                    supervisors_alert(
                        text=_("Rule %(rule)s was skipped on %(reference)s: %(error)s")
                        % {"rule": rule, "reference": ticket.reference, "error": error.message},
                        ticket=ticket,
                        now=now,
                    )
                ticket = ticket_services.ticket_lock(ticket_id)
            if listens:
                ticket_services.automation_event(
                    event=event, ticket=ticket, context={"sla": {"metric": metric, "level": level}}, now=now
                )
            acted += 1
    return acted
