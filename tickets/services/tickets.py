"""Ticket writes: create, acknowledge, messages, status, assignment, routing.

Locking: every function that changes an existing ticket takes the ticket's row lock first
(`select_for_update`), so two agents acting at once are serialized and each sees the other's result. When a
caller also locks rows of other apps (returns, complaints), the ticket row is locked first.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import filetype
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.db import InsertBatch, insert_unless_exists, next_ids, prepared
from aftersales.errors import IllegalStateChange, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from tickets.models import (
    ALLOWED_MOVES,
    OPEN_STATUSES,
    ActorType,
    AgentLoad,
    Attachment,
    CannedResponse,
    Category,
    Channel,
    Customer,
    EventKind,
    Kind,
    Message,
    MessageKind,
    Metric,
    RoutingRule,
    Severity,
    SlaClock,
    Status,
    Storefront,
    Team,
    Ticket,
    TicketEvent,
)
from tickets.roles import AGENTS
from tickets.services import clocks
from tickets.services.surveys import survey_create, survey_url
from tickets.services.webhooks import ticket_ordering_key, webhook_enqueue
from tickets.settings_cache import cached

User = AbstractBaseUser

ALLOWED_ATTACHMENT_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff user, a storefront (through the API) or the system (beat, sweep)."""

    user: Any = None
    storefront: Storefront | None = None

    @property
    def type(self) -> str:
        if self.user is not None:
            return ActorType.USER
        if self.storefront is not None:
            return ActorType.STOREFRONT
        return ActorType.SYSTEM


SYSTEM = Actor()


def _actor(user: Any = None, storefront: Storefront | None = None) -> Actor:
    return Actor(user=user, storefront=storefront)


def ticket_record_event(
    *,
    ticket: Ticket,
    kind: str,
    actor: Actor = SYSTEM,
    message: Message | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> TicketEvent:
    """Append one event to a ticket's audit trail. Used by the other apps' services for their own steps."""
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor_type=actor.type,
        actor_user=actor.user,
        actor_storefront=actor.storefront,
        message=message,
        data=data or {},
        created_at=now or timezone.now(),
    )


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def customer_upsert(
    *, storefront: Storefront, external_id: str = "", name: str = "", email: str = "", phone: str = ""
) -> Customer:
    """The storefront's customer by its external id, created on first sight, details refreshed when given."""
    details = {"name": name, "email": email, "phone": phone}
    if not external_id:
        return Customer.objects.create(storefront=storefront, **details)
    for _attempt in range(3):
        customer = _customer_by_external_id(storefront, external_id)
        if customer is not None:
            break
        customer = Customer(storefront=storefront, external_id=external_id, **details)
        # The partial unique constraint `customer_unique_external_id`.
        if insert_unless_exists(customer, conflict="storefront_id, external_id", where="NOT (external_id = '')"):
            return customer
        # Created by a request at the same moment, which has committed since: read it.
    else:
        raise InvalidInput(_("The customer could not be stored; try again."), field="customer")
    changed = {field: value for field, value in details.items() if value and getattr(customer, field) != value}
    if changed:
        Customer.objects.filter(pk=customer.pk).update(**changed)
        for field, value in changed.items():
            setattr(customer, field, value)
    return customer


# Every storefront post names its customer: found by one hand-written SELECT, a new one written by one INSERT ...
# ON CONFLICT (get_or_create took four statements with its savepoint).
def _customer_by_external_id(storefront: Storefront, external_id: str) -> Customer | None:
    fields = Customer._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            *prepared(
                f"SELECT {columns} FROM {Customer._meta.db_table} WHERE storefront_id = %s AND external_id = %s",  # noqa: S608
                [storefront.pk, external_id],
            )
        )
        row = cursor.fetchone()
    if row is None:
        return None
    customer = Customer.from_db(connection.alias, [field.attname for field in fields], row)
    customer.storefront = storefront
    return customer


def _routing() -> tuple[list[RoutingRule], Team | None]:
    return list(RoutingRule.objects.filter(is_active=True).select_related("team")), Team.objects.filter(
        is_default=True
    ).first()


def _route(ticket: Ticket) -> Team | None:
    rules, default_team = cached("routing", _routing)
    for rule in rules:
        if rule.matches(ticket):
            return rule.team
    return default_team


