"""The return and refund services: the state machines, the ticket they drive, refunds and their limits."""

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import product

import pytest
from django.utils import timezone

from aftersales.errors import IllegalStateChange, InvalidInput, NotPermitted
from returns import services
from returns.models import (
    ALLOWED_MOVES,
    REFUND_MOVES,
    Outcome,
    Refund,
    RefundStatus,
    ReturnPolicy,
    ReturnStatus,
)
from returns.services import common
from returns.services.refunds import _move_refund
from tests.returns.conftest import make_return
from tickets.models import EventKind, Metric, SlaClock, Status
from tickets.services import SYSTEM

pytestmark = pytest.mark.django_db


def _reload(return_request):
    return type(return_request).objects.select_related("ticket").get(pk=return_request.pk)


# --- The state machines ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "to"), list(product(ReturnStatus.values, ReturnStatus.values)))
def test_the_return_mover_applies_exactly_the_moves_of_the_table(storefront, start, to):
    return_request = make_return(storefront, reason="changed_mind", unused=False)  # needs review: requested
    type(return_request).objects.filter(pk=return_request.pk).update(status=start)
    allowed = to in ALLOWED_MOVES[start]
    locked = None
    from django.db import transaction

    with transaction.atomic():
        locked = common.lock_return(return_request)
        if allowed:
            common.move(locked, to, actor=SYSTEM, now=timezone.now())
        else:
            with pytest.raises(IllegalStateChange):
                common.move(locked, to, actor=SYSTEM, now=timezone.now())
    assert _reload(return_request).status == (to if allowed else start)
    moves = return_request.ticket.events.filter(kind=EventKind.RETURN, data__to=to).count()
    assert moves == (1 if allowed else 0)


@pytest.mark.parametrize(("start", "to"), list(product(RefundStatus.values, RefundStatus.values)))
def test_the_refund_mover_applies_exactly_the_moves_of_the_table(storefront, agent, start, to):
    return_request = make_return(storefront)
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent)
    services.return_inspect(return_request=return_request, user=agent, passed=True)
    refund = Refund.objects.get()
    Refund.objects.filter(pk=refund.pk).update(status=start)
    from django.db import transaction

    allowed = to in REFUND_MOVES[start]
    with transaction.atomic():
        locked = common.lock_return(return_request)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if allowed:
            _move_refund(locked, refund, to, actor=SYSTEM, now=timezone.now())
        else:
            with pytest.raises(IllegalStateChange):
                _move_refund(locked, refund, to, actor=SYSTEM, now=timezone.now())
    assert Refund.objects.get().status == (to if allowed else start)


# --- Creation --------------------------------------------------------------------------------------------------


def test_a_return_gets_its_own_return_ticket_without_a_response_clock(storefront):
    return_request = make_return(storefront, reason="changed_mind", unused=False)
    ticket = return_request.ticket
    assert return_request.reference == f"R-{return_request.pk:06d}"
    assert ticket.kind == "return"
    assert ticket.status == Status.NEW
    assert return_request.status == ReturnStatus.REQUESTED
    assert return_request.decision_outcome == Outcome.NEEDS_REVIEW
    assert not SlaClock.objects.filter(ticket=ticket, metric=Metric.RESPONSE).exists()
    assert SlaClock.objects.filter(ticket=ticket, metric=Metric.ACKNOWLEDGEMENT, stopped_at=None).exists()


def test_an_auto_approved_return_acknowledges_its_ticket_which_then_waits_for_the_shipment(storefront):
    return_request = make_return(storefront)
    assert return_request.status == ReturnStatus.APPROVED
    assert return_request.decision_rule == "fault_within_refund_window"
    ticket = _reload(return_request).ticket
    assert ticket.acknowledged_at is not None
    assert ticket.status == Status.PENDING
    # waiting for the customer: the resolution clock is paused
    assert SlaClock.objects.get(ticket=ticket, metric=Metric.RESOLUTION).paused_at is not None
    assert return_request.refundable_amount == Decimal("199.00")


