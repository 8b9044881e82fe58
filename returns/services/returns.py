"""Return requests: creation with the policy's decision, and every step of the return state machine.

Quantity safety: a create locks the order row (creating the order snapshot if this is its first return) before it
counts what earlier returns of the same lines already claim, so two returns posted at the same moment are
serialized and together never exceed what was bought.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError, IllegalStateChange, InvalidInput
from aftersales.money import to_money
from returns.models import (
    COUNTED_REFUND_STATUSES,
    FAULT_REASONS,
    RELEASED_STATUSES,
    Order,
    OrderLine,
    Outcome,
    Refund,
    Resolution,
    ReturnItem,
    ReturnPolicy,
    ReturnRequest,
    ReturnStatus,
)
from returns.services import common, refunds
from returns.services.common import Locked
from returns.services.policy import ItemFacts, decide
from tickets import services
from tickets.models import (
    Attachment,
    Category,
    Channel,
    Kind,
    MessageKind,
    Status,
    Storefront,
    Ticket,
    TicketEvent,
)
from tickets.services import SYSTEM, Actor, attachment_add
from tickets.settings_cache import cached


@dataclass(frozen=True)
class LineSnapshot:
    external_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class OrderSnapshot:
    external_id: str
    placed_at: datetime
    delivered_at: datetime
    currency: str
    lines: list[LineSnapshot]


@dataclass(frozen=True)
class ItemRequest:
    line: str
    quantity: int
    reason: str
    unused: bool = False
    original_packaging: bool = False


@dataclass(frozen=True)
class CustomerDetails:
    external_id: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class _Claim:
    line: OrderLine
    items: list[tuple[int, ItemRequest]] = field(default_factory=list)


def _return_subject(storefront: Storefront, order_id: str) -> str:
    with translation.override(storefront.language):
        return _("Return for order %(order)s") % {"order": order_id}


def policy_for(storefront: Storefront) -> ReturnPolicy:
    """The storefront's own policy, else the default row (no storefront), else the defaults of returns.md."""
    policies = cached("return_policies", lambda: list(ReturnPolicy.objects.order_by("id")))
    own = next((policy for policy in policies if policy.storefront_id == storefront.pk), None)
    return own or next((policy for policy in policies if policy.storefront_id is None), None) or ReturnPolicy()


def _validate_snapshot(snapshot: OrderSnapshot, now: datetime) -> None:
    if snapshot.delivered_at > now:
        raise InvalidInput(_("The delivery time is in the future."), field="order.delivered_at")
    if snapshot.delivered_at < snapshot.placed_at:
        raise InvalidInput(_("The order was delivered before it was placed."), field="order.delivered_at")
    seen: set[str] = set()
    for index, line in enumerate(snapshot.lines):
        if line.external_id in seen:
            raise InvalidInput(_("This line id appears twice in the order."), field=f"order.lines.{index}.external_id")
        seen.add(line.external_id)
        if line.unit_price < 0:
            raise InvalidInput(_("A price cannot be negative."), field=f"order.lines.{index}.unit_price")


def _differences(order: Order, lines: list[OrderLine], snapshot: OrderSnapshot) -> list[str]:
    diffs = []
    if order.placed_at != snapshot.placed_at:
        diffs.append("placed_at")
    if order.delivered_at != snapshot.delivered_at:
        diffs.append("delivered_at")
    if order.currency != snapshot.currency:
        diffs.append("currency")
    stored = {line.external_id: line for line in lines}
    sent = {line.external_id: line for line in snapshot.lines}
    for external_id in sorted(stored.keys() | sent.keys()):
        old, new = stored.get(external_id), sent.get(external_id)
        if old is None or new is None:
            diffs.append(f"lines[{external_id}]")
            continue
        for name in ("sku", "name", "quantity", "unit_price"):
            if getattr(old, name) != getattr(new, name):
                diffs.append(f"lines[{external_id}].{name}")
    return diffs