def _team_agents(team_id: int) -> list[Any]:
    """The team's active agents available for new tickets, longest-standing account first (cached with the
    settings: membership, group, activity and availability move the settings version, migration 0014)."""
    return cached(
        f"team_agents:{team_id}",
        lambda: list(
            get_user_model()
            .objects.filter(teams=team_id, is_active=True, groups__name=AGENTS)
            .exclude(profile__is_available=False)
            .order_by("id")
            .distinct()
        ),
    )


# When an agent has more rows than this in tickets.models.AgentLoad (one per database session that changed their
# load; reconnecting workers leave one each), the rows of ended sessions are folded once the transaction has committed,
# at most once a minute per process (with more live sessions than this, a fold has little to do).
AGENT_LOAD_ROWS_PER_AGENT = 16
AGENT_LOAD_FOLD_EVERY = 60.0  # seconds
_agent_load_folded_at = [-AGENT_LOAD_FOLD_EVERY]
# The advisory lock that lets one fold run at a time (others skip).
_AGENT_LOAD_FOLD_LOCK = 0x41474C44  # "AGLD"


def _least_loaded_agent(team: Team) -> Any:
    """The available agent of the team with the fewest open tickets (ties: the longest-standing account).

    Every ticket create runs it: the candidates come from the settings cache, and their open tickets are the sums of
    their rows in tickets.models.AgentLoad (kept by triggers, migration 0015), one GROUP BY written by hand because
    the ORM's compilation of it cost more than running it. Its cost follows the number of agents and of database
    sessions, not of open tickets.
    """
    agents = _team_agents(team.pk)
    if not agents:
        return None
    agent_ids = [agent.pk for agent in agents]
    with connection.cursor() as cursor:
        cursor.execute(
            *prepared(
                f"SELECT agent_id, SUM(open_tickets), COUNT(*) FROM {AgentLoad._meta.db_table} "  # noqa: S608
                f"WHERE agent_id IN ({', '.join(['%s'] * len(agent_ids))}) GROUP BY agent_id",
                agent_ids,  # one prepared statement per team size
            )
        )
        rows = cursor.fetchall()
    crowded = any(count > AGENT_LOAD_ROWS_PER_AGENT for _agent, _total, count in rows)
    if crowded and time.monotonic() - _agent_load_folded_at[0] >= AGENT_LOAD_FOLD_EVERY:
        _agent_load_folded_at[0] = time.monotonic()
        transaction.on_commit(agent_load_fold, robust=True)
    open_tickets = {agent_id: total for agent_id, total, _count in rows}
    return min(agents, key=lambda agent: (open_tickets.get(agent.pk, 0), agent.pk))


def agent_load_fold() -> int:
    """Fold the AgentLoad rows of database sessions that have ended into each agent's row 0, in one statement (the
    sums stay the same for every reader); the number of rows folded. One fold at a time: another one running makes
    this one return 0 at once, and a row a live transaction is changing (a reused pid) is left for the next fold.
    Nothing to do on SQLite, where every change is written to row 0."""
    if connection.vendor != "postgresql":
        return 0
    table = AgentLoad._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_AGENT_LOAD_FOLD_LOCK])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(
            f"WITH folded AS (DELETE FROM {table} WHERE id IN ("  # noqa: S608
            f"SELECT id FROM {table} WHERE session <> 0 AND session NOT IN (SELECT pid FROM pg_stat_activity) "
            "FOR UPDATE SKIP LOCKED) RETURNING agent_id, open_tickets), "
            f"added AS (INSERT INTO {table} (agent_id, session, open_tickets) "
            "SELECT agent_id, 0, SUM(open_tickets) FROM folded GROUP BY agent_id ORDER BY agent_id "
            f"ON CONFLICT (agent_id, session) DO UPDATE SET open_tickets = {table}.open_tickets + "
            "EXCLUDED.open_tickets) "
            "SELECT COUNT(*) FROM folded"
        )
        return cursor.fetchone()[0]


