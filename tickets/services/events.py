"""Who did something, and the ticket's audit trail (`TicketEvent`: append-only, written only by services)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.utils import timezone

from tickets.models import ActorType, Message, Storefront, Ticket, TicketEvent
from tickets.services.live import live_publish_after_commit


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff user, a storefront (through the API) or the system (beat, sweep, a policy)."""

    user: AbstractUser | None = None
    storefront: Storefront | None = None

    @property
    def type(self) -> str:
        if self.user is not None:
            return ActorType.USER
        if self.storefront is not None:
            return ActorType.STOREFRONT
        return ActorType.SYSTEM


SYSTEM = Actor()


def ticket_event(
    *,
    ticket: Ticket,
    kind: str,
    now: datetime,
    actor: Actor = SYSTEM,
    message: Message | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """One event of a ticket, not yet saved (for callers that write several at once)."""
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
    event = ticket_event(ticket=ticket, kind=kind, actor=actor, message=message, data=data, now=now or timezone.now())
    ticket_events_save([event])
    return event


def ticket_events_save(events: Iterable[TicketEvent]) -> list[TicketEvent]:
    """Write events (one INSERT) and, after the commit, tell the pages open on their tickets (services.live). Every
    service that writes ticket events writes them here."""
    saved = TicketEvent.objects.bulk_create(list(events))
    live_publish_after_commit(saved)
    return saved
