"""Refunds: created where the policy says, only ever lowered, issued by finance, settled by the storefront.

Never over-refund: a refund is created or changed only while holding the return's ticket, the return and the order
row locks (common.lock_return, then lock_order), and the sums of the non-failed refunds of the return and of the
whole order are read under those locks. Every refund of one order therefore queues on that order's row, so twenty
requests at once see each other's refunds and none can push a total above what was paid.
"""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import IllegalStateChange, InvalidInput
from aftersales.money import to_money
from returns.models import (
    COUNTED_REFUND_STATUSES,
    REFUND_MOVES,
    Order,
    OrderLine,
    Refund,
    RefundStatus,
    Resolution,
    ReturnRequest,
    ReturnStatus,
)
from returns.services import common
from returns.services.common import Locked
from tickets import services
from tickets.models import EventKind, Metric, Storefront
from tickets.services import SYSTEM, Actor

REFUND_BUSINESS_DAYS = 3


def add_business_days(start: datetime, days: int) -> datetime:
    """`days` Monday-to-Friday days after `start`, in settings.TIME_ZONE; used when no SLA policy tracks refunds."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = start.astimezone(zone)
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local.astimezone(start.tzinfo)


def _clock_key(refund_public_id: Any) -> str:
    return f"refund:{refund_public_id.hex}"


def refunded_total(*, return_request: ReturnRequest) -> Decimal:
    """The sum of the return's refunds that have not failed."""
    total = Refund.objects.filter(return_request=return_request, status__in=COUNTED_REFUND_STATUSES).aggregate(
        total=Sum("amount")
    )["total"]
    return total or Decimal("0.00")


def order_paid(*, order: Order) -> Decimal:
    total = OrderLine.objects.filter(order=order).aggregate(total=Sum(F("quantity") * F("unit_price")))["total"]
    return to_money(total or 0)


def order_refunded_total(*, order: Order) -> Decimal:
    total = Refund.objects.filter(return_request__order=order, status__in=COUNTED_REFUND_STATUSES).aggregate(
        total=Sum("amount")
    )["total"]
    return total or Decimal("0.00")


def may_refund_now(return_request: ReturnRequest) -> bool:
    """Whether the return has reached the point where the policy allows a refund."""
    if return_request.resolution != Resolution.REFUND:
        return False
    if return_request.status == ReturnStatus.INSPECTED:
        return bool(return_request.inspection_passed)
    before_receipt = (ReturnStatus.APPROVED, ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED)
    return return_request.status in before_receipt and (return_request.returnless or return_request.advance_refund)


def create_locked(
    locked: Locked,
    *,
    actor: Actor,
    now: datetime,
    amount: Decimal | None = None,
    reason: str = "",
) -> Refund | None:
    """Create a refund of a locked return (caller holds ticket + return locks); None when nothing is left to refund.

    The amount defaults to what is left of the refundable amount; a smaller one needs a reason; a larger one, or
    one that would bring the order's refunds above what was paid for it, is refused.
    """
    return_request = locked.return_request
    if not may_refund_now(return_request):
        raise IllegalStateChange(_("This return cannot be refunded in its current state."), field="status")
    order = common.lock_order(return_request.order_id)
    remaining = return_request.refundable_amount - refunded_total(return_request=return_request)
    order_remaining = order_paid(order=order) - order_refunded_total(order=order)
    remaining = min(remaining, order_remaining)
    if amount is None:
        if remaining <= 0:
            return None
        amount = remaining
    amount = to_money(amount)
    reason = reason.strip()
    if amount <= 0:
        raise InvalidInput(_("The amount must be above zero."), field="amount")
    if amount > remaining:
        raise InvalidInput(
            _("At most %(remaining)s %(currency)s is left to refund on this return.")
            % {"remaining": f"{max(remaining, Decimal(0)):.2f}", "currency": return_request.currency},
            field="amount",
        )
    if amount < remaining and not reason:
        raise InvalidInput(_("Give a reason for refunding less than was paid."), field="reason")
    public_id = uuid.uuid4()
    clock = services.clock_start(ticket=locked.ticket, metric=Metric.REFUND, key=_clock_key(public_id), now=now)
    due_at = clock.due_at if clock is not None else add_business_days(now, REFUND_BUSINESS_DAYS)
    refund = Refund.objects.create(
        public_id=public_id,
        return_request=return_request,
        amount=amount,
        currency=return_request.currency,
        status=RefundStatus.PENDING,
        amount_reason=reason if amount < remaining else "",
        due_at=due_at,
        created_by=actor.user,
        created_at=now,
        updated_at=now,
    )
    services.ticket_record_event(
        ticket=locked.ticket,
        kind=EventKind.REFUND,
        actor=actor,
        data={
            "refund": refund.reference,
            "action": "created",
            "amount": f"{amount:.2f}",
            "currency": refund.currency,
            **({"reason": refund.amount_reason} if refund.amount_reason else {}),
        },
        now=now,
    )
    return refund