def agent_load_recount() -> dict[str, int]:
    """Rebuild AgentLoad from the tickets themselves: every agent's open tickets counted into row 0, the other rows
    dropped. For repairs: after `loaddata` or a data-only restore into a migrated database (the triggers count the
    loaded tickets on top of the loaded rows), or if the triggers were ever missing. Writes to the tickets wait
    until it commits (PostgreSQL's SHARE lock; SQLite has one writer anyway), so no change falls between the count
    and the rows."""
    table, tickets = AgentLoad._meta.db_table, Ticket._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {tickets} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {table} (agent_id, session, open_tickets) "  # noqa: S608
            f"SELECT assignee_id, 0, COUNT(*) FROM {tickets} "
            f"WHERE assignee_id IS NOT NULL AND status IN ({', '.join(['%s'] * len(OPEN_STATUSES))}) "
            "GROUP BY assignee_id",
            list(OPEN_STATUSES),
        )
        cursor.execute(f"SELECT COUNT(*), COALESCE(SUM(open_tickets), 0) FROM {table}")  # noqa: S608
        agents, open_tickets = cursor.fetchone()
    return {"agents": agents, "open_tickets": open_tickets}


def _route_and_assign(ticket: Ticket, *, now: datetime) -> None:
    team = _route(ticket)
    if team is None:
        return
    assignee = _least_loaded_agent(team)
    changed = ticket.team_id != team.pk or ticket.assignee_id != (assignee.pk if assignee else None)
    ticket.team = team
    ticket.assignee = assignee
    if changed:
        ticket_record_event(
            ticket=ticket,
            kind=EventKind.ASSIGNED,
            data={"team": team.name, "assignee": assignee.get_username() if assignee else None, "auto": True},
            now=now,
        )


def _validate_attachment(upload: UploadedFile) -> str:
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise PayloadTooLarge(_("The file is larger than 10 MB."), field="file")
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_ATTACHMENT_TYPES:
        raise UnsupportedMediaType(_("Only JPEG, PNG, WebP and PDF files are accepted."), field="file")
    return kind.mime


def attachment_add(*, ticket: Ticket, upload: UploadedFile, message: Message | None = None) -> Attachment:
    """Store one file on a ticket; the type is read from the content, never from the name."""
    content_type = _validate_attachment(upload)
    name = (upload.name or "file").rsplit("/", 1)[-1][-200:]
    return Attachment.objects.create(
        ticket=ticket, message=message, file=upload, filename=name, content_type=content_type, size=upload.size
    )


def _new_event(
    ticket: Ticket,
    kind: str,
    *,
    actor: Actor = SYSTEM,
    message: Message | None = None,
    data: dict | None = None,
    now: datetime,
) -> TicketEvent:
    return TicketEvent(
        ticket=ticket,
        kind=kind,
        actor_type=actor.type,
        actor_user=actor.user,
        actor_storefront=actor.storefront,
        message=message,
        data=data or {},
        created_at=now,
    )


@dataclass
class NewTicket:
    """A ticket planned in memory and not yet written: its row, its SLA clocks, its opening message and its events.

    `ticket_plan` makes one; `ticket_acknowledge_new` / `ticket_move_new` apply to it what acknowledging and moving
    a stored ticket would do (the same fields, clocks and events); `ticket_insert` writes it all in a few INSERTs.
    A caller that knows at once what happens to a new ticket (a return decided by the policy) thus writes its final
    state once instead of inserting it and then updating it step by step.
    """

    ticket: Ticket
    clocks: list[SlaClock]
    message: Message | None
    events: list[TicketEvent]
    # Ids taken for the caller's own rows with the ticket's (`reserve`): None where the database has no sequences.
    reserved: dict[type[Model], int | None]


