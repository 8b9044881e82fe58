"""The SLA sweep: turns deadlines that have come into alerts, exactly once, in set-based batches.

Each step is one SQL statement per batch: pick the clocks whose moment has come through a partial index limited to
running clocks still owed that step, mark them, insert the alerts with ON CONFLICT DO NOTHING against the
(clock, kind, level) constraint, and write a ticket event only for the alert rows actually inserted. Concurrency:
clock rows are taken FOR UPDATE SKIP LOCKED and their tickets FOR KEY SHARE SKIP LOCKED, so a sweep never waits on a
ticket an agent is changing (it is picked up by the next sweep) and never deadlocks with the ticket services,
which lock the ticket first and its clocks second. Two sweeps at once therefore split the work; should both still
reach one clock, the unique constraint lets only one alert through. Notifications are enqueued after commit.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from alerts.models import Alert, AlertKind
from alerts.services.automation import sla_alerts_act
from alerts.services.notifications import alerts_notify
from complaints.models import Complaint, ComplaintStatus
from tickets.models import RUNNING, ActorType, EventKind, Severity, SlaClock, Ticket, TicketEvent
from tickets.services import ticket_events_save

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000


@dataclass(frozen=True)
class _Step:
    kind: str
    level: int
    event_kind: str
    at_column: str
    owed: str  # SQL: the clock still owes this step (matches its partial index)
    mark: str  # SQL SET clause
    owed_q: Q  # the same condition as `owed`, for the portable path


STEPS = (
    _Step(
        AlertKind.AT_RISK,
        1,
        EventKind.SLA_WARNING,
        "warn_at",
        "c.warned_at IS NULL",
        "warned_at = c.warn_at",
        Q(warned_at__isnull=True),
    ),
    # The breach instant is the deadline itself, however late the sweep runs.
    _Step(
        AlertKind.BREACH,
        1,
        EventKind.SLA_BREACH,
        "due_at",
        "c.breached_at IS NULL",
        "breached_at = c.due_at, escalation_level = GREATEST(c.escalation_level, 1), "
        "warned_at = COALESCE(c.warned_at, c.warn_at)",
        Q(breached_at__isnull=True),
    ),
    _Step(
        AlertKind.ESCALATION,
        2,
        EventKind.ESCALATION,
        "escalate2_at",
        "c.escalation_level < 2 AND c.breached_at IS NOT NULL",
        "escalation_level = 2",
        Q(escalation_level__lt=2, breached_at__isnull=False),
    ),
    _Step(
        AlertKind.ESCALATION,
        3,
        EventKind.ESCALATION,
        "escalate3_at",
        "c.escalation_level < 3 AND c.escalation_level >= 2",
        "escalation_level = 3",
        Q(escalation_level__lt=3, escalation_level__gte=2),
    ),
)


def _step_sql(step: _Step) -> str:
    clock, ticket = SlaClock._meta.db_table, Ticket._meta.db_table
    alert, event = Alert._meta.db_table, TicketEvent._meta.db_table
    # Only table names from model metadata are interpolated; every value is a bound parameter.
    return f"""