@transaction.atomic
def refund_create(
    *,
    return_request: ReturnRequest,
    user: Any,
    amount: Decimal | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Refund:
    """An agent refunds (part of) a return: the rest of its refundable amount by default, less with a reason."""
    common.require_agent(user)
    now = now or timezone.now()
    locked = common.lock_return(return_request)
    refund = create_locked(locked, actor=Actor(user=user), now=now, amount=amount, reason=reason)
    if refund is None:
        raise IllegalStateChange(_("Everything paid for this return is already refunded."), field="amount")
    return refund


def _lock_refund(refund: Refund) -> tuple[Locked, Refund]:
    return_request = ReturnRequest.objects.only("pk", "ticket_id").get(pk=refund.return_request_id)
    locked = common.lock_return(return_request)
    fresh = Refund.objects.select_for_update().get(pk=refund.pk)
    fresh.return_request = locked.return_request
    return locked, fresh


def _refund_event(locked: Locked, refund: Refund, action: str, *, actor: Actor, now: datetime, **data: Any) -> None:
    services.ticket_record_event(
        ticket=locked.ticket,
        kind=EventKind.REFUND,
        actor=actor,
        data={"refund": refund.reference, "action": action, **data},
        now=now,
    )


@transaction.atomic
def refund_lower(*, refund: Refund, user: Any, amount: Decimal, reason: str, now: datetime | None = None) -> Refund:
    """An agent lowers a pending refund (a damage deduction); never raises it, always with a reason."""
    common.require_agent(user)
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the lower amount."), field="reason")
    locked, refund = _lock_refund(refund)
    if refund.status != RefundStatus.PENDING:
        raise IllegalStateChange(_("Only a refund not yet issued can be changed."), field="status")
    amount = to_money(amount)
    if amount <= 0:
        raise InvalidInput(_("The amount must be above zero."), field="amount")
    if amount >= refund.amount:
        raise InvalidInput(_("A refund can only be lowered, never raised."), field="amount")
    previous = refund.amount
    refund.amount = amount
    refund.amount_reason = reason
    refund.updated_at = now
    refund.save(update_fields=["amount", "amount_reason", "updated_at"])
    _refund_event(
        locked,
        refund,
        "lowered",
        actor=Actor(user=user),
        now=now,
        amount_from=f"{previous:.2f}",
        amount_to=f"{amount:.2f}",
        reason=reason,
    )
    return refund


def _move_refund(locked: Locked, refund: Refund, to: str, *, actor: Actor, now: datetime, fields: tuple = ()) -> None:
    """The only code that writes `Refund.status`; checks REFUND_MOVES on a locked refund."""
    if to not in REFUND_MOVES[refund.status]:
        raise IllegalStateChange(
            _("A refund cannot move from %(from)s to %(to)s.")
            % {"from": RefundStatus(refund.status).label, "to": RefundStatus(to).label},
            field="status",
        )
    previous = refund.status
    refund.status = to
    refund.updated_at = now
    refund.save(update_fields=["status", "updated_at", *fields])
    _refund_event(locked, refund, "status_changed", actor=actor, now=now, **{"from": previous, "to": to})


@transaction.atomic
def refund_issue(*, refund: Refund, user: Any, now: datetime | None = None) -> Refund:
    """Finance issues a refund: the storefront is asked by webhook (refund.requested) to pay it out."""
    common.require_finance(user)
    now = now or timezone.now()
    locked, refund = _lock_refund(refund)
    refund.issued_by = user
    refund.issued_at = now
    _move_refund(
        locked, refund, RefundStatus.PROCESSING, actor=Actor(user=user), now=now, fields=("issued_by", "issued_at")
    )
    common.send_webhook(locked.return_request, "refund.requested", now=now, refund=refund)
    return refund


def complete_if_refunded(locked: Locked, *, actor: Actor = SYSTEM, now: datetime) -> None:
    """A refund return is complete once its item is back and inspected (or never had to come back), at least one
    refund succeeded and none is still under way."""
    return_request = locked.return_request
    ready = (return_request.status == ReturnStatus.INSPECTED and return_request.inspection_passed) or (
        return_request.status == ReturnStatus.APPROVED and return_request.returnless
    )
    if not ready or return_request.resolution != Resolution.REFUND:
        return
    statuses = set(Refund.objects.filter(return_request=return_request).values_list("status", flat=True))
    if RefundStatus.SUCCEEDED in statuses and not statuses & {RefundStatus.PENDING, RefundStatus.PROCESSING}:
        common.move(locked, ReturnStatus.COMPLETED, actor=actor, now=now)


@transaction.atomic
def refund_settle(
    *,
    refund: Refund,
    status: str,
    transaction_id: str = "",
    failure_reason: str = "",
    storefront: Storefront | None = None,
    user: Any = None,
    now: datetime | None = None,
) -> Refund:
    """The storefront confirms a refund it paid out (or could not), or finance marks it by hand."""
    if storefront is None:
        common.require_finance(user)
    now = now or timezone.now()
    transaction_id, failure_reason = transaction_id.strip(), failure_reason.strip()
    if status not in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        raise InvalidInput(_("The status must be succeeded or failed."), field="status")
    if status == RefundStatus.FAILED and not failure_reason:
        raise InvalidInput(_("Say why the refund failed."), field="failure_reason")
    if status == RefundStatus.SUCCEEDED and not transaction_id:
        # The payment's id is how finance and the storefront find the money later: no success without it.
        raise InvalidInput(_("Give the transaction id of the payment."), field="transaction_id")
    locked, refund = _lock_refund(refund)
    actor = Actor(user=user) if user is not None else Actor(storefront=storefront)
    refund.settled_at = now
    if status == RefundStatus.SUCCEEDED:
        refund.transaction_id = transaction_id
    else:
        refund.failure_reason = failure_reason
    _move_refund(
        locked, refund, status, actor=actor, now=now, fields=("settled_at", "transaction_id", "failure_reason")
    )
    common.send_webhook(locked.return_request, f"refund.{status}", now=now, refund=refund)
    if status == RefundStatus.SUCCEEDED:
        # The refund clock stops when the customer is paid (sla.md): this refund's, and those of the return's failed
        # refunds, which ran on until a refund in their place succeeded. A failed refund's clock keeps running, so
        # a customer left unpaid breaches and escalates like any other late refund.
        failed = Refund.objects.filter(return_request=locked.return_request, status=RefundStatus.FAILED)
        for public_id in [refund.public_id, *failed.values_list("public_id", flat=True)]:
            services.clock_stop(ticket=locked.ticket, metric=Metric.REFUND, key=_clock_key(public_id), now=now)
        complete_if_refunded(locked, actor=actor, now=now)
    return refund