def ticket_plan(
    *,
    storefront: Storefront,
    subject: str,
    body: str = "",
    kind: str = Kind.INQUIRY,
    category: str = Category.OTHER,
    severity: str = Severity.MINOR,
    channel: str = Channel.API,
    customer: Customer | None = None,
    order_external_id: str = "",
    user: Any = None,
    opening_message_is_customer_message: bool = True,
    now: datetime | None = None,
    reserve: tuple[type[Model], ...] = (),
) -> NewTicket:
    """A new ticket with the customer's opening message when there is one, routed and auto-assigned, in memory;
    with ids for the caller's own rows of the `reserve` models taken in the same query as the ticket's."""
    now = now or timezone.now()
    actor = _actor(user=user, storefront=None if user else storefront)
    ticket = Ticket(
        kind=kind,
        category=category,
        severity=severity,
        channel=channel,
        status=Status.NEW,
        storefront=storefront,
        customer=customer,
        subject=subject,
        order_external_id=order_external_id,
        created_at=now,
        updated_at=now,
    )
    # Routing rules and SLA policies match on the ticket's own fields, so the team, the assignee, the clocks and the
    # next deadline are all known before the row is written.
    team = _route(ticket)
    if team is not None:
        ticket.team = team
        ticket.assignee = _least_loaded_agent(team)
    # The SLA clocks start with the ticket; a return's request form is answered by its decision, not by a reply.
    metrics = [Metric.ACKNOWLEDGEMENT, Metric.RESOLUTION]
    if body and opening_message_is_customer_message and kind != Kind.RETURN:
        metrics.append(Metric.RESPONSE)
    started = clocks._plan_new_ticket(ticket, metrics, now=now, policy=clocks.sla_policy_for(ticket))
    # The reference is the row's own sequence number: unique without a counter row every create would lock. Ids from
    # the sequences first where there are some: the reference is written with the row, not by an UPDATE after it,
    # and the events can point at the opening message before either is written.
    ticket.pk, message_id, *reserved = next_ids(Ticket, Message if body else None, *reserve)
    if ticket.pk is not None:
        ticket.reference = f"T-{ticket.pk:06d}"
    events = [_new_event(ticket, EventKind.CREATED, actor=actor, data={"kind": kind}, now=now)]
    message = None
    if body:
        message = Message(
            pk=message_id,
            ticket=ticket,
            kind=MessageKind.CUSTOMER if opening_message_is_customer_message else MessageKind.INTERNAL,
            body=body,
            author=user if not opening_message_is_customer_message else None,
            channel=channel,
            created_at=now,
        )
        # The event says what was written: the customer's message, or an internal note (a return's form).
        message_event = EventKind.CUSTOMER_MESSAGE if message.kind == MessageKind.CUSTOMER else EventKind.NOTE
        events.append(_new_event(ticket, message_event, actor=actor, message=message, now=now))
    if team is not None:
        assignee = ticket.assignee
        data = {"team": team.name, "assignee": assignee.get_username() if assignee else None, "auto": True}
        events.append(_new_event(ticket, EventKind.ASSIGNED, data=data, now=now))
    return NewTicket(
        ticket=ticket,
        clocks=started,
        message=message,
        events=events,
        reserved=dict(zip(reserve, reserved, strict=True)),
    )


def ticket_acknowledge_new(new: NewTicket, *, actor: Actor, now: datetime) -> None:
    """`ticket_acknowledge_locked` on a planned ticket: acknowledged, its acknowledgement clock stopped, `new` ->
    `open`."""
    ticket = new.ticket
    if ticket.acknowledged_at is not None:
        return
    ticket.acknowledged_at = now
    for clock in new.clocks:
        if clock.metric == Metric.ACKNOWLEDGEMENT and clock.stopped_at is None:
            clock.stopped_at = now
    clocks.set_next_due(ticket, new.clocks)
    new.events.append(_new_event(ticket, EventKind.ACKNOWLEDGED, actor=actor, now=now))
    if ticket.status == Status.NEW:
        ticket_move_new(new, Status.OPEN, actor=actor, now=now)


# The moves a planned ticket can make: those that need no stored row (resolving creates a survey and a webhook)
# and no clock but the resolution clock paused (leaving `pending` would resume it).
_MOVES_BEFORE_INSERT = (Status.OPEN, Status.PENDING, Status.ON_HOLD)


def ticket_move_new(new: NewTicket, to: str, *, actor: Actor, now: datetime, reason: str = "") -> None:
    """`ticket_move_locked` on a planned ticket, for the moves that need no stored row: the same checks, fields,
    clock pause and event."""
    ticket = new.ticket
    if to not in _MOVES_BEFORE_INSERT or ticket.status == Status.PENDING:
        raise ValueError(f"A planned ticket cannot move from {ticket.status} to {to}: insert it first.")
    previous = _apply_status(ticket, to, now=now)
    if previous is None:
        return
    if to == Status.PENDING:
        for clock in new.clocks:
            if clock.metric == Metric.RESOLUTION and clock.stopped_at is None and clock.paused_at is None:
                clock.paused_at = now
        clocks.set_next_due(ticket, new.clocks)
    new.events.append(_status_event(ticket, previous, to, actor=actor, reason=reason, now=now))