def _order_for(storefront: Storefront, snapshot: OrderSnapshot) -> tuple[Order, list[OrderLine], bool]:
    """The order, locked, with its lines and whether it is new: a new one on its first return, else the stored
    snapshot (refused if this one disagrees).

    A stored order is locked (SELECT ... FOR UPDATE); a new one is this transaction's own row until it commits.
    Either way a second return of the order waits here until this one commits, and then counts its claims: two
    first returns of one order at once meet on the order's unique constraint, and the second reads the first's.
    """
    for _attempt in range(3):
        order = (
            Order.objects.select_for_update().filter(storefront=storefront, external_id=snapshot.external_id).first()
        )
        if order is not None:
            lines = list(order.lines.all())
            diffs = _differences(order, lines, snapshot)
            if diffs:
                raise InvalidInput(
                    _(
                        "Order %(order)s was sent before with other details (%(fields)s). Send the same order as "
                        "with its first return."
                    )
                    % {"order": snapshot.external_id, "fields": ", ".join(diffs)},
                    field="order",
                )
            return order, lines, False
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    storefront=storefront,
                    external_id=snapshot.external_id,
                    placed_at=snapshot.placed_at,
                    delivered_at=snapshot.delivered_at,
                    currency=snapshot.currency,
                )
                lines = OrderLine.objects.bulk_create(
                    OrderLine(
                        order=order,
                        external_id=line.external_id,
                        sku=line.sku,
                        name=line.name,
                        quantity=line.quantity,
                        unit_price=to_money(line.unit_price),
                    )
                    for line in snapshot.lines
                )
            return order, lines, True
        except IntegrityError:
            continue  # stored by a return posted at the same moment, committed since: lock and read it
    raise InvalidInput(_("The order could not be stored; try again."), field="order")


def _claims(order: Order, lines: list[OrderLine], items: list[ItemRequest], *, is_new: bool) -> dict[str, _Claim]:
    by_id = {line.external_id: line for line in lines}
    claims: dict[str, _Claim] = {}
    for index, item in enumerate(items):
        line = by_id.get(item.line)
        if line is None:
            raise InvalidInput(_("This line is not in the order."), field=f"items.{index}.line")
        claims.setdefault(item.line, _Claim(line=line)).items.append((index, item))
    # An order created by this very request has no other returns.
    claimed = {} if is_new else _claimed(order.pk)
    for claim in claims.values():
        asked = sum(item.quantity for _index, item in claim.items)
        _check_left(claim.line, asked, claimed, InvalidInput, field=f"items.{claim.items[-1][0]}.quantity")
    return claims


def _claimed(order_id: int, *, besides: ReturnRequest | None = None) -> dict[int, int]:
    """Quantities per order line claimed by the order's returns (rejected and cancelled ones released theirs), other
    than `besides`. The caller holds the order's row lock, so no other return can claim meanwhile."""
    items = ReturnItem.objects.filter(order_line__order_id=order_id)
    items = items.exclude(return_request__status__in=RELEASED_STATUSES)
    if besides is not None:
        items = items.exclude(return_request=besides)
    return dict(items.values_list("order_line_id").annotate(total=Sum("quantity")))


def _check_left(
    line: OrderLine, asked: int, claimed: dict[int, int], error: type[ApplicationError], *, field: str
) -> None:
    left = line.quantity - claimed.get(line.pk, 0)
    if asked > left:
        raise error(
            _("Only %(left)d of the %(bought)d bought can still be returned.")
            % {"left": max(left, 0), "bought": line.quantity},
            field=field,
        )


