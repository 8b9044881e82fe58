"""Merge, link and split tickets (workspace.md).

Returns and complaints live in apps above tickets, which tickets never imports: they move with a merged ticket
through `register_merge_part`, which those apps call in their AppConfig.ready (as they register erasure parts).
"""

from collections.abc import Callable, Sequence
from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import IllegalStateChange, InvalidInput, NotFound
from tickets.models import Attachment, EventKind, Message, MessageKind, Status, Ticket, TicketEvent
from tickets.services.events import Actor, ticket_event, ticket_events_save
from tickets.services.lifecycle import ticket_create, ticket_lock, ticket_move
from tickets.services.webhooks import ticket_ordering_key, ticket_ref, webhook_enqueue

# name -> move(source=, target=, now=): moves what the app keeps on the source ticket to the target, or raises an
# ApplicationError to refuse the merge (nothing is then kept of it).
MergePart = Callable[..., None]
_MERGE_PARTS: dict[str, MergePart] = {}


def register_merge_part(name: str, move: MergePart) -> None:
    """An app above tickets moves its rows (a return, a complaint) from a merged ticket to its target."""
    _MERGE_PARTS[name] = move


def _move_messages(*, source: Ticket, target: Ticket, messages: Sequence[Message] | None = None) -> int:
    """Move messages (all of the source's, or those given) and their attachments to the target, marked with the
    ticket they were written on; their events are copied onto the target's timeline at their own instants."""
    chosen = Message.objects.filter(ticket=source)
    if messages is not None:
        chosen = chosen.filter(pk__in=[message.pk for message in messages])
    ids = list(chosen.values_list("pk", flat=True))
    if not ids:
        return 0
    Message.objects.filter(pk__in=ids).update(ticket=target, merged_from=source)
    Attachment.objects.filter(message_id__in=ids).update(ticket=target)
    copies = [
        TicketEvent(
            ticket=target,
            kind=event.kind,
            actor_type=event.actor_type,
            actor_user_id=event.actor_user_id,
            actor_storefront_id=event.actor_storefront_id,
            message_id=event.message_id,
            data={**event.data, "merged_from": source.reference},
            created_at=event.created_at,
        )
        for event in TicketEvent.objects.filter(ticket=source, message_id__in=ids).order_by("created_at", "id")
    ]
    ticket_events_save(copies)
    return len(ids)


@transaction.atomic
def ticket_merge(
    *, target: Ticket, sources: Sequence[Ticket], user: AbstractUser, now: datetime | None = None
) -> Ticket:
    """Merge the sources into the target: their messages and attachments move to the target's timeline (marked as
    merged), their returns and complaints move with them, their clocks stop and each becomes closed with
    `merged_into`; the storefront hears `ticket.merged` per source. Same storefront only; never into a closed
    ticket. All or nothing."""
    now = now or timezone.now()
    source_ids = sorted({source.pk for source in sources})
    if not source_ids:
        raise InvalidInput(_("Name the tickets to merge into this one."), field="sources")
    if target.pk in source_ids:
        raise InvalidInput(_("A ticket cannot be merged into itself."), field="sources")
    # Every ticket locked in id order: two merges over overlapping tickets wait, never in a cycle.
    locked = {
        ticket.pk: ticket
        for ticket in Ticket.objects.select_for_update(of=("self",))
        .select_related("storefront")
        .filter(pk__in=[target.pk, *source_ids])
        .order_by("pk")
    }
    target = locked[target.pk]
    if target.status == Status.CLOSED:
        raise IllegalStateChange(_("A closed ticket cannot take other tickets in."), field="target")
    for source_id in source_ids:
        source = locked[source_id]
        if source.storefront_id != target.storefront_id:
            raise InvalidInput(
                _("%(reference)s is another storefront's ticket: only tickets of one storefront merge.")
                % {"reference": source.reference},
                field="sources",
            )
        if source.status == Status.CLOSED:
            raise IllegalStateChange(
                _("%(reference)s is closed and cannot be merged.") % {"reference": source.reference}, field="sources"
            )
    actor = Actor(user=user)
    for source_id in source_ids:
        source = locked[source_id]
        moved = _move_messages(source=source, target=target)
        for move in _MERGE_PARTS.values():
            move(source=source, target=target, now=now)
        ticket_events_save(
            [
                ticket_event(
                    ticket=target,
                    kind=EventKind.MERGED,
                    actor=actor,
                    data={"source": source.reference, "messages": moved},
                    now=now,
                ),
                ticket_event(
                    ticket=source, kind=EventKind.MERGED, actor=actor, data={"target": target.reference}, now=now
                ),
            ]
        )
        ticket_move(ticket=source, actor=actor, now=now, merge_into=target)
        webhook_enqueue(
            storefront=target.storefront,
            event_type="ticket.merged",
            data={"source": ticket_ref(source), "target": ticket_ref(target)},
            ordering_key=ticket_ordering_key(source),
            now=now,
        )
    ticket_move(ticket=target, actor=actor, now=now, fields=("updated_at",))
    return target


