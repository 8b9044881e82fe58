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
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.db import InsertBatch, insert_unless_exists, insert_unless_exists_sql, prepared
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
from returns.services.common import SYSTEM, Locked
from returns.services.policy import ItemFacts, decide
from tickets import services
from tickets.models import Attachment, Category, Channel, Kind, Storefront, TicketEvent, WebhookDelivery
from tickets.services.tickets import (
    Actor,
    attachment_add,
    ticket_acknowledge_new,
    ticket_insert,
    ticket_move_new,
    ticket_plan,
)
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


def _insert_order(order: Order, lines: list[OrderLine]) -> bool:
    """INSERT the order with its lines unless the storefront has the order already: True (ids set), or False and
    nothing written (aftersales.db.insert_unless_exists). On PostgreSQL the lines go in the same statement (a
    data-modifying WITH), so a first return's order costs one round trip."""
    conflict = "storefront_id, external_id"
    if connection.vendor != "postgresql":
        if not insert_unless_exists(order, conflict=conflict):
            return False
        for line in lines:
            line.order = order
        OrderLine.objects.bulk_create(lines)
        return True
    order_sql, params = insert_unless_exists_sql(order, conflict=conflict)
    quote = connection.ops.quote_name
    line_meta = OrderLine._meta
    line_fields = [line_meta.get_field(name) for name in ("external_id", "sku", "name", "quantity", "unit_price")]
    line_columns = ", ".join(quote(field.column) for field in line_fields)
    typed = "(" + ", ".join(f"CAST(%s AS {field.db_type(connection)})" for field in line_fields) + ")"
    for line in lines:
        params.extend(field.get_db_prep_save(getattr(line, field.attname), connection) for field in line_fields)
    order_column = quote(line_meta.get_field("order").column)
    # Identifiers from the models' meta, values as parameters.
    sql = (
        f"WITH new_order AS ({order_sql}) "  # noqa: S608
        f"INSERT INTO {quote(line_meta.db_table)} ({order_column}, {line_columns}) "
        f"SELECT new_order.{quote(Order._meta.pk.column)}, line.* FROM new_order, "
        f"(VALUES {', '.join([typed] * len(lines))}) AS line ({line_columns}) "
        f"RETURNING {order_column}, {quote(line_meta.pk.column)}, {quote(line_meta.get_field('external_id').column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(*prepared(sql, params))
        rows = cursor.fetchall()
    if not rows:
        order._state.adding = True
        return False
    order.pk = rows[0][0]
    ids = {external_id: line_id for _order_id, line_id, external_id in rows}
    for line in lines:
        line.order, line.pk = order, ids[line.external_id]
        line._state.adding = False
        line._state.db = connection.alias
    return True


def _order_for(storefront: Storefront, snapshot: OrderSnapshot) -> tuple[Order, list[OrderLine], bool]:
    """The order, locked, with its lines and whether it is new: a new one on its first return, else the stored
    snapshot (refused if this one disagrees).

    A new row is this transaction's own until it commits; a stored one is locked (SELECT ... FOR UPDATE). Either
    way a second return of the order waits here until this one commits, and then counts its claims.
    """
    for _attempt in range(3):
        order = Order(
            storefront=storefront,
            external_id=snapshot.external_id,
            placed_at=snapshot.placed_at,
            delivered_at=snapshot.delivered_at,
            currency=snapshot.currency,
        )
        lines = [
            OrderLine(
                external_id=line.external_id,
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=to_money(line.unit_price),
            )
            for line in snapshot.lines
        ]
        if _insert_order(order, lines):
            return order, lines, True
        order = (
            Order.objects.select_for_update().filter(storefront=storefront, external_id=snapshot.external_id).first()
        )
        if order is None:
            continue  # deleted between the two statements: try the INSERT again
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
    approved = decision.outcome == Outcome.AUTO_APPROVED
    new = ticket_plan(
        storefront=storefront,
        subject=_("Return for order %(order)s") % {"order": order.external_id},
        body=description,
        kind=Kind.RETURN,
        category=Category.PRODUCT_QUALITY if is_fault else Category.POLICY,
        channel=Channel.API,
        customer=customer_row,
        order_external_id=order.external_id,
        # The form is answered by the policy's decision, not by a reply: it starts no response clock.
        opening_message_is_customer_message=False,
        now=now,
        # The return's id, and the id of its approval's webhook row: both go in with the ticket's rows.
        reserve=(ReturnRequest, WebhookDelivery) if approved and storefront.webhook_url else (ReturnRequest,),
    )
    ticket = new.ticket
    return_request = ReturnRequest(
        storefront=storefront,
        customer=customer_row,
        order=order,
        ticket=ticket,
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
    locked = Locked(ticket=ticket, return_request=return_request)
    # The return's own events go after the ticket's opening ones and before what the decision does to the ticket.
    at = len(new.events)
    if approved:
        # Known before anything is written: the return is stored approved and its ticket as the approval leaves it
        # (acknowledged, and pending or open), in one INSERT each instead of an INSERT and updates step by step.
        _set_refund_terms(return_request, policy)
        common.advance(return_request, ReturnStatus.APPROVED, now=now)
        ticket_acknowledge_new(new, actor=SYSTEM, now=now)
        target = common.ticket_target(return_request, ReturnStatus.APPROVED)
        if target is not None:
            ticket_move_new(new, target, actor=SYSTEM, now=now, reason=f"return_{ReturnStatus.APPROVED}")

    created_items = [
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
    ]

    def write_return(batch: InsertBatch) -> None:
        # The reference is the row's own sequence number, written with the row where the database hands out ids.
        return_request.pk = new.reserved[ReturnRequest]
        if return_request.pk is not None:
            return_request.reference = f"R-{return_request.pk:06d}"
        batch.add(return_request)
        if return_request.reference is None:  # no sequence (SQLite): written just now, its id known
            return_request.reference = f"R-{return_request.pk:06d}"
            ReturnRequest.objects.filter(pk=return_request.pk).update(reference=return_request.reference)
        batch.add(*created_items)
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
        if approved:
            moved = {"from": ReturnStatus.REQUESTED, "to": ReturnStatus.APPROVED}
            events.append(common.return_event(locked, actor=SYSTEM, now=now, **moved))
        new.events[at:at] = events
        if approved:
            common.send_move_webhook(
                return_request, ReturnStatus.APPROVED, now=now, batch=batch, pk=new.reserved.get(WebhookDelivery)
            )

    ticket_insert(new, with_rows=write_return)
    if approved and (return_request.returnless or return_request.advance_refund):
        refunds.create_locked(locked, actor=SYSTEM, now=now)
    elif decision.outcome == Outcome.AUTO_REJECTED:
        common.move(locked, ReturnStatus.REJECTED, actor=SYSTEM, now=now, data={"rule": decision.rule})
    # What the answer shows is all in memory: hand it over as if prefetched, so the API need not read it back.
    refunds_made = (
        list(return_request.refunds.order_by("created_at", "id"))
        if return_request.returnless or return_request.advance_refund
        else []
    )
    return_request._prefetched_objects_cache = {"items": created_items, "refunds": refunds_made, "evidence": []}
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