def _trail(return_request):
    """What the desk shows of a return's ticket: its events in order, its clocks' states and its deadlines."""
    ticket = _reload(return_request).ticket
    events = [
        (event.kind, {key: value for key, value in event.data.items() if key in ("from", "to", "reason", "action")})
        for event in ticket.events.order_by("id")
    ]
    clocks = sorted(
        (clock.metric, clock.stopped_at is not None, clock.paused_at is not None) for clock in ticket.clocks.all()
    )
    fields = (ticket.status, ticket.acknowledged_at is not None, ticket.pending_since is not None)
    return events, clocks, fields, (ticket.next_due_at, ticket.next_warn_at)


def test_a_return_approved_at_creation_leaves_the_trail_of_one_approved_after_it(storefront, agent):
    # The policy's approval is written with the ticket (its final state in one INSERT each): the ticket must carry
    # the same events, clocks and deadlines as a stored one acknowledged and moved step by step.
    at_once = make_return(storefront, order_id="SO-1")
    later = make_return(storefront, order_id="SO-2", reason="changed_mind", unused=False)  # needs review
    services.return_approve(return_request=later, user=agent)

    assert _trail(at_once) == _trail(later)
    events, clocks, fields, deadlines = _trail(at_once)
    assert events == [
        (EventKind.CREATED, {}),
        (EventKind.NOTE, {}),
        (EventKind.ASSIGNED, {}),
        (EventKind.RETURN, {"action": "created"}),
        (EventKind.RETURN, {"from": "requested", "to": "approved"}),
        (EventKind.ACKNOWLEDGED, {}),
        (EventKind.STATUS_CHANGED, {"from": "new", "to": "open"}),
        (EventKind.STATUS_CHANGED, {"from": "open", "to": "pending", "reason": "return_approved"}),
    ]
    # acknowledged: that clock stopped; waiting for the shipment: the resolution clock paused, so no deadline runs
    assert clocks == [(Metric.ACKNOWLEDGEMENT, True, False), (Metric.RESOLUTION, False, True)]
    assert fields == (Status.PENDING, True, True)
    assert deadlines == (None, None)


def test_an_auto_rejected_return_resolves_its_ticket(storefront):
    return_request = make_return(storefront, reason="changed_mind", unused=True, day=8)
    assert return_request.status == ReturnStatus.REJECTED
    assert _reload(return_request).ticket.status == Status.RESOLVED


def test_a_later_return_reuses_the_order_and_a_disagreeing_snapshot_is_refused(storefront):
    first = make_return(storefront, quantity=1)
    second = make_return(storefront, quantity=1)
    assert first.order_id == second.order_id
    with pytest.raises(InvalidInput) as refused:
        make_return(storefront, quantity=1, unit_price="150.00")
    assert "unit_price" in str(refused.value)
    assert refused.value.errors == {"order": [str(refused.value.message)]}


def test_quantities_of_earlier_returns_count_and_released_ones_do_not(storefront, agent):
    first = make_return(storefront, quantity=2)
    with pytest.raises(InvalidInput) as refused:
        make_return(storefront, quantity=1)
    assert "items.0.quantity" in refused.value.errors
    services.return_cancel(return_request=first, storefront=storefront)
    assert make_return(storefront, quantity=2).status == ReturnStatus.APPROVED


# --- The journey and the ticket it drives ---------------------------------------------------------------------


