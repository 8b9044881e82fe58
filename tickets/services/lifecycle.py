"""The ticket lifecycle: `ticket_create` and the one mover, `ticket_move`.

They are the only code that writes a ticket's status, its acknowledgement and first response, and its SLA clocks
(through `clocks.TicketClocks`), each with its events, its webhooks and its deadlines (`next_due_at`,
`next_warn_at`) refreshed in the same transaction. The desk, the APIs, returns, complaints and auto-close all come
here; the moves allowed are the table `tickets.models.ALLOWED_MOVES`.

Locking: a change to a stored ticket starts with `ticket_lock` (the ticket's row lock), so two people acting at once
are serialized and each sees the other's result; when a caller also locks rows of other apps (a return, a
complaint), the ticket is locked first. The mover expects its caller to hold that lock.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import IllegalStateChange, InvalidInput
from tickets.models import (
    ALLOWED_MOVES,
    Category,
    Channel,
    Customer,
    EventKind,
    Kind,
    Message,
    MessageKind,
    Metric,
    Severity,
    SlaClock,
    Status,
    Storefront,
    Team,
    Ticket,
    TicketEvent,
    TriggerEvent,
)
from tickets.services import routing
from tickets.services.automation import automation_event
from tickets.services.clocks import TicketClocks, check_metric
from tickets.services.collision import ticket_check_seen
from tickets.services.events import SYSTEM, Actor, ticket_event, ticket_events_save
from tickets.services.surveys import survey_create, survey_url
from tickets.services.tags import tags_get_or_create, tags_validate
from tickets.services.webhooks import ticket_ordering_key, ticket_ref, webhook_enqueue

# The fields a status move writes.
STATUS_FIELDS = ("status", "status_changed_at", "resolved_at", "closed_at", "pending_since", "pending_seconds")


def ticket_lock(ticket_id: int) -> Ticket:
    """The ticket's row, locked until the transaction ends, read fresh with its storefront."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("storefront").get(pk=ticket_id)