def ticket_insert(new: NewTicket, *, with_rows: Callable[[InsertBatch], None] | None = None) -> Ticket:
    """Write a planned ticket: its row, clocks, message and events, in one round trip on PostgreSQL.

    `with_rows` adds to the same batch, once the ticket row is in it and before the events, a caller's own new rows
    that point at the ticket and that its events name (a return, whose reference comes from its id)."""
    ticket = new.ticket
    batch = InsertBatch()
    batch.add(ticket)
    if ticket.reference is None:  # no sequence (SQLite): the row got its id when it was written just now
        ticket.reference = f"T-{ticket.pk:06d}"
        Ticket.objects.filter(pk=ticket.pk).update(reference=ticket.reference)
    if with_rows is not None:
        with_rows(batch)
    batch.add(*new.clocks)
    if new.message is not None:
        batch.add(new.message)
    batch.add(*new.events)
    batch.flush()
    return ticket


# No savepoint of its own: ticket_create raises no error of its own for a caller to catch and carry on after, and a
# database error aborts the caller's whole PostgreSQL transaction anyway.
@transaction.atomic(savepoint=False)
def ticket_create(**details: Any) -> Ticket:
    """Open a ticket, with the customer's opening message when there is one, routed and auto-assigned (the
    arguments of `ticket_plan`)."""
    return ticket_insert(ticket_plan(**details))


def _apply_status(ticket: Ticket, to: str, *, now: datetime) -> str | None:
    """The fields of one status move, checked against the state machine; the previous status, None when the
    ticket is there already. Shared by stored and planned tickets."""
    if to == ticket.status:
        return None
    if to not in ALLOWED_MOVES[ticket.status]:
        raise IllegalStateChange(
            _("A ticket cannot move from %(from)s to %(to)s.")
            % {"from": Status(ticket.status).label, "to": Status(to).label},
            field="status",
        )
    previous = ticket.status
    ticket.status = to
    ticket.updated_at = now
    if to == Status.RESOLVED:
        ticket.resolved_at = now
    elif to == Status.CLOSED:
        ticket.closed_at = now
    elif previous == Status.RESOLVED:
        ticket.resolved_at = None
    if to == Status.PENDING:
        ticket.pending_since = now
    elif previous == Status.PENDING and ticket.pending_since is not None:
        ticket.pending_seconds += max(0, int((now - ticket.pending_since).total_seconds()))
        ticket.pending_since = None
    return previous


def _status_event(ticket: Ticket, previous: str, to: str, *, actor: Actor, reason: str, now: datetime) -> TicketEvent:
    data = {"from": previous, "to": to}
    if reason:
        data["reason"] = reason
    return _new_event(ticket, EventKind.STATUS_CHANGED, actor=actor, data=data, now=now)


def _move(ticket: Ticket, to: str, *, actor: Actor, now: datetime, reason: str = "") -> None:
    """Apply one status move to a locked ticket. The only code that writes `Ticket.status` of a stored ticket."""
    previous = _apply_status(ticket, to, now=now)
    if previous is None:
        return
    ticket.save(update_fields=["status", "updated_at", "resolved_at", "closed_at", "pending_since", "pending_seconds"])
    _move_clocks(ticket, previous, to, now=now)
    _status_event(ticket, previous, to, actor=actor, reason=reason, now=now).save()
    if to == Status.RESOLVED:
        survey = survey_create(ticket=ticket, now=now)
        webhook_enqueue(
            storefront=ticket.storefront,
            event_type="ticket.resolved",
            data={
                "ticket": _ticket_ref(ticket),
                "survey": {"url": survey_url(survey), "expires_at": survey.expires_at.isoformat()},
            },
            ordering_key=ticket_ordering_key(ticket),
            now=now,
        )


def _move_clocks(ticket: Ticket, previous: str, to: str, *, now: datetime) -> None:
    """Resolution pauses while pending and stops on resolve (a reopen resumes it); resolving also ends the
    acknowledgement and response clocks, which no longer measure anything once the request is settled. Other moves
    (new -> open, to and from on hold, resolved -> closed) touch no clock, so the deadlines need no refresh."""
    if to == Status.RESOLVED:
        for metric in (Metric.ACKNOWLEDGEMENT, Metric.RESPONSE, Metric.RESOLUTION):
            clocks._stop(ticket, metric, now=now)
    elif to == Status.PENDING:
        clocks._pause(ticket, Metric.RESOLUTION, now=now)
    elif previous == Status.PENDING:
        clocks._resume(ticket, Metric.RESOLUTION, now=now)
    elif previous == Status.RESOLVED and to != Status.CLOSED:
        clocks._restart(ticket, Metric.RESOLUTION, now=now)
    else:
        return
    clocks._refresh_next_due(ticket)