@transaction.atomic
def return_create(
    *,
    storefront: Storefront,
    order: OrderSnapshot,
    items: list[ItemRequest],
    resolution: str,
    description: str = "",
    customer: CustomerDetails | None = None,
    now: datetime | None = None,
) -> ReturnRequest:
    """A storefront's return request: stored with its own ticket, decided at once by the policy where it can."""
    now = now or timezone.now()
    if not items:
        raise InvalidInput(_("List at least one item to return."), field="items")
    if resolution not in Resolution.values:
        raise InvalidInput(_("Unknown resolution."), field="resolution")
    _validate_snapshot(order, now)
    snapshot = order
    order, lines, is_new = _order_for(storefront, snapshot)
    claims = _claims(order, lines, items, is_new=is_new)
    amounts = [to_money(claims[item.line].line.unit_price * item.quantity) for item in items]
    refundable = to_money(sum(amounts, Decimal("0")))
    customer_row = None
    if customer is not None and any((customer.external_id, customer.name, customer.email, customer.phone)):
        customer_row = services.customer_upsert(
            storefront=storefront,
            external_id=customer.external_id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
        )
    is_fault = any(item.reason in FAULT_REASONS for item in items)
    policy = policy_for(storefront)
    decision = decide(
        policy=policy,
        items=[ItemFacts(item.reason, item.unused, item.original_packaging) for item in items],
        resolution=resolution,
        delivered_at=order.delivered_at,
        now=now,
        refundable_amount=refundable,
        currency=order.currency,
        language=storefront.language,
    )
    # The policy's decision is known before anything is written: the return is stored in the state it leads to, and
    # its ticket as that state leaves it (acknowledged, pending or resolved), each written once.
    return_request = ReturnRequest(
        storefront=storefront,
        customer=customer_row,
        order=order,
        resolution=resolution,
        description=description,
        status=ReturnStatus.REQUESTED,
        decision_outcome=decision.outcome,
        decision_rule=decision.rule,
        decision_explanation=decision.explanation,
        decided_at=now if decision.outcome != Outcome.NEEDS_REVIEW else None,
        refundable_amount=refundable,
        currency=order.currency,
        created_at=now,
        updated_at=now,
    )
    decided = {Outcome.AUTO_APPROVED: ReturnStatus.APPROVED, Outcome.AUTO_REJECTED: ReturnStatus.REJECTED}
    to = decided.get(decision.outcome)
    acknowledge, ticket_status = False, None
    if to is not None:
        if to == ReturnStatus.APPROVED:
            _set_refund_terms(return_request, policy)
        common.advance(return_request, to, now=now)
        acknowledge, ticket_status = common.ticket_change_for(return_request, to, Status.NEW)

    def write_return(ticket: Ticket) -> list[TicketEvent]:
        # Once the ticket's row is written: the return and its items, and their events for the ticket's timeline.
        return_request.ticket = ticket
        return_request.save(force_insert=True)  # its reference comes back from the INSERT (a generated column)
        return_request.item_list = ReturnItem.objects.bulk_create(
            ReturnItem(
                return_request=return_request,
                order_line=claims[item.line].line,
                quantity=item.quantity,
                reason=item.reason,
                unused=item.unused,
                original_packaging=item.original_packaging,
                amount=amount,
            )
            for item, amount in zip(items, amounts, strict=True)
        )
        return_request.evidence_list, return_request.refund_list = [], []
        locked = Locked(ticket=ticket, return_request=return_request)
        events = [
            common.return_event(
                locked,
                actor=Actor(storefront=storefront),
                now=now,
                action="created",
                outcome=decision.outcome,
                rule=decision.rule,
                amount=f"{refundable:.2f}",
            )
        ]
        if to is not None:
            moved = {"from": ReturnStatus.REQUESTED, "to": to}
            if to == ReturnStatus.REJECTED:
                moved["rule"] = decision.rule
            events.append(common.return_event(locked, actor=SYSTEM, now=now, **moved))
        return events

    ticket = services.ticket_create(
        storefront=storefront,
        # In the customer's language (their storefront's): the subject is what they read in their tickets.
        subject=_return_subject(storefront, order.external_id),
        body=description,
        kind=Kind.RETURN,
        category=Category.PRODUCT_QUALITY if is_fault else Category.POLICY,
        channel=Channel.API,
        customer=customer_row,
        order_external_id=order.external_id,
        # The form is answered by the policy's decision, not by a reply: an internal note, no response clock.
        opening_message_kind=MessageKind.INTERNAL,
        acknowledge=acknowledge,
        status=ticket_status,
        reason=f"return_{to}" if ticket_status else "",
        actor=SYSTEM,
        with_rows=write_return,
        now=now,
    )
    # The ticket was created by this transaction: nobody else can see it, let alone lock it.
    locked = Locked(ticket=ticket, return_request=return_request)
    if to is not None:
        common.send_move_webhook(return_request, to, now=now)
    if to == ReturnStatus.APPROVED and (return_request.returnless or return_request.advance_refund):
        refund = refunds.create_locked(locked, actor=SYSTEM, now=now)
        return_request.refund_list = [refund] if refund is not None else []
    common.raise_automation_event(ticket, return_request, "return.created", now=now)
    # The policy's decision, including "needs review" (a person decides later: return.decided again).
    common.raise_automation_event(ticket, return_request, "return.decided", now=now)
    return return_request


