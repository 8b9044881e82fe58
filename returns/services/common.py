"""What the return and refund services share: row locks in the fixed order, the one return mover, the ticket it
drives, role checks and the webhooks.

Lock order, everywhere: the ticket row, then the return, then the order, then the refund. Two requests touching
one return therefore queue on its ticket; two refunds of one order (even of two returns) queue on the order row.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from aftersales.errors import IllegalStateChange, NotPermitted
from returns.models import ALLOWED_MOVES, Order, Refund, ReturnRequest, ReturnStatus
from tickets import roles, services
from tickets.models import OPEN_STATUSES, EventKind, Status, Ticket, TicketEvent
from tickets.services import Actor, ticket_event, ticket_events_save


def raise_automation_event(ticket: Ticket, return_request: ReturnRequest, event: str, *, now: datetime) -> None:
    """Tell the ticket core's triggers about a return (it cannot import returns: the return's and the order's facts
    go with the event). Nothing is read when no trigger listens."""
    if not services.automation_listens(event):
        return
    from returns.models import ReturnItem
    from returns.services.policy import days_after_delivery
    from returns.services.refunds import order_paid

    reason = (
        ReturnItem.objects.filter(return_request=return_request).order_by("pk").values_list("reason", flat=True).first()
    )
    # The order's figures as the return policy and the refunds reckon them (days in the installation's time zone).
    order = Order.objects.get(pk=return_request.order_id)
    context = {
        "return": {
            "reason": reason,
            "resolution": return_request.resolution,
            "outcome": return_request.decision_outcome,
            "status": return_request.status,
        },
        "order": {
            "amount": str(order_paid(order=order)),
            "days_since_delivery": days_after_delivery(order.delivered_at, now),
        },
    }
    services.automation_event(event=event, ticket=ticket, context=context, now=now)


@dataclass
class Locked:
    ticket: Ticket
    return_request: ReturnRequest


def lock_return(return_request: ReturnRequest) -> Locked:
    """Lock the return's ticket row, then the return row; returns fresh copies of both."""
    ticket = services.ticket_lock(return_request.ticket_id)
    locked = (
        ReturnRequest.objects.select_for_update(of=("self",))
        .select_related("storefront", "order")
        .get(pk=return_request.pk)
    )
    locked.ticket = ticket
    return Locked(ticket=ticket, return_request=locked)