@transaction.atomic
def ticket_link(*, ticket: Ticket, other: Ticket, user: AbstractUser, now: datetime | None = None) -> Ticket:
    """Link two related tickets, both ways; a `linked` event on each. Linking again changes nothing."""
    now = now or timezone.now()
    if ticket.pk == other.pk:
        raise InvalidInput(_("A ticket cannot be linked to itself."), field="reference")
    first, second = sorted((ticket.pk, other.pk))
    ticket_lock(first)
    ticket_lock(second)
    if ticket.links.filter(pk=other.pk).exists():
        return ticket
    ticket.links.add(other)
    actor = Actor(user=user)
    ticket_events_save(
        [
            ticket_event(ticket=ticket, kind=EventKind.LINKED, actor=actor, data={"linked": other.reference}, now=now),
            ticket_event(ticket=other, kind=EventKind.LINKED, actor=actor, data={"linked": ticket.reference}, now=now),
        ]
    )
    return ticket


@transaction.atomic
def ticket_split(
    *, ticket: Ticket, message_id: int, user: AbstractUser, following: bool = False, now: datetime | None = None
) -> Ticket:
    """Move a customer message (and, with `following`, every message after it) into a new ticket of the same
    customer, linked to the original. Returns the new ticket."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket.pk)
    message = Message.objects.filter(ticket=ticket, pk=message_id).first()
    if message is None:
        raise NotFound(_("No such message on this ticket."), field="message_id")
    if message.kind != MessageKind.CUSTOMER:
        raise IllegalStateChange(_("Choose a customer message of this ticket."), field="message_id")
    if ticket.status == Status.CLOSED:
        raise IllegalStateChange(_("A closed ticket cannot be split."), field="message_id")
    chosen = [message]
    if following:
        chosen = list(
            Message.objects.filter(ticket=ticket)
            .filter(created_at__gte=message.created_at)
            .exclude(created_at=message.created_at, pk__lt=message.pk)
        )
    chosen_ids = {chosen_message.pk for chosen_message in chosen}
    customer_ids = set(Message.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER).values_list("pk", flat=True))
    if customer_ids <= chosen_ids:
        raise IllegalStateChange(_("A split leaves at least one customer message on the ticket."), field="message_id")
    new = ticket_create(
        storefront=ticket.storefront,
        subject=ticket.subject,
        kind=ticket.kind,
        category=ticket.category,
        severity=ticket.severity,
        channel=message.channel,
        customer=ticket.customer,
        order_external_id=ticket.order_external_id,
        user=user,
        now=now,
    )
    moved = _move_messages(source=ticket, target=new, messages=chosen)
    actor = Actor(user=user)
    ticket.links.add(new)
    ticket_events_save(
        [
            ticket_event(
                ticket=ticket,
                kind=EventKind.SPLIT,
                actor=actor,
                data={"new": new.reference, "messages": moved},
                now=now,
            ),
            ticket_event(ticket=new, kind=EventKind.SPLIT, actor=actor, data={"from": ticket.reference}, now=now),
        ]
    )
    # The customer's message now waits for an answer on the new ticket.
    ticket_move(ticket=new, actor=actor, now=now, customer_message=True)
    ticket_move(ticket=ticket, actor=actor, now=now, fields=("updated_at",))
    return new