def _set_refund_terms(return_request: ReturnRequest, policy: ReturnPolicy) -> None:
    """On approval: whether the item need not come back (returnless) or is refunded before it is (advance)."""
    if return_request.resolution == Resolution.REFUND:
        return_request.returnless = 0 < return_request.refundable_amount <= policy.returnless_limit
        return_request.advance_refund = policy.advance_refund and not return_request.returnless


def _approve(
    locked: Locked,
    *,
    policy: ReturnPolicy,
    actor: Actor,
    now: datetime,
    data: dict | None = None,
    fields: tuple[str, ...] = (),
    after: tuple[TicketEvent, ...] = (),
) -> None:
    """Approve, and refund at once where the policy refunds before the item is back (returnless or advance)."""
    return_request = locked.return_request
    _set_refund_terms(return_request, policy)
    common.move(
        locked,
        ReturnStatus.APPROVED,
        actor=actor,
        now=now,
        data=data,
        fields=("returnless", "advance_refund", *fields),
        after=after,
    )
    if return_request.returnless or return_request.advance_refund:
        refunds.create_locked(locked, actor=actor, now=now)


def _decide_fields(return_request: ReturnRequest, outcome: str, user: Any, reason: str, now: datetime) -> tuple:
    return_request.decision_outcome = outcome
    return_request.decided_by = user
    return_request.decided_at = now
    return_request.decision_reason = reason
    return ("decision_outcome", "decided_by", "decided_at", "decision_reason")


def _by_policy(return_request: ReturnRequest) -> bool:
    return return_request.decided_by_id is None and return_request.decision_outcome in (
        Outcome.AUTO_APPROVED,
        Outcome.AUTO_REJECTED,
    )


@transaction.atomic
def return_approve(
    *, return_request: ReturnRequest, user: Any, reason: str = "", now: datetime | None = None
) -> ReturnRequest:
    """An agent approves a return that needs review, or overrules the policy's rejection (with a reason)."""
    common.require_agent(user)
    now = now or timezone.now()
    reason = reason.strip()
    locked = common.lock_return(return_request)
    return_request = locked.return_request
    if return_request.status == ReturnStatus.REJECTED:
        if not _by_policy(return_request):
            raise IllegalStateChange(_("Only the policy's own rejection can be overruled."), field="status")
        if not reason:
            raise InvalidInput(_("Give a reason for overruling the policy."), field="reason")
        _reclaim(return_request)
    elif return_request.status != ReturnStatus.REQUESTED:
        raise IllegalStateChange(_("Only a return waiting for a decision can be approved."), field="status")
    overruled = return_request.decision_outcome if return_request.status == ReturnStatus.REJECTED else None
    fields = _decide_fields(return_request, Outcome.APPROVED, user, reason, now)
    return_request.save(update_fields=list(fields))
    data = {"reason": reason} if reason else {}
    if overruled:
        data["overruled"] = overruled
    _approve(locked, policy=policy_for(return_request.storefront), actor=Actor(user=user), now=now, data=data)
    common.raise_automation_event(locked.ticket, locked.return_request, "return.decided", now=now)
    return locked.return_request


def _reclaim(return_request: ReturnRequest) -> None:
    """A rejected return released its quantities, which later returns of the order may have claimed: approving it
    after all claims them again, counted under the order's row lock as a new return's are (409 if they are gone)."""
    common.lock_order(return_request.order_id)
    claimed = _claimed(return_request.order_id, besides=return_request)
    asked: dict[int, int] = {}
    lines: dict[int, OrderLine] = {}
    for item in return_request.items.select_related("order_line"):
        asked[item.order_line_id] = asked.get(item.order_line_id, 0) + item.quantity
        lines[item.order_line_id] = item.order_line
    for line_id, quantity in asked.items():
        _check_left(lines[line_id], quantity, claimed, IllegalStateChange, field="items")


