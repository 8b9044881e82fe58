"""Returns' events reach the ticket core's triggers (tickets imports no returns: the return's facts go with the
event)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from returns.models import Outcome
from returns.services.policy import days_after_delivery
from tests.returns.conftest import make_return
from tickets.models import ChatChannel, ChatDelivery, EventKind, Severity, Trigger
from tickets.services.automation import rule_save

pytestmark = pytest.mark.django_db


def test_a_return_needing_review_raises_severity_and_notifies_the_chat_channel(storefront, team, agent):
    # given a chat channel and a trigger on decided returns that need review, for refunds above 100
    ChatChannel.objects.create(name="Returns room", kind="generic", url="http://127.0.0.1:9/chat", language="en")
    rule_save(
        model=Trigger,
        data={
            "name": "Returns to review",
            "event": "return.decided",
            "conditions": {
                "all": [
                    {"field": "return.outcome", "op": "is", "value": "needs_review"},
                    {"field": "order.amount", "op": "gt", "value": 100},
                ],
                "any": [],
            },
            "actions": [
                {"type": "set_severity", "value": "severe"},
                {"type": "notify", "value": {"chat": "Returns room"}},
            ],
        },
    )
    # when the policy cannot decide one return (a change of mind) and decides another (a fault, in time)
    review = make_return(storefront, order_id="SO-1", reason="changed_mind")
    decided = make_return(storefront, order_id="SO-2")
    assert review.decision_outcome == Outcome.NEEDS_REVIEW
    assert decided.decision_outcome == Outcome.AUTO_APPROVED
    # then the one needing review is severe and the chat room hears about it, naming the rule
    review.ticket.refresh_from_db()
    decided.ticket.refresh_from_db()
    assert review.ticket.severity == Severity.SEVERE
    assert decided.ticket.severity == Severity.MINOR
    delivery = ChatDelivery.objects.get()
    assert delivery.ticket == review.ticket
    assert delivery.title == f"Returns to review: {review.ticket.reference}"
    assert review.ticket.events.get(kind=EventKind.AUTOMATION).data["rule"] == "Returns to review"


def test_days_since_delivery_counts_days_as_the_return_policy_does(storefront, team):
    # given a trigger on new returns of orders delivered exactly 7 days ago, as the return policy counts days (calendar
    # days in the installation's time zone: the window the customer is told)
    rule_save(
        model=Trigger,
        data={
            "name": "A week after delivery",
            "event": "return.created",
            "conditions": {"all": [{"field": "order.days_since_delivery", "op": "is", "value": 7}], "any": []},
            "actions": [{"type": "set_severity", "value": "severe"}],
        },
    )
    # when a return comes on the 7th day after a late-evening delivery, less than 7 times 24 hours after it
    zone = ZoneInfo(settings.TIME_ZONE)
    delivered = datetime(2026, 11, 1, 23, 30, tzinfo=zone)
    now = datetime(2026, 11, 8, 1, 0, tzinfo=zone)
    assert days_after_delivery(delivered, now) == 7
    return_request = make_return(storefront, delivered=delivered, now=now)
    # then the trigger saw day 7, the day the policy judged the return on
    return_request.ticket.refresh_from_db()
    assert return_request.ticket.severity == Severity.SEVERE