# No savepoint of its own when called inside another service's transaction (a return's, a complaint's): it raises no
# error of its own for a caller to catch and carry on after, and a database error aborts the whole transaction anyway.
@transaction.atomic(savepoint=False)
def ticket_create(
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
    user: AbstractUser | None = None,
    opening_message_kind: str = MessageKind.CUSTOMER,
    previous_ticket: Ticket | None = None,
    acknowledge: bool = False,
    status: str | None = None,
    reason: str = "",
    actor: Actor | None = None,
    with_rows: Callable[[Ticket], list[TicketEvent]] | None = None,
    tags: Sequence[str] = (),
    fallback_team: Team | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Open a ticket with its opening message when there is a body, routed and auto-assigned, its SLA clocks started.

    The opening message is the customer's (it starts a response round) or, for a form such as a return request that
    is answered by a decision rather than a reply, an internal note (`opening_message_kind=MessageKind.INTERNAL`).
    Created by a staff `user` (a call logged by an agent) or else by the storefront. The ticket comes back with its
    opening message as `opening_message` (None without a body).

    A caller that knows what happens to the ticket at once (a return the policy decides) passes `acknowledge`,
    `status` and `reason` (and the `actor` of that step): the mover applies them to the new ticket before it is
    written, exactly as `ticket_move` would to a stored one, so the ticket is written once in its final state.
    `with_rows` writes the caller's own rows that point at the ticket (the return itself) once the ticket's row is
    written, and gives back their events, which go on the timeline after the ticket's opening ones and before what
    the acknowledgement and the status move did. `tags` (validated before anything is written) go on the ticket
    with one `tags_changed` event. `fallback_team` takes what no routing rule routes before the default team does
    (a mailbox's own team)."""
    now = now or timezone.now()
    tag_rows = tags_get_or_create(tags_validate(tags)) if tags else []
    creator = Actor(user=user) if user is not None else Actor(storefront=storefront)
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
        previous_ticket=previous_ticket,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    # Routing rules and SLA policies match on the ticket's own fields: the team, the assignee, the clocks and the
    # deadlines are all known before the row is written.
    team = routing.route(ticket, fallback=fallback_team)
    agent = None
    if team is not None:
        ticket.team = team
        agent = routing.least_loaded_agent(team)
        ticket.assignee_id = agent.pk if agent else None
    clocks = TicketClocks(ticket, new=True)
    clocks.start(Metric.ACKNOWLEDGEMENT, now=now)
    clocks.start(Metric.RESOLUTION, now=now)
    if body and opening_message_kind == MessageKind.CUSTOMER:
        ticket.customer_replied_at = now
    if body and opening_message_kind == MessageKind.CUSTOMER and kind != Kind.RETURN:
        # A return's request is answered by its decision, not by a reply (sla.md): no response round.
        clocks.start(Metric.RESPONSE, now=now)
    events = [ticket_event(ticket=ticket, kind=EventKind.CREATED, actor=creator, data={"kind": kind}, now=now)]
    if tag_rows:
        data = {"added": [tag.name for tag in tag_rows], "removed": []}
        events.append(ticket_event(ticket=ticket, kind=EventKind.TAGS_CHANGED, actor=creator, data=data, now=now))
    message = None
    if body:
        message = Message(
            ticket=ticket,
            kind=opening_message_kind,
            body=body,
            author=user if opening_message_kind != MessageKind.CUSTOMER else None,
            channel=channel,
            created_at=now,
        )
        message_event = EventKind.CUSTOMER_MESSAGE if message.kind == MessageKind.CUSTOMER else EventKind.NOTE
        events.append(ticket_event(ticket=ticket, kind=message_event, actor=creator, message=message, now=now))
    if team is not None:
        data = {"team": team.name, "assignee": agent.username if agent else None, "auto": True}
        events.append(ticket_event(ticket=ticket, kind=EventKind.ASSIGNED, data=data, now=now))
    move = _apply(
        ticket, clocks, actor=actor or creator, now=now, status=status, reason=reason, acknowledge=acknowledge
    )
    clocks.set_deadlines()
    ticket.save(force_insert=True)  # its reference comes back from the INSERT (a generated column)
    clocks.save()
    if message is not None:
        message.save(force_insert=True)
        message.attachment_list = []
    ticket.opening_message = message
    if tag_rows:
        ticket.tags.add(*tag_rows)
    callers = with_rows(ticket) if with_rows is not None else []
    # Not announced (ticket_events_save): nobody has a new ticket's page open yet, and the queue refreshes itself.
    TicketEvent.objects.bulk_create([*events, *callers, *move.events])
    _after(ticket, move, now=now)
    automation_event(event=TriggerEvent.TICKET_CREATED, ticket=ticket, now=now)
    return ticket


@dataclass
class _Move:
    """What the mover decided, in memory: the fields to save, the events to write, the status moves made."""

    fields: set[str] = field(default_factory=set)
    events: list[TicketEvent] = field(default_factory=list)
    moves: list[tuple[str, str]] = field(default_factory=list)
    clocks: TicketClocks | None = None


def _status_move(ticket: Ticket, to: str, *, now: datetime, merging: bool = False) -> str:
    """Check one status move against the state machine and apply its fields in memory; the previous status. A
    ticket merged into another closes from any status but closed (workspace.md: each source becomes closed)."""
    merge_close = merging and to == Status.CLOSED and ticket.status != Status.CLOSED
    if to not in ALLOWED_MOVES[ticket.status] and not merge_close:
        raise IllegalStateChange(
            _("A ticket cannot move from %(from)s to %(to)s.")
            % {"from": Status(ticket.status).label, "to": Status(to).label},
            field="status",
        )
    previous = ticket.status
    ticket.status = to
    ticket.status_changed_at = now
    if to == Status.RESOLVED:
        ticket.resolved_at = now
    elif to == Status.CLOSED:
        ticket.closed_at = now
    elif previous == Status.RESOLVED:
        ticket.resolved_at = None
    if to == Status.PENDING:
        ticket.pending_since = now
    elif previous == Status.PENDING and ticket.pending_since is not None:
        # Wall-clock time waiting on the customer: processing time in the reports leaves it out.
        ticket.pending_seconds += max(0, int((now - ticket.pending_since).total_seconds()))
        ticket.pending_since = None
    return previous


def _moves_clocks(previous: str, to: str) -> bool:
    return to in (Status.RESOLVED, Status.PENDING) or previous == Status.PENDING or previous == Status.RESOLVED


def _move_clocks(clocks: TicketClocks, previous: str, to: str, *, now: datetime) -> None:
    """sla.md: resolution pauses while pending and stops on resolve (a reopen resumes it); resolving also ends the
    acknowledgement and response clocks, which no longer measure anything once the request is settled. Other moves
    (new -> open, to and from on hold, resolved -> closed) touch no clock."""
    if to == Status.RESOLVED:
        for metric in (Metric.ACKNOWLEDGEMENT, Metric.RESPONSE, Metric.RESOLUTION):
            clocks.stop(metric, now=now)
    elif to == Status.PENDING:
        clocks.pause(Metric.RESOLUTION, now=now)
    elif previous == Status.PENDING:
        clocks.resume(Metric.RESOLUTION, now=now)
    elif previous == Status.RESOLVED and to != Status.CLOSED:
        clocks.restart(Metric.RESOLUTION, now=now)


def _apply(
    ticket: Ticket,
    clocks: TicketClocks | None,
    *,
    actor: Actor,
    now: datetime,
    status: str | None = None,
    reason: str = "",
    acknowledge: bool = False,
    answer: bool = False,
    customer_message: bool = False,
    repick_policy: bool = False,
    team_changed: bool = False,
    merge_into: Ticket | None = None,
) -> _Move:
    """The rules of the lifecycle, applied to the ticket and its clocks in memory (nothing written): the one place
    that decides what a status move, an acknowledgement, an answer or a customer message does. `clocks` is the
    ticket's TicketClocks when the caller has them (a new ticket's), else they are read when a change needs them."""
    move = _Move()

    def status_to(to: str, why: str = "", merging: bool = False) -> None:
        previous = _status_move(ticket, to, now=now, merging=merging)
        move.moves.append((previous, to))
        move.fields.update(STATUS_FIELDS)
        data = {"from": previous, "to": to, **({"reason": why} if why else {})}
        move.events.append(ticket_event(ticket=ticket, kind=EventKind.STATUS_CHANGED, actor=actor, data=data, now=now))

    acknowledging = acknowledge and ticket.acknowledged_at is None
    if acknowledging:
        ticket.acknowledged_at = now
        move.fields.add("acknowledged_at")
        move.events.append(ticket_event(ticket=ticket, kind=EventKind.ACKNOWLEDGED, actor=actor, now=now))
        if ticket.status == Status.NEW:
            status_to(Status.OPEN)
    if customer_message and ticket.status in (Status.PENDING, Status.RESOLVED) and status is None:
        status_to(Status.OPEN, reason or "customer_message")
    if status is not None and status != ticket.status:
        status_to(status, reason)
    if merge_into is not None:
        # Merged: closed with a pointer to the target, every clock stopped (the target carries the request on).
        status_to(Status.CLOSED, "merged", merging=True)
        ticket.merged_into = merge_into
        move.fields.add("merged_into")
    if answer:
        ticket.agent_replied_at = now
        move.fields.add("agent_replied_at")
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            move.fields.add("first_response_at")
    if customer_message:
        ticket.customer_replied_at = now
        move.fields.add("customer_replied_at")
    if (
        acknowledging
        or answer
        or customer_message
        or repick_policy
        or team_changed
        or merge_into is not None
        or any(_moves_clocks(previous, to) for previous, to in move.moves)
    ):
        if clocks is None:
            clocks = TicketClocks(ticket)
        if acknowledging:
            clocks.stop(Metric.ACKNOWLEDGEMENT, now=now)
        for previous, to in move.moves:
            _move_clocks(clocks, previous, to, now=now)
        if answer:
            clocks.stop(Metric.RESPONSE, now=now)
        if customer_message:
            # A new round of conversation: answered within the response target, unless a round is running.
            clocks.start(Metric.RESPONSE, now=now)
        if repick_policy:
            clocks.repick()
        if merge_into is not None:
            for metric in Metric.values:
                clocks.stop(metric, now=now, key=None)
        move.clocks = clocks
        move.fields.update(("next_due_at", "next_warn_at"))
    return move


def _after(ticket: Ticket, move: _Move, *, now: datetime) -> None:
    """What a move sets off once written: a resolved ticket gets its satisfaction survey, and the storefront hears."""
    if any(to == Status.RESOLVED for _previous, to in move.moves):
        survey = survey_create(ticket=ticket, now=now)
        webhook_enqueue(
            storefront=ticket.storefront,
            event_type="ticket.resolved",
            data={
                "ticket": ticket_ref(ticket),
                "survey": {"url": survey_url(survey), "expires_at": survey.expires_at.isoformat()},
            },
            ordering_key=ticket_ordering_key(ticket),
            now=now,
        )


def ticket_move(
    *,
    ticket: Ticket,
    actor: Actor,
    now: datetime,
    status: str | None = None,
    reason: str = "",
    acknowledge: bool = False,
    answer: bool = False,
    customer_message: bool = False,
    repick_policy: bool = False,
    merge_into: Ticket | None = None,
    fields: tuple[str, ...] = (),
) -> None:
    """Apply what happened to a locked ticket (the caller holds `ticket_lock`): the one writer of its status, its
    acknowledgement, its first response and its SLA clocks. Refused moves raise IllegalStateChange before anything
    is written.

    - `status`: move to it (checked against ALLOWED_MOVES; nothing when the ticket is there already), `reason` in
      its event.
    - `acknowledge`: the request is acknowledged (the acknowledgement clock stops; `new` becomes `open`).
    - `answer`: a public reply answered the customer (the response round ends; the first one is the first response;
      the time rules' agent_replied_at is now).
    - `customer_message`: the customer wrote (a pending or resolved ticket reopens; a response round starts unless one
      is running; the time rules' customer_replied_at is now).
    - `repick_policy`: severity or category changed (the SLA policy is picked again, running clocks re-planned).
    - `merge_into`: the ticket was merged into that one (closed from any status but closed, its clocks stopped).
    - `fields`: other fields the caller set on the ticket, saved with it (a change of `team` moves the running clocks
      to the new team).
    """
    move = _apply(
        ticket,
        None,
        actor=actor,
        now=now,
        status=status,
        reason=reason,
        acknowledge=acknowledge,
        answer=answer,
        customer_message=customer_message,
        repick_policy=repick_policy,
        team_changed="team" in fields,
        merge_into=merge_into,
    )
    if not move.fields and not move.events and not fields:
        return  # nothing happened (a move to the status the ticket has): nothing is written, not even updated_at
    if move.clocks is not None:
        move.clocks.save()
    ticket.updated_at = now
    ticket.save(update_fields=sorted({"updated_at", *fields, *move.fields}))
    ticket_events_save(move.events)
    _after(ticket, move, now=now)
    if move.moves:
        automation_event(event=TriggerEvent.TICKET_STATUS_CHANGED, ticket=ticket, now=now)


@transaction.atomic
def ticket_change_status(
    *,
    ticket: Ticket,
    status: str,
    user: AbstractUser | None = None,
    storefront: Storefront | None = None,
    reason: str = "",
    seen_event_id: int | None = None,
    confirm: bool = False,
    now: datetime | None = None,
) -> Ticket:
    """Move a ticket to another status if the state machine allows it; 409 otherwise, nothing written. With
    `seen_event_id`, held if the ticket changed since (collision)."""
    now = now or timezone.now()
    if status not in Status.values:
        raise InvalidInput(_("Unknown status %(value)s.") % {"value": status}, field="status")
    ticket = ticket_lock(ticket.pk)
    ticket_check_seen(ticket=ticket, user=user, seen_event_id=seen_event_id, confirm=confirm)
    ticket_move(ticket=ticket, actor=Actor(user=user, storefront=storefront), now=now, status=status, reason=reason)
    return ticket


def tickets_auto_close(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Close tickets resolved more than AUTO_CLOSE_AFTER ago, in batches of locked rows, each through the mover;
    safe to re-run (closed ones are skipped), and a ticket someone is working on is left for the next run."""
    now = now or timezone.now()
    cutoff = now - settings.AUTO_CLOSE_AFTER
    closed = 0
    while True:
        with transaction.atomic():
            batch = list(
                Ticket.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("storefront")
                .filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
                .order_by("resolved_at", "id")[:batch_size]
            )
            for ticket in batch:
                ticket_move(ticket=ticket, actor=SYSTEM, now=now, status=Status.CLOSED, reason="auto_close")
        closed += len(batch)
        if len(batch) < batch_size:
            return closed


def clock_start(*, ticket: Ticket, metric: str, key: str = "", now: datetime | None = None) -> SlaClock | None:
    """Start an SLA clock on a locked ticket (e.g. metric "refund" when a refund is approved).

    At most one clock per (ticket, metric, key) runs: starting a running one returns it unchanged, so a retried
    caller is safe. Pass a key (e.g. f"refund:{refund.pk}") to run several of one metric side by side.
    Returns None when the ticket's policy sets no target for the metric.
    """
    check_metric(metric)
    clocks = TicketClocks(ticket)
    clock = clocks.start(metric, now=now or timezone.now(), key=key)
    _save_deadlines(ticket, clocks)
    return clock


def clock_stop(*, ticket: Ticket, metric: str, key: str = "", now: datetime | None = None) -> SlaClock | None:
    """Stop the running clock of a metric (and key) on a locked ticket; None when none runs (a retry is safe)."""
    check_metric(metric)
    clocks = TicketClocks(ticket)
    stopped = clocks.stop(metric, now=now or timezone.now(), key=key)
    _save_deadlines(ticket, clocks)
    return stopped[0] if stopped else None


def _save_deadlines(ticket: Ticket, clocks: TicketClocks) -> None:
    clocks.save()
    ticket.save(update_fields=["next_due_at", "next_warn_at"])