def _has_counted_refund(return_request: ReturnRequest) -> bool:
    return Refund.objects.filter(return_request=return_request, status__in=COUNTED_REFUND_STATUSES).exists()


@transaction.atomic
def return_reject(
    *, return_request: ReturnRequest, user: Any, reason: str, now: datetime | None = None
) -> ReturnRequest:
    """An agent rejects a return waiting for a decision, or overrules the policy's approval before shipment."""
    common.require_agent(user)
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Give the reason for the rejection."), field="reason")
    locked = common.lock_return(return_request)
    return_request = locked.return_request
    data: dict[str, Any] = {"reason": reason}
    if return_request.status == ReturnStatus.APPROVED:
        if not _by_policy(return_request):
            raise IllegalStateChange(_("Only the policy's own approval can be overruled."), field="status")
        if _has_counted_refund(return_request):
            raise IllegalStateChange(_("A refund of this return is already under way."), field="status")
        data["overruled"] = return_request.decision_outcome
    elif return_request.status != ReturnStatus.REQUESTED:
        raise IllegalStateChange(_("Only a return waiting for a decision can be rejected."), field="status")
    fields = _decide_fields(return_request, Outcome.REJECTED, user, reason, now)
    common.move(locked, ReturnStatus.REJECTED, actor=Actor(user=user), now=now, data=data, fields=fields)
    common.raise_automation_event(locked.ticket, locked.return_request, "return.decided", now=now)
    return locked.return_request


@transaction.atomic
def return_ship(
    *,
    return_request: ReturnRequest,
    storefront: Storefront,
    carrier: str,
    tracking_number: str,
    now: datetime | None = None,
) -> ReturnRequest:
    """The customer shipped the item back: approved -> in_transit."""
    now = now or timezone.now()
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not carrier:
        raise InvalidInput(_("Name the carrier."), field="carrier")
    if not tracking_number:
        raise InvalidInput(_("Give the tracking number."), field="tracking_number")
    locked = common.lock_return(return_request)
    return_request = locked.return_request
    if return_request.returnless:
        raise IllegalStateChange(_("This return needs no item back."), field="status")
    return_request.carrier = carrier
    return_request.tracking_number = tracking_number
    return_request.shipped_at = now
    common.move(
        locked,
        ReturnStatus.IN_TRANSIT,
        actor=Actor(storefront=storefront),
        now=now,
        data={"carrier": carrier, "tracking_number": tracking_number},
        fields=("carrier", "tracking_number", "shipped_at"),
    )
    return return_request


@transaction.atomic
def return_cancel(
    *,
    return_request: ReturnRequest,
    storefront: Storefront | None = None,
    user: Any = None,
    reason: str = "",
    now: datetime | None = None,
) -> ReturnRequest:
    """The customer withdraws the return (through the storefront, or an agent on their behalf)."""
    if storefront is None:
        common.require_agent(user)
    now = now or timezone.now()
    locked = common.lock_return(return_request)
    if _has_counted_refund(locked.return_request):
        raise IllegalStateChange(_("A refund of this return is already under way."), field="status")
    actor = Actor(user=user) if user is not None else Actor(storefront=storefront)
    data = {"reason": reason.strip()} if reason.strip() else None
    common.move(locked, ReturnStatus.CANCELLED, actor=actor, now=now, data=data)
    return locked.return_request


@transaction.atomic
def return_receive(*, return_request: ReturnRequest, user: Any, now: datetime | None = None) -> ReturnRequest:
    """The parcel is back: in_transit -> received."""
    common.require_agent(user)
    now = now or timezone.now()
    locked = common.lock_return(return_request)
    locked.return_request.received_at = now
    common.move(locked, ReturnStatus.RECEIVED, actor=Actor(user=user), now=now, fields=("received_at",))
    return locked.return_request