def test_a_refund_return_from_review_to_completion(storefront, agent, finance_user):
    return_request = make_return(storefront, reason="changed_mind", unused=False)

    services.return_approve(return_request=return_request, user=agent)
    assert _reload(return_request).ticket.status == Status.PENDING

    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="SF1")
    assert _reload(return_request).ticket.status == Status.PENDING

    services.return_receive(return_request=return_request, user=agent)
    assert _reload(return_request).ticket.status == Status.OPEN

    services.return_inspect(return_request=return_request, user=agent, passed=True, notes="As new.")
    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (Decimal("199.00"), RefundStatus.PENDING)
    clock = SlaClock.objects.get(ticket=return_request.ticket, metric=Metric.REFUND)
    assert refund.due_at == clock.due_at

    services.refund_issue(refund=refund, user=finance_user)
    services.refund_settle(refund=refund, status="succeeded", transaction_id="TX-1", storefront=storefront)

    return_request = _reload(return_request)
    assert return_request.status == ReturnStatus.COMPLETED
    assert return_request.ticket.status == Status.RESOLVED
    assert SlaClock.objects.get(pk=clock.pk).stopped_at is not None
    steps = list(
        return_request.ticket.events.filter(kind=EventKind.RETURN).order_by("id").values_list("data__to", flat=True)
    )
    assert [s for s in steps if s] == ["approved", "in_transit", "received", "inspected", "completed"]


def test_a_failed_inspection_rejects_the_return_with_the_notes(storefront, agent):
    return_request = make_return(storefront)
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent)
    with pytest.raises(InvalidInput):
        services.return_inspect(return_request=return_request, user=agent, passed=False)
    services.return_inspect(return_request=return_request, user=agent, passed=False, notes="Water damage.")
    return_request = _reload(return_request)
    assert return_request.status == ReturnStatus.REJECTED
    assert return_request.decision_reason == "Water damage."
    assert not Refund.objects.exists()


def test_an_exchange_and_a_repair_complete_the_return(storefront, agent):
    exchange = make_return(storefront, resolution="exchange", order_id="SO-1")
    repair = make_return(storefront, resolution="repair", order_id="SO-2")
    for return_request in (exchange, repair):
        services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
        services.return_receive(return_request=return_request, user=agent)
        services.return_inspect(return_request=return_request, user=agent, passed=True)
    with pytest.raises(IllegalStateChange):
        services.return_record_repair(return_request=exchange, user=agent, repair_outcome="Fixed.")
    services.return_request_exchange(return_request=exchange, user=agent, replacement_sku="KET-02")
    services.return_record_repair(return_request=repair, user=agent, repair_outcome="New heating element.")
    assert _reload(exchange).status == ReturnStatus.COMPLETED
    assert _reload(exchange).replacement_sku == "KET-02"
    assert _reload(repair).status == ReturnStatus.COMPLETED
    assert not Refund.objects.exists()


def test_a_returnless_refund_is_created_at_approval_and_completes_without_shipment(storefront, finance_user):
    ReturnPolicy.objects.create(storefront=storefront, returnless_limit=Decimal("200.00"))
    return_request = make_return(storefront)
    assert return_request.returnless
    assert _reload(return_request).ticket.status == Status.OPEN  # nothing to wait for from the customer
    refund = Refund.objects.get()
    with pytest.raises(IllegalStateChange):
        services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.refund_issue(refund=refund, user=finance_user)
    services.refund_settle(refund=refund, status="succeeded", transaction_id="TX-1", user=finance_user)
    assert _reload(return_request).status == ReturnStatus.COMPLETED


def test_the_default_policy_row_applies_to_storefronts_without_their_own(storefront):
    ReturnPolicy.objects.create(storefront=None, auto_approve_limit=Decimal("100.00"))
    return_request = make_return(storefront)
    assert return_request.decision_rule == "above_auto_approve_limit"


# --- Agents' decisions and overrules ------------------------------------------------------------------------------


def test_an_agent_overrules_the_policys_rejection_with_a_reason(storefront, agent):
    return_request = make_return(storefront, reason="changed_mind", unused=True, day=8)
    with pytest.raises(InvalidInput):
        services.return_approve(return_request=return_request, user=agent)
    services.return_approve(return_request=return_request, user=agent, reason="Loyal customer.")
    return_request = _reload(return_request)
    assert return_request.status == ReturnStatus.APPROVED
    assert (return_request.decision_outcome, return_request.decided_by) == (Outcome.APPROVED, agent)
    assert return_request.ticket.status == Status.PENDING  # reopened from resolved, now waiting for the shipment
    event = return_request.ticket.events.filter(kind=EventKind.RETURN, data__to="approved").get()
    assert event.data["overruled"] == "auto_rejected"
    assert event.data["reason"] == "Loyal customer."


