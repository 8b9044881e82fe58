import pytest

from tests.factories import make_ticket
from tickets import services
from tickets.models import EventKind, MessageKind, Status

pytestmark = pytest.mark.django_db


def test_created_ticket_gets_reference_customer_message_and_least_loaded_agent(storefront, team, agent):
    # given a storefront and a team with one available agent
    # when a ticket is created
    ticket = make_ticket(storefront, subject="Kettle leaks")
    # then it has a human reference, the opening customer message, and is routed and assigned
    assert ticket.reference == f"T-{ticket.pk:06d}"
    assert ticket.status == Status.NEW
    assert ticket.team == team
    assert ticket.assignee == agent
    assert list(ticket.messages.values_list("kind", flat=True)) == [MessageKind.CUSTOMER]
    assert list(ticket.events.order_by("id").values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.CUSTOMER_MESSAGE,
        EventKind.ASSIGNED,
    ]


def test_first_public_reply_acknowledges_and_opens(storefront, team, agent):
    ticket = make_ticket(storefront)
    services.ticket_reply(ticket=ticket, user=agent, body="We are looking into it.")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.acknowledged_at is not None
    assert ticket.first_response_at is not None