def lock_order(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def require_agent(user: Any) -> None:
    if not roles.is_agent(user):
        raise NotPermitted(_("Only agents and supervisors may do this."))


def require_finance(user: Any) -> None:
    if not roles.is_finance(user):
        raise NotPermitted(_("Only finance may do this."))


def return_summary(return_request: ReturnRequest) -> dict[str, Any]:
    """The return as webhooks describe it."""
    return {
        "id": str(return_request.public_id),
        "reference": return_request.reference,
        "status": return_request.status,
        "resolution": return_request.resolution,
        "order_external_id": return_request.order.external_id,
        "refundable_amount": f"{return_request.refundable_amount:.2f}",
        "currency": return_request.currency,
        "ticket": {"reference": return_request.ticket.reference, "status": return_request.ticket.status},
    }


def refund_summary(refund: Refund) -> dict[str, Any]:
    return {
        "id": str(refund.public_id),
        "reference": refund.reference,
        "amount": f"{refund.amount:.2f}",
        "currency": refund.currency,
        "status": refund.status,
        "due_at": refund.due_at.isoformat(),
        "transaction_id": refund.transaction_id,
        "failure_reason": refund.failure_reason,
    }


def send_webhook(
    return_request: ReturnRequest,
    event_type: str,
    *,
    now: datetime,
    refund: Refund | None = None,
    **extra: Any,
) -> None:
    """One event to the storefront's outbox, in order with everything else the storefront hears about the return's
    ticket (its replies, its resolution). The return's payload shows the ticket as the move left it, so a move that
    resolves the ticket announces `ticket.resolved` just before the return's own event."""
    data: dict[str, Any] = {"return": return_summary(return_request), **extra}
    if refund is not None:
        data["refund"] = refund_summary(refund)
    services.webhook_enqueue(
        storefront=return_request.storefront,
        event_type=event_type,
        data=data,
        ordering_key=services.ticket_ordering_key(return_request.ticket),
        now=now,
    )


# What the return's ticket shows while the return is in each state (returns.md): a decision acknowledges it (new
# -> open); while the customer is to ship the item and while it is on its way, nothing is for an agent to do, so the
# ticket is pending (its resolution clock pauses); receipt brings it back to the agent; a final state resolves it.
# A returnless approval waits for nobody but finance: the ticket stays open.
TICKET_STATUS_FOR: dict[str, str] = {
    ReturnStatus.APPROVED: Status.PENDING,
    ReturnStatus.IN_TRANSIT: Status.PENDING,
    ReturnStatus.RECEIVED: Status.OPEN,
    ReturnStatus.INSPECTED: Status.OPEN,
    ReturnStatus.COMPLETED: Status.RESOLVED,
    ReturnStatus.REJECTED: Status.RESOLVED,
    ReturnStatus.CANCELLED: Status.RESOLVED,
}


# A decision on the request answers it: it acknowledges the return's ticket.
ACKNOWLEDGING = (ReturnStatus.APPROVED, ReturnStatus.REJECTED)


WEBHOOK_FOR: dict[str, str] = {
    ReturnStatus.APPROVED: "return.approved",
    ReturnStatus.REJECTED: "return.rejected",
    ReturnStatus.RECEIVED: "return.received",
    ReturnStatus.COMPLETED: "return.completed",
    ReturnStatus.CANCELLED: "return.cancelled",
}


def ticket_target(return_request: ReturnRequest, to: str) -> str | None:
    """The status the return's ticket takes when the return moves to `to` (None: it stays as it is)."""
    if to == ReturnStatus.APPROVED and return_request.returnless:
        return Status.OPEN
    return TICKET_STATUS_FOR.get(to)


def ticket_change_for(return_request: ReturnRequest, to: str, ticket_status: str) -> tuple[bool, str | None]:
    """What the return's move to `to` asks of its ticket, whose status is `ticket_status`: whether the move
    acknowledges it (a decision answers the request) and the status it should take (None: it stays as it is)."""
    acknowledge = to in ACKNOWLEDGING and ticket_status in OPEN_STATUSES
    target = ticket_target(return_request, to)
    if target is None or ticket_status in (target, Status.CLOSED):
        target = None
    return acknowledge, target


def _drive_ticket(locked: Locked, to: str, *, actor: Actor, now: datetime) -> None:
    """Move the return's ticket as the return's new state asks, through the ticket lifecycle (the caller holds the
    ticket's row lock: lock_return)."""
    ticket = locked.ticket
    acknowledge, target = ticket_change_for(locked.return_request, to, ticket.status)
    if acknowledge and ticket.acknowledged_at is not None:
        acknowledge = False
    if target is not None and not ticket.can_move_to(target) and ticket.status == Status.RESOLVED:
        # Someone resolved the ticket by hand while the return went on: reopen it to follow the return.
        services.ticket_move(ticket=ticket, actor=actor, now=now, status=Status.OPEN)
    if acknowledge or target is not None:
        services.ticket_move(
            ticket=ticket,
            actor=actor,
            now=now,
            acknowledge=acknowledge,
            status=target,
            reason=f"return_{to}" if target is not None else "",
        )


def advance(return_request: ReturnRequest, to: str, *, now: datetime) -> str:
    """Check one return status move against the state machine and apply it in memory; the previous status."""
    previous = return_request.status
    if to not in ALLOWED_MOVES[previous]:
        raise IllegalStateChange(
            _("A return cannot move from %(from)s to %(to)s.")
            % {"from": ReturnStatus(previous).label, "to": ReturnStatus(to).label},
            field="status",
        )
    return_request.status = to
    return_request.updated_at = now
    return previous


def move(
    locked: Locked,
    to: str,
    *,
    actor: Actor,
    now: datetime,
    data: dict[str, Any] | None = None,
    fields: tuple[str, ...] = (),
    after: tuple[TicketEvent, ...] = (),
) -> None:
    """Apply one return status move to a locked return: the only code that writes `ReturnRequest.status` of a
    stored return.

    Checks ALLOWED_MOVES, saves the status with `fields` the caller set, writes the ticket event (after the unsaved
    events in `after`, in one INSERT), drives the ticket's status and writes the webhook to the outbox, all in the
    caller's transaction.
    """
    return_request = locked.return_request
    previous = advance(return_request, to, now=now)
    return_request.save(update_fields=["status", "updated_at", *fields])
    moved = return_event(locked, actor=actor, now=now, **{"from": previous, "to": to, **(data or {})})
    ticket_events_save([*after, moved])
    _drive_ticket(locked, to, actor=actor, now=now)
    return_request.ticket = locked.ticket
    send_move_webhook(return_request, to, now=now)


def send_move_webhook(return_request: ReturnRequest, to: str, *, now: datetime) -> None:
    event_type = WEBHOOK_FOR.get(to)
    if event_type is not None:
        send_webhook(return_request, event_type, now=now)


def return_event(locked: Locked, *, actor: Actor, now: datetime, **data: Any) -> TicketEvent:
    """A ticket event of the return, not yet saved."""
    return ticket_event(
        ticket=locked.ticket,
        kind=EventKind.RETURN,
        actor=actor,
        data={"return": locked.return_request.reference, **data},
        now=now,
    )


def record(locked: Locked, action: str, *, actor: Actor, now: datetime, **data: Any) -> None:
    """A ticket event for a return step that does not change its status (evidence, a refund lowered...)."""
    ticket_events_save([return_event(locked, actor=actor, now=now, action=action, **data)])
