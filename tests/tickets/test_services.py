import threading

import pytest
from django.db import connection, transaction

from tests.factories import make_staff, make_ticket
from tickets import services
from tickets.models import Customer, EventKind, MessageKind, Status, Ticket

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


def test_a_new_ticket_goes_to_the_available_agent_of_the_team_with_the_fewest_open_tickets(
    storefront, team, other_team
):
    # given agents of the team: one with two open tickets, one with one open and several resolved, and people the
    # rule must pass over although they hold nothing: an unavailable agent, an inactive one, a supervisor, and an
    # agent of another team
    busy = make_staff("busy", "agent", teams=(team,))
    lighter = make_staff("lighter", "agent", teams=(team,))
    away = make_staff("away", "agent", teams=(team,))
    away.profile.is_available = False
    away.profile.save()
    gone = make_staff("gone", "agent", teams=(team,))
    gone.is_active = False
    gone.save()
    make_staff("boss", "supervisor", teams=(team,))
    make_staff("elsewhere", "agent", teams=(other_team,))
    for _ in range(2):
        Ticket.objects.filter(pk=make_ticket(storefront).pk).update(assignee=busy)
    Ticket.objects.filter(pk=make_ticket(storefront).pk).update(assignee=lighter)
    for _ in range(3):
        Ticket.objects.filter(pk=make_ticket(storefront).pk).update(assignee=lighter, status=Status.RESOLVED)
    # when a ticket is created, then it goes to the agent with the fewest open tickets
    assert make_ticket(storefront).assignee == lighter
    # and on a tie (two open tickets each now), the longest-standing account wins
    assert make_ticket(storefront).assignee == busy


def test_first_public_reply_acknowledges_and_opens(storefront, team, agent):
    ticket = make_ticket(storefront)
    services.ticket_reply(ticket=ticket, user=agent, body="We are looking into it.")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.acknowledged_at is not None
    assert ticket.first_response_at is not None


def test_a_customer_is_found_by_their_external_id_and_their_details_kept_current(storefront, other_storefront):
    first = services.customer_upsert(storefront=storefront, external_id="C-9", name="Li Lei", email="li@example.com")
    # the same id again: the same customer, a new phone and name taken, an empty e-mail erasing nothing
    again = services.customer_upsert(storefront=storefront, external_id="C-9", name="Lei Li", phone="+86 138")
    assert again.pk == first.pk
    first.refresh_from_db()
    assert (first.name, first.email, first.phone) == ("Lei Li", "li@example.com", "+86 138")
    # another storefront's customer with the same id is another person, and without an id each is new
    assert services.customer_upsert(storefront=other_storefront, external_id="C-9").pk != first.pk
    assert (
        services.customer_upsert(storefront=storefront, name="A").pk
        != services.customer_upsert(storefront=storefront, name="A").pk
    )


@pytest.mark.django_db(transaction=True)
def test_a_new_customer_posted_by_several_requests_at_once_is_stored_once(storefront):
    barrier = threading.Barrier(6)
    found = []

    def post() -> None:
        try:
            barrier.wait(10)
            with transaction.atomic():
                found.append(services.customer_upsert(storefront=storefront, external_id="C-NEW", name="Han Meimei").pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(found) == 6 and len(set(found)) == 1
    assert Customer.objects.filter(storefront=storefront, external_id="C-NEW").count() == 1