WITH due AS (
    SELECT c.id FROM {clock} c JOIN {ticket} t ON t.id = c.ticket_id
    WHERE c.stopped_at IS NULL AND c.paused_at IS NULL AND {step.owed} AND c.{step.at_column} <= %(now)s
    ORDER BY c.{step.at_column}, c.id
    LIMIT %(batch)s
    FOR UPDATE OF c SKIP LOCKED
    FOR KEY SHARE OF t SKIP LOCKED
), marked AS (
    UPDATE {clock} c SET {step.mark} FROM due WHERE c.id = due.id
    RETURNING c.id, c.ticket_id, c.metric, c.{step.at_column} AS occurred_at
), inserted AS (
    INSERT INTO {alert} (kind, metric, level, clock_id, ticket_id, team_id, key, message, occurred_at, created_at)
    SELECT %(kind)s, m.metric, %(level)s, m.id, m.ticket_id, t.team_id, '', '', m.occurred_at, %(now)s
    FROM marked m JOIN {ticket} t ON t.id = m.ticket_id
    ON CONFLICT (clock_id, kind, level) WHERE clock_id IS NOT NULL DO NOTHING
    RETURNING id, ticket_id, metric, level, occurred_at
), events AS (
    INSERT INTO {event} (ticket_id, kind, actor_type, data, created_at)
    SELECT i.ticket_id, %(event_kind)s, 'system',
           jsonb_build_object('alert', i.id, 'metric', i.metric, 'level', i.level, 'at', i.occurred_at), %(now)s
    FROM inserted i
    RETURNING 1
)
SELECT (SELECT count(*) FROM marked), COALESCE((SELECT array_agg(id ORDER BY id) FROM inserted), '{{}}')
"""  # noqa: S608


def _portable() -> bool:
    """SQLite (the embedded database of `make run`) lacks data-modifying CTEs and SKIP LOCKED; it also has a single
    writer, so the plain ORM steps below are just as exactly-once there. PostgreSQL takes the set-based SQL."""
    return connection.vendor != "postgresql"


def _mark(step: _Step, clock: SlaClock) -> None:
    if step.kind == AlertKind.AT_RISK:
        clock.warned_at = clock.warn_at
    elif step.kind == AlertKind.BREACH:
        clock.breached_at = clock.due_at
        clock.escalation_level = max(clock.escalation_level, 1)
        clock.warned_at = clock.warned_at or clock.warn_at
    else:
        clock.escalation_level = step.level


def _insert_alerts_with_events(alerts: list[Alert], event_data: "list[dict]", event_kind: str, now: datetime) -> list:
    created = Alert.objects.bulk_create(alerts)
    ticket_events_save(
        TicketEvent(
            ticket_id=alert.ticket_id,
            kind=event_kind,
            actor_type=ActorType.SYSTEM,
            data={"alert": alert.pk, **data},
            created_at=now,
        )
        for alert, data in zip(created, event_data, strict=True)
    )
    return [alert.pk for alert in created]


def _run_step_portable(step: _Step, *, now: datetime, batch_size: int) -> int:
    raised = 0
    while True:
        with transaction.atomic():
            due = list(
                SlaClock.objects.filter(RUNNING, step.owed_q, **{f"{step.at_column}__lte": now})
                .select_related("ticket")
                .order_by(step.at_column, "id")[:batch_size]
            )
            for clock in due:
                _mark(step, clock)
            SlaClock.objects.bulk_update(due, ["warned_at", "breached_at", "escalation_level"])
            alerts = [
                Alert(
                    kind=step.kind,
                    metric=clock.metric,
                    level=step.level,
                    clock=clock,
                    ticket_id=clock.ticket_id,
                    team_id=clock.ticket.team_id,
                    occurred_at=getattr(clock, step.at_column),
                    created_at=now,
                )
                for clock in due
            ]
            data = [{"metric": a.metric, "level": a.level, "at": a.occurred_at.isoformat()} for a in alerts]
            alert_ids = _insert_alerts_with_events(alerts, data, step.event_kind, now)
            if alert_ids:
                alerts_notify(alert_ids=alert_ids, now=now)
            raised += len(alert_ids)
        if alert_ids:
            sla_alerts_act(kind=step.kind, level=step.level, alert_ids=alert_ids, now=now)
        if len(due) < batch_size:
            return raised


def _run_step(step: _Step, *, now: datetime, batch_size: int) -> int:
    """Raise one step's alerts in batches until no clock owes it; returns how many alerts were inserted."""
    if _portable():
        return _run_step_portable(step, now=now, batch_size=batch_size)
    sql = _step_sql(step)
    raised = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    sql,
                    {
                        "now": now,
                        "batch": batch_size,
                        "kind": str(step.kind),
                        "level": step.level,
                        "event_kind": str(step.event_kind),
                    },
                )
                marked, alert_ids = cursor.fetchone()
            if alert_ids:
                alerts_notify(alert_ids=list(alert_ids), now=now)
            raised += len(alert_ids)
        if alert_ids:
            # After the batch committed: its clock locks are released before tickets are locked to act on them.
            sla_alerts_act(kind=step.kind, level=step.level, alert_ids=list(alert_ids), now=now)
        if marked < batch_size:
            return raised


def _resolve_stopped(*, now: datetime) -> int:
    """Mark resolved the open alerts whose clock has stopped (the dashboard then shows "since answered"), and those
    of archived complaints."""
    if _portable():
        return _resolve_stopped_portable(now=now)
    alert, clock = Alert._meta.db_table, SlaClock._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {alert} a SET resolved_at = LEAST(c.stopped_at, %(now)s)
            FROM {clock} c
            WHERE a.clock_id = c.id AND a.resolved_at IS NULL AND c.stopped_at IS NOT NULL AND c.stopped_at <= %(now)s
            """,  # noqa: S608
            {"now": now},
        )
        resolved = cursor.rowcount
        complaint = Complaint._meta.db_table
        cursor.execute(
            f"""
            UPDATE {alert} a SET resolved_at = LEAST(c.archived_at, %(now)s)
            FROM {complaint} c
            WHERE a.complaint_id = c.id AND a.resolved_at IS NULL AND c.archived_at IS NOT NULL
            """,  # noqa: S608
            {"now": now},
        )
        return resolved + cursor.rowcount


def _resolve_stopped_portable(*, now: datetime) -> int:
    resolved = 0
    with transaction.atomic():
        for alert in (
            Alert.objects.filter(resolved_at__isnull=True)
            .filter(Q(clock__stopped_at__lte=now) | Q(complaint__archived_at__isnull=False))
            .select_related("clock", "complaint")
        ):
            ended = alert.clock.stopped_at if alert.clock_id else alert.complaint.archived_at
            alert.resolved_at = min(ended, now)
            alert.save(update_fields=["resolved_at"])
            resolved += 1
    return resolved


def sla_sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """One sweep: warnings, breaches, escalations, resolving alerts of stopped clocks, severe complaints.

    Safe to run twice, and at the same time as another sweep: each alert is raised once. Returns the counts of
    alerts raised by this run.
    """
    now = now or timezone.now()
    counts = {"warnings": 0, "breaches": 0, "escalations": 0}
    for step in STEPS:
        raised = _run_step(step, now=now, batch_size=batch_size)
        if step.kind == AlertKind.AT_RISK:
            counts["warnings"] += raised
        elif step.kind == AlertKind.BREACH:
            counts["breaches"] += raised
        else:
            counts["escalations"] += raised
    resolved = _resolve_stopped(now=now)
    complaints = _raise_severe_complaints(now=now, batch_size=batch_size)
    logger.info("SLA sweep at %s: %s, %s resolved, %s complaint alerts", now.isoformat(), counts, resolved, complaints)
    return counts


def _complaints_sql() -> str:
    complaint, ticket = Complaint._meta.db_table, Ticket._meta.db_table
    alert, event = Alert._meta.db_table, TicketEvent._meta.db_table
    # Only table names from model metadata are interpolated; every value is a bound parameter.
    return f"""
