"""Template helpers for SLA time: a ticket's clocks (running and history) and its SLA state."""

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from tickets import selectors
from tickets.models import Status, Ticket

register = template.Library()


@register.simple_tag
def sla_clocks(ticket: Ticket) -> dict[str, list[Any]]:
    """{"running": [...], "history": [...]} for the ticket page (one query)."""
    clocks = selectors.ticket_clocks(ticket=ticket)
    now = timezone.now()
    for clock in clocks:
        if clock.paused_at is not None:
            clock.state = "paused"
        elif clock.due_at <= now:
            clock.state = "breached"
        elif clock.warn_at <= now:
            clock.state = "at_risk"
        else:
            clock.state = "on_track"
        clock.badge_class = "badge-" + clock.state.replace("_", "-")
    return {
        "running": [c for c in clocks if c.stopped_at is None],
        "history": [c for c in clocks if c.stopped_at is not None],
    }


@register.simple_tag
def sla_state(ticket: Ticket, now: datetime | None = None) -> str:
    """on_track / at_risk / breached / paused / none, from the ticket's own columns (no query)."""
    now = now or timezone.now()
    if ticket.next_due_at is None:
        return "paused" if ticket.status == Status.PENDING else "none"
    if ticket.next_due_at <= now:
        return "breached"
    if ticket.next_warn_at is not None and ticket.next_warn_at <= now:
        return "at_risk"
    return "on_track"
