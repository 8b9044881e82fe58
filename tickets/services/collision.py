"""Never answer blind: an action taken on a ticket page (or by a script) that was read before someone else wrote to
the customer, or before the customer wrote, is held until the person confirms (workspace.md, "Never answer blind").

One check, `ticket_check_seen`, called by each service that acts for a person (reply, note, status, assignment,
macro) after it has locked the ticket: under the row lock no new customer message or reply can slip in
between the check and the write.
"""

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext as _

from aftersales.errors import Conflict
from tickets.models import EventKind, Ticket, TicketEvent

# What makes an answer blind: the customer wrote, or someone else wrote to the customer.
COLLISION_KINDS = (EventKind.CUSTOMER_MESSAGE, EventKind.REPLIED)
# The newest ones are shown; a ticket rarely gets more while someone types.
NEW_EVENTS_SHOWN = 20


class TicketChanged(Conflict):
    """409 `ticket_changed`: the error body carries `new_events`; `events` keeps the rows for the desk page."""

    type = "ticket_changed"

    def __init__(self, events: list[TicketEvent]):
        super().__init__(
            _("The customer or a colleague has written on this ticket since you opened it. Read it, then confirm.")
        )
        self.events = events
        self.extra = {"new_events": [new_event_data(event) for event in events]}


def _actor_name(event: TicketEvent) -> str:
    if event.actor_user is not None:
        return event.actor_user.get_full_name() or event.actor_user.get_username()
    if event.actor_storefront is not None:
        return event.actor_storefront.name
    return _("System")


def new_event_data(event: TicketEvent) -> dict[str, Any]:
    message = event.message
    return {
        "id": event.pk,
        "kind": event.kind,
        "actor_type": event.actor_type,
        "actor_name": _actor_name(event),
        "created_at": event.created_at.isoformat(),
        "message": None if message is None else {"id": message.pk, "kind": message.kind, "body": message.body},
    }


def ticket_new_events(*, ticket: Ticket, user: AbstractUser | None, seen_event_id: int) -> list[TicketEvent]:
    """Customer messages and others' replies on the ticket after `seen_event_id`, oldest first (one query)."""
    events = TicketEvent.objects.filter(ticket=ticket, pk__gt=seen_event_id, kind__in=COLLISION_KINDS)
    if user is not None:
        events = events.exclude(actor_user=user)
    newest = events.select_related("actor_user", "actor_storefront", "message").order_by("-pk")[:NEW_EVENTS_SHOWN]
    return list(reversed(newest))


def ticket_check_seen(
    *, ticket: Ticket, user: AbstractUser | None, seen_event_id: int | None, confirm: bool = False
) -> None:
    """Refuse (TicketChanged, 409) an action by `user` when the ticket has new customer messages or others' replies
    after `seen_event_id`. No `seen_event_id` (scripts), or `confirm`, lets the action through. Call it with the
    ticket locked (`ticket_lock`) and before writing anything, so that a refusal writes nothing."""
    if seen_event_id is None or confirm:
        return
    events = ticket_new_events(ticket=ticket, user=user, seen_event_id=seen_event_id)
    if events:
        raise TicketChanged(events)