def test_overruling_a_rejection_claims_its_items_again_only_if_no_later_return_took_them(storefront, agent):
    # given the one kettle bought, returned for no reason too late (rejected: the kettle is free again), then
    # returned as faulty for an exchange, which the policy approves
    rejected = make_return(storefront, reason="changed_mind", unused=True, day=8, bought=1)
    assert _reload(rejected).status == ReturnStatus.REJECTED
    exchange = make_return(storefront, reason="quality_issue", resolution="exchange", day=8, bought=1)
    assert _reload(exchange).status == ReturnStatus.APPROVED

    # when an agent overrules the first rejection, then it is refused: the kettle cannot be returned twice
    with pytest.raises(IllegalStateChange) as refused:
        services.return_approve(return_request=rejected, user=agent, reason="Loyal customer.")
    assert "Only 0 of the 1 bought" in str(refused.value.message)
    assert _reload(rejected).status == ReturnStatus.REJECTED

    # once the exchange is withdrawn, the overrule goes through
    services.return_cancel(return_request=exchange, storefront=storefront)
    services.return_approve(return_request=rejected, user=agent, reason="Loyal customer.")
    assert _reload(rejected).status == ReturnStatus.APPROVED


def test_an_agent_overrules_the_policys_approval_but_not_another_agents_decision(storefront, agent):
    return_request = make_return(storefront)
    services.return_reject(return_request=return_request, user=agent, reason="Known fraud.")
    assert _reload(return_request).status == ReturnStatus.REJECTED
    with pytest.raises(IllegalStateChange):
        services.return_approve(return_request=return_request, user=agent, reason="Changed my mind.")


def test_only_agents_decide_and_only_finance_issues(storefront, agent, finance_user):
    return_request = make_return(storefront, reason="changed_mind", unused=False)
    with pytest.raises(NotPermitted):
        services.return_approve(return_request=return_request, user=finance_user)
    services.return_approve(return_request=return_request, user=agent)
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent)
    services.return_inspect(return_request=return_request, user=agent, passed=True)
    with pytest.raises(NotPermitted):
        services.refund_issue(refund=Refund.objects.get(), user=agent)


# --- Refund amounts -----------------------------------------------------------------------------------------------


def _inspected(storefront, agent, **kwargs):
    return_request = make_return(storefront, **kwargs)
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent)
    services.return_inspect(return_request=return_request, user=agent, passed=True)
    return return_request


def test_a_refund_is_lowered_only_with_a_reason_and_never_raised(storefront, agent):
    _inspected(storefront, agent)
    refund = Refund.objects.get()
    with pytest.raises(InvalidInput):
        services.refund_lower(refund=refund, user=agent, amount=Decimal("150.00"), reason="")
    with pytest.raises(InvalidInput):
        services.refund_lower(refund=refund, user=agent, amount=Decimal("250.00"), reason="More.")
    services.refund_lower(refund=refund, user=agent, amount=Decimal("150.00"), reason="Scratched base.")
    refund.refresh_from_db()
    assert (refund.amount, refund.amount_reason) == (Decimal("150.00"), "Scratched base.")