WITH picked AS (
    SELECT c.id, c.ticket_id, c.updated_at FROM {complaint} c
    WHERE c.severity = %(severe)s AND c.status <> %(archived)s AND c.created_at <= %(now)s
      AND NOT EXISTS (SELECT 1 FROM {alert} a WHERE a.complaint_id = c.id AND a.kind = %(kind)s)
    ORDER BY c.id
    LIMIT %(batch)s
), inserted AS (
    INSERT INTO {alert} (kind, metric, level, complaint_id, ticket_id, team_id, key, message, occurred_at, created_at)
    SELECT %(kind)s, '', 1, p.id, p.ticket_id, t.team_id, '', '', LEAST(p.updated_at, %(now)s), %(now)s
    FROM picked p JOIN {ticket} t ON t.id = p.ticket_id
    ON CONFLICT (complaint_id, kind) WHERE complaint_id IS NOT NULL DO NOTHING
    RETURNING id, ticket_id
), events AS (
    INSERT INTO {event} (ticket_id, kind, actor_type, data, created_at)
    SELECT i.ticket_id, %(event_kind)s, 'system', jsonb_build_object('alert', i.id, 'alert_kind', %(kind)s), %(now)s
    FROM inserted i
    RETURNING 1
)
SELECT (SELECT count(*) FROM picked), COALESCE((SELECT array_agg(id ORDER BY id) FROM inserted), '{{}}')
"""  # noqa: S608


def _raise_severe_complaints(*, now: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Step 4: one `severe_complaint` alert per severe complaint (not yet archived), for the supervisors."""
    if _portable():
        return _raise_severe_complaints_portable(now=now, batch_size=batch_size)
    sql = _complaints_sql()
    raised = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    sql,
                    {
                        "now": now,
                        "batch": batch_size,
                        "severe": Severity.SEVERE.value,
                        "archived": ComplaintStatus.ARCHIVED.value,
                        "kind": AlertKind.SEVERE_COMPLAINT.value,
                        "event_kind": EventKind.ESCALATION.value,
                    },
                )
                picked, alert_ids = cursor.fetchone()
            if alert_ids:
                alerts_notify(alert_ids=list(alert_ids), now=now)
            raised += len(alert_ids)
        # A concurrent sweep may have taken some of the picked ones (conflict, nothing inserted): stop when a batch
        # inserted nothing, so two sweeps never spin on each other's rows.
        if picked < batch_size or not alert_ids:
            return raised


def _raise_severe_complaints_portable(*, now: datetime, batch_size: int) -> int:
    raised = 0
    while True:
        with transaction.atomic():
            alerted = Alert.objects.filter(complaint=OuterRef("pk"), kind=AlertKind.SEVERE_COMPLAINT)
            picked = list(
                Complaint.objects.filter(severity=Severity.SEVERE, created_at__lte=now)
                .exclude(status=ComplaintStatus.ARCHIVED)
                .exclude(Exists(alerted))
                .select_related("ticket")
                .order_by("id")[:batch_size]
            )
            alerts = [
                Alert(
                    kind=AlertKind.SEVERE_COMPLAINT,
                    level=1,
                    complaint=complaint,
                    ticket_id=complaint.ticket_id,
                    team_id=complaint.ticket.team_id,
                    occurred_at=min(complaint.updated_at, now),
                    created_at=now,
                )
                for complaint in picked
            ]
            data = [{"alert_kind": AlertKind.SEVERE_COMPLAINT.value} for _ in alerts]
            alert_ids = _insert_alerts_with_events(alerts, data, EventKind.ESCALATION, now)
            if alert_ids:
                alerts_notify(alert_ids=alert_ids, now=now)
            raised += len(alert_ids)
        if len(picked) < batch_size:
            return raised