def _ticket_ref(ticket: Ticket) -> dict[str, Any]:
    return {"id": str(ticket.public_id), "reference": ticket.reference, "status": ticket.status}


@transaction.atomic
def ticket_change_status(
    *,
    ticket: Ticket,
    status: str,
    user: Any = None,
    storefront: Storefront | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Move a ticket to another status if the state machine allows it; 409 otherwise, nothing written."""
    now = now or timezone.now()
    ticket = _lock(ticket)
    _move(ticket, status, actor=_actor(user, storefront), now=now, reason=reason)
    return ticket


def _acknowledge(ticket: Ticket, *, actor: Actor, now: datetime) -> None:
    """Mark acknowledged and leave `new`; shared by the explicit action, the first reply and a return decision."""
    if ticket.acknowledged_at is not None:
        return
    ticket.acknowledged_at = now
    ticket.save(update_fields=["acknowledged_at"])
    clocks._stop(ticket, Metric.ACKNOWLEDGEMENT, now=now)
    clocks._refresh_next_due(ticket)
    ticket_record_event(ticket=ticket, kind=EventKind.ACKNOWLEDGED, actor=actor, now=now)
    if ticket.status == Status.NEW:
        _move(ticket, Status.OPEN, actor=actor, now=now)


def ticket_acknowledge_locked(ticket: Ticket, *, actor: Actor, now: datetime) -> None:
    """Acknowledge a ticket whose row lock the caller already holds (another app's service driving its own ticket,
    e.g. a return decision), without the acknowledgement message and without locking it again."""
    _acknowledge(ticket, actor=actor, now=now)


def ticket_move_locked(ticket: Ticket, to: str, *, actor: Actor, now: datetime, reason: str = "") -> None:
    """Apply one status move to a ticket whose row lock the caller already holds; the same checks, event, clocks and
    webhooks as ticket_change_status."""
    _move(ticket, to, actor=actor, now=now, reason=reason)


def _acknowledgement_text(ticket: Ticket, now: datetime) -> str:
    expect_by = timezone.localtime(now + timedelta(hours=24)).strftime("%Y-%m-%d %H:%M")
    with translation.override(ticket.storefront.language):
        return _(
            "We have received your request %(reference)s and are working on it. "
            "You will hear from us by %(expect_by)s at the latest."
        ) % {"reference": ticket.reference, "expect_by": expect_by}


@transaction.atomic
def ticket_acknowledge(
    *,
    ticket: Ticket,
    user: Any = None,
    actor: Actor | None = None,
    send_message: bool = True,
    now: datetime | None = None,
) -> Ticket:
    """Take ownership and tell the customer their reference and when to expect an answer."""
    now = now or timezone.now()
    ticket = _lock(ticket)
    actor = actor or _actor(user)
    if ticket.acknowledged_at is not None:
        raise IllegalStateChange(_("This ticket is already acknowledged."), field="status")
    if not ticket.is_open:
        raise IllegalStateChange(_("Only an open ticket can be acknowledged."), field="status")
    if user is not None and ticket.assignee_id is None:
        ticket.assignee = user
        ticket.save(update_fields=["assignee"])
        ticket_record_event(
            ticket=ticket, kind=EventKind.ASSIGNED, actor=actor, data={"assignee": user.get_username()}, now=now
        )
    _acknowledge(ticket, actor=actor, now=now)
    if send_message:
        _public_message(ticket, body=_acknowledgement_text(ticket, now), actor=actor, now=now, counts_as_reply=False)
    return ticket


def _public_message(ticket: Ticket, *, body: str, actor: Actor, now: datetime, counts_as_reply: bool = True) -> Message:
    message = Message.objects.create(
        ticket=ticket, kind=MessageKind.PUBLIC, body=body, author=actor.user, channel=ticket.channel, created_at=now
    )
    ticket_record_event(ticket=ticket, kind=EventKind.REPLIED, actor=actor, message=message, now=now)
    if counts_as_reply and ticket.first_response_at is None:
        ticket.first_response_at = now
        ticket.save(update_fields=["first_response_at"])
    if counts_as_reply and clocks._stop(ticket, Metric.RESPONSE, now=now):
        clocks._refresh_next_due(ticket)
    webhook_enqueue(
        storefront=ticket.storefront,
        event_type="ticket.replied",
        data={
            "ticket": _ticket_ref(ticket),
            "message": {
                "id": message.pk,
                "body": message.body,
                "author": actor.user.get_full_name() or actor.user.get_username() if actor.user else "",
                "created_at": now.isoformat(),
            },
        },
        ordering_key=ticket_ordering_key(ticket),
        now=now,
    )
    return message


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    user: Any,
    body: str,
    attachments: list[UploadedFile] | tuple[UploadedFile, ...] = (),
    status: str | None = None,
    now: datetime | None = None,
) -> Message:
    """A public reply to the customer; the first one acknowledges the ticket. Optionally moves the status too
    (reply and set pending, reply and resolve)."""
    now = now or timezone.now()
    body = body.strip()
    if not body:
        raise InvalidInput(_("Write a reply first."), field="body")
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise IllegalStateChange(_("A closed ticket cannot be replied to."), field="status")
    actor = _actor(user)
    _acknowledge(ticket, actor=actor, now=now)
    message = _public_message(ticket, body=body, actor=actor, now=now)
    for upload in attachments:
        attachment_add(ticket=ticket, upload=upload, message=message)
    if status:
        _move(ticket, status, actor=actor, now=now)
    else:
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
    return message


@transaction.atomic
def ticket_add_note(
    *,
    ticket: Ticket,
    user: Any,
    body: str,
    attachments: list[UploadedFile] | tuple[UploadedFile, ...] = (),
    now: datetime | None = None,
) -> Message:
    """An internal note: never shown to customers or storefronts."""
    now = now or timezone.now()
    body = body.strip()
    if not body:
        raise InvalidInput(_("Write a note first."), field="body")
    ticket = _lock(ticket)
    message = Message.objects.create(
        ticket=ticket, kind=MessageKind.INTERNAL, body=body, author=user, channel=ticket.channel, created_at=now
    )
    for upload in attachments:
        attachment_add(ticket=ticket, upload=upload, message=message)
    ticket_record_event(ticket=ticket, kind=EventKind.NOTE, actor=_actor(user), message=message, now=now)
    return message


@transaction.atomic
def ticket_add_customer_message(
    *,
    ticket: Ticket,
    body: str,
    storefront: Storefront | None = None,
    user: Any = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> Message:
    """A message from the customer (through the API, or logged by an agent from a call).

    Reopens a pending or resolved ticket; on a closed ticket it opens a new ticket linked to the old one.
    """
    now = now or timezone.now()
    body = body.strip()
    if not body:
        raise InvalidInput(_("The message is empty."), field="body")
    ticket = _lock(ticket)
    actor = _actor(user, storefront)
    if ticket.status == Status.CLOSED:
        follow_up = ticket_create(
            storefront=ticket.storefront,
            subject=ticket.subject,
            body=body,
            kind=Kind.INQUIRY,
            category=ticket.category,
            severity=ticket.severity,
            channel=channel or ticket.channel,
            customer=ticket.customer,
            order_external_id=ticket.order_external_id,
            now=now,
        )
        Ticket.objects.filter(pk=follow_up.pk).update(previous_ticket=ticket)
        ticket_record_event(
            ticket=ticket, kind=EventKind.LINKED, actor=actor, data={"follow_up": follow_up.reference}, now=now
        )
        ticket_record_event(
            ticket=follow_up, kind=EventKind.LINKED, actor=actor, data={"previous": ticket.reference}, now=now
        )
        return follow_up.messages.get()
    message = Message.objects.create(
        ticket=ticket, kind=MessageKind.CUSTOMER, body=body, channel=channel or ticket.channel, created_at=now
    )
    ticket_record_event(ticket=ticket, kind=EventKind.CUSTOMER_MESSAGE, actor=actor, message=message, now=now)
    if ticket.status in (Status.PENDING, Status.RESOLVED):
        _move(ticket, Status.OPEN, actor=actor, now=now, reason="customer_message")
    else:
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
    # A new round of conversation: answered within the response target, unless a round is already running.
    clocks._start(ticket, Metric.RESPONSE, now=now)
    clocks._refresh_next_due(ticket)
    return message


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, user: Any, assignee: Any = None, team: Team | None = None, now: datetime | None = None
) -> Ticket:
    """Assign by hand: routing leaves the ticket alone afterwards."""
    now = now or timezone.now()
    ticket = _lock(ticket)
    if team is None:
        team = ticket.team
    if assignee is not None and team is not None and not team.members.filter(pk=assignee.pk).exists():
        raise InvalidInput(
            _("%(user)s is not a member of %(team)s.") % {"user": assignee, "team": team}, field="assignee"
        )
    ticket.team = team
    ticket.assignee = assignee
    ticket.assigned_by_hand = True
    ticket.updated_at = now
    ticket.save(update_fields=["team", "assignee", "assigned_by_hand", "updated_at"])
    clocks._follow_team(ticket)
    ticket_record_event(
        ticket=ticket,
        kind=EventKind.ASSIGNED,
        actor=_actor(user),
        data={"team": team.name if team else None, "assignee": assignee.get_username() if assignee else None},
        now=now,
    )
    return ticket


def _change_field(
    ticket: Ticket, field: str, value: str, choices: type, event_kind: str, *, user: Any, now: datetime
) -> Ticket:
    if value not in choices.values:
        raise InvalidInput(_("Unknown value %(value)s.") % {"value": value}, field=field)
    ticket = _lock(ticket)
    previous = getattr(ticket, field)
    if previous == value:
        return ticket
    setattr(ticket, field, value)
    ticket.updated_at = now
    ticket.save(update_fields=[field, "updated_at"])
    ticket_record_event(
        ticket=ticket, kind=event_kind, actor=_actor(user), data={"from": previous, "to": value}, now=now
    )
    if not ticket.assigned_by_hand:
        _route_and_assign(ticket, now=now)
        ticket.save(update_fields=["team", "assignee"])
    clocks._follow_team(ticket)
    clocks._repick(ticket, now=now)
    clocks._refresh_next_due(ticket)
    return ticket


@transaction.atomic
def ticket_change_severity(*, ticket: Ticket, severity: str, user: Any, now: datetime | None = None) -> Ticket:
    return _change_field(
        ticket, "severity", severity, Severity, EventKind.SEVERITY_CHANGED, user=user, now=now or timezone.now()
    )


@transaction.atomic
def ticket_change_category(*, ticket: Ticket, category: str, user: Any, now: datetime | None = None) -> Ticket:
    return _change_field(
        ticket, "category", category, Category, EventKind.CATEGORY_CHANGED, user=user, now=now or timezone.now()
    )


def tickets_auto_close(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Close tickets resolved more than AUTO_CLOSE_AFTER ago, in batches; safe to re-run (closed ones are skipped)."""
    now = now or timezone.now()
    cutoff = now - settings.AUTO_CLOSE_AFTER
    closed = 0
    while True:
        with transaction.atomic():
            batch = list(
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
                .order_by("resolved_at")[:batch_size]
            )
            if not batch:
                return closed
            ids = [ticket.pk for ticket in batch]
            Ticket.objects.filter(pk__in=ids).update(status=Status.CLOSED, closed_at=now, updated_at=now)
            TicketEvent.objects.bulk_create(
                TicketEvent(
                    ticket_id=pk,
                    kind=EventKind.STATUS_CHANGED,
                    actor_type=ActorType.SYSTEM,
                    data={"from": Status.RESOLVED, "to": Status.CLOSED, "reason": "auto_close"},
                    created_at=now,
                )
                for pk in ids
            )
            closed += len(ids)


def canned_response_render(*, canned: CannedResponse, ticket: Ticket, agent: Any) -> str:
    """Fill a canned response's placeholders for one ticket; the agent edits the result before sending."""
    values = {
        "customer_name": (ticket.customer.name if ticket.customer else "") or _("customer"),
        "reference": ticket.reference,
        "order_id": ticket.order_external_id,
        "agent_name": agent.get_full_name() or agent.get_username(),
    }
    text = canned.body
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