def test_a_refund_above_what_is_left_is_refused_and_a_failed_one_frees_its_amount(storefront, agent, finance_user):
    return_request = _inspected(storefront, agent)
    with pytest.raises(InvalidInput) as refused:
        services.refund_create(return_request=return_request, user=agent, amount=Decimal("1.00"))
    assert "amount" in refused.value.errors
    refund = Refund.objects.get()
    services.refund_issue(refund=refund, user=finance_user)
    services.refund_settle(refund=refund, status="failed", failure_reason="Card closed.", storefront=storefront)
    assert _reload(return_request).status == ReturnStatus.INSPECTED
    with pytest.raises(InvalidInput):
        services.refund_create(return_request=return_request, user=agent, amount=Decimal("100.00"))
    second = services.refund_create(return_request=return_request, user=agent, amount=Decimal("100.00"), reason="Part")
    assert second.amount == Decimal("100.00")


def test_a_failed_refund_keeps_its_clock_running_until_a_refund_in_its_place_succeeds(storefront, agent, finance_user):
    # given an inspected return whose refund the storefront could not pay out
    return_request = _inspected(storefront, agent)
    failed = Refund.objects.get()
    services.refund_issue(refund=failed, user=finance_user)
    services.refund_settle(refund=failed, status="failed", failure_reason="Card closed.", storefront=storefront)

    # then the customer is still unpaid: the refund clock runs on (and will breach and escalate if nobody acts)
    running = SlaClock.objects.filter(ticket=return_request.ticket, metric=Metric.REFUND, stopped_at__isnull=True)
    assert running.count() == 1

    # when a refund in its place succeeds, both clocks stop and the return completes
    second = services.refund_create(return_request=return_request, user=agent, amount=Decimal("199.00"), reason="Again")
    services.refund_issue(refund=second, user=finance_user)
    services.refund_settle(refund=second, status="succeeded", transaction_id="TX-2", storefront=storefront)
    assert not running.exists()
    assert SlaClock.objects.filter(ticket=return_request.ticket, metric=Metric.REFUND).count() == 2
    assert _reload(return_request).status == ReturnStatus.COMPLETED


def test_the_refund_is_due_three_business_days_later_on_the_refund_calendar(storefront, agent):
    # given a return inspected on Monday 23 November 2026, 10:00 in Shanghai
    monday = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
    return_request = make_return(storefront, now=monday - timedelta(days=1))  # past the refund window: review
    services.return_approve(return_request=return_request, user=agent, now=monday)
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent, now=monday)
    services.return_inspect(return_request=return_request, user=agent, passed=True, now=monday)
    # then its refund is due 3 x 9 working hours later: Thursday 10:00
    assert Refund.objects.get().due_at == datetime.fromisoformat("2026-11-26T10:00:00+08:00")


def test_without_a_refund_target_the_refund_is_due_three_weekdays_later(storefront, agent):
    from tickets.models import SlaPolicy

    SlaPolicy.objects.update(refund_minutes=None)
    friday = datetime.fromisoformat("2026-11-27T10:00:00+08:00")
    return_request = make_return(storefront, now=friday - timedelta(days=1))  # past the refund window: review
    services.return_approve(return_request=return_request, user=agent, now=friday)
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent, now=friday)
    services.return_inspect(return_request=return_request, user=agent, passed=True, now=friday)
    assert Refund.objects.get().due_at == datetime.fromisoformat("2026-12-02T10:00:00+08:00")


def test_an_advance_refund_is_made_at_approval_and_the_return_completes_once_inspected(storefront, agent, finance_user):
    ReturnPolicy.objects.create(storefront=storefront, advance_refund=True)
    return_request = make_return(storefront)
    refund = Refund.objects.get()
    assert (return_request.advance_refund, return_request.returnless) == (True, False)
    with pytest.raises(IllegalStateChange):
        services.return_cancel(return_request=return_request, storefront=storefront)
    services.refund_issue(refund=refund, user=finance_user)
    services.refund_settle(refund=refund, status="succeeded", transaction_id="TX-3", storefront=storefront)
    assert _reload(return_request).status == ReturnStatus.APPROVED  # the item still has to come back
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent)
    services.return_inspect(return_request=return_request, user=agent, passed=True)
    assert Refund.objects.count() == 1  # nothing left to refund
    assert _reload(return_request).status == ReturnStatus.COMPLETED