@transaction.atomic
def return_inspect(
    *, return_request: ReturnRequest, user: Any, passed: bool, notes: str = "", now: datetime | None = None
) -> ReturnRequest:
    """Record the inspection. Passed: a refund return gets its refund; failed: the return is rejected with the
    notes as its reason."""
    common.require_agent(user)
    now = now or timezone.now()
    notes = notes.strip()
    if not passed and not notes:
        raise InvalidInput(_("Say what the inspection found."), field="notes")
    locked = common.lock_return(return_request)
    return_request = locked.return_request
    actor = Actor(user=user)
    return_request.inspection_passed = passed
    return_request.inspection_notes = notes
    return_request.inspected_by = user
    return_request.inspected_at = now
    common.move(
        locked,
        ReturnStatus.INSPECTED,
        actor=actor,
        now=now,
        data={"passed": passed, **({"notes": notes} if notes else {})},
        fields=("inspection_passed", "inspection_notes", "inspected_by", "inspected_at"),
    )
    if not passed:
        fields = _decide_fields(return_request, Outcome.REJECTED, user, notes, now)
        common.move(locked, ReturnStatus.REJECTED, actor=actor, now=now, data={"reason": notes}, fields=fields)
    elif return_request.resolution == Resolution.REFUND:
        refunds.create_locked(locked, actor=actor, now=now)
        refunds.complete_if_refunded(locked, actor=actor, now=now)
    return return_request


def _require_passed(return_request: ReturnRequest, resolution: str) -> None:
    if return_request.resolution != resolution:
        raise IllegalStateChange(_("The customer asked for another resolution."), field="resolution")
    if return_request.status != ReturnStatus.INSPECTED or not return_request.inspection_passed:
        raise IllegalStateChange(_("The item must be received and pass inspection first."), field="status")


@transaction.atomic
def return_request_exchange(
    *, return_request: ReturnRequest, user: Any, replacement_sku: str, now: datetime | None = None
) -> ReturnRequest:
    """Ask the storefront to ship a replacement (return.exchange_requested); this completes the return."""
    common.require_agent(user)
    now = now or timezone.now()
    replacement_sku = replacement_sku.strip()
    if not replacement_sku:
        raise InvalidInput(_("Give the replacement SKU."), field="replacement_sku")
    locked = common.lock_return(return_request)
    return_request = locked.return_request
    _require_passed(return_request, Resolution.EXCHANGE)
    return_request.replacement_sku = replacement_sku
    return_request.save(update_fields=["replacement_sku"])
    actor = Actor(user=user)
    common.record(locked, "exchange_requested", actor=actor, now=now, replacement_sku=replacement_sku)
    common.send_webhook(return_request, "return.exchange_requested", now=now, replacement_sku=replacement_sku)
    common.move(locked, ReturnStatus.COMPLETED, actor=actor, now=now)
    return return_request


@transaction.atomic
def return_record_repair(
    *, return_request: ReturnRequest, user: Any, repair_outcome: str, now: datetime | None = None
) -> ReturnRequest:
    """Record what the repair did; this completes the return."""
    common.require_agent(user)
    now = now or timezone.now()
    repair_outcome = repair_outcome.strip()
    if not repair_outcome:
        raise InvalidInput(_("Describe the repair."), field="repair_outcome")
    locked = common.lock_return(return_request)
    return_request = locked.return_request
    _require_passed(return_request, Resolution.REPAIR)
    return_request.repair_outcome = repair_outcome
    common.move(
        locked,
        ReturnStatus.COMPLETED,
        actor=Actor(user=user),
        now=now,
        data={"repair_outcome": repair_outcome},
        fields=("repair_outcome",),
    )
    return return_request


@transaction.atomic
def return_add_evidence(
    *,
    return_request: ReturnRequest,
    upload: UploadedFile,
    storefront: Storefront | None = None,
    user: Any = None,
    now: datetime | None = None,
) -> Attachment:
    """A photo or PDF of the problem, stored on the return's ticket (type checked from the content: 415 / 413)."""
    now = now or timezone.now()
    locked = common.lock_return(return_request)
    if locked.return_request.is_final:
        raise IllegalStateChange(_("This return is closed."), field="status")
    attachment = attachment_add(ticket=locked.ticket, upload=upload)
    locked.return_request.evidence.add(attachment)
    actor = Actor(user=user) if user is not None else Actor(storefront=storefront)
    common.record(
        locked, "evidence_added", actor=actor, now=now, attachment=attachment.pk, filename=attachment.filename
    )
    return attachment
