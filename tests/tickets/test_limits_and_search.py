"""Limits on what an agent writes (20,000 characters) and finding a ticket by its reference whatever its status."""

import pytest
from django.urls import reverse

from tests.factories import make_ticket
from tickets import services
from tickets.models import MESSAGE_BODY_MAX, MessageKind, Status

pytestmark = pytest.mark.django_db

DESK = "/api/v1/desk/tickets/"
TOO_LONG = "x" * (MESSAGE_BODY_MAX + 1)


# Limits ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["notes/", "reply/"])
def test_desk_api_refuses_a_20001_character_note_or_reply_naming_the_field(agent_api, storefront, action):
    # given a ticket
    ticket = make_ticket(storefront)
    # when an agent posts 20,001 characters
    response = agent_api.post(f"{DESK}{ticket.reference}/{action}", {"body": TOO_LONG}, format="json")
    # then the API refuses it, naming the field, and nothing is written
    assert response.status_code == 400, response.content
    assert "body" in response.json()["errors"]
    assert ticket.messages.count() == 1


def test_desk_api_accepts_exactly_20000_characters(agent_api, storefront):
    ticket = make_ticket(storefront)
    response = agent_api.post(f"{DESK}{ticket.reference}/notes/", {"body": "y" * MESSAGE_BODY_MAX}, format="json")
    assert response.status_code == 201, response.content
    assert len(ticket.messages.get(kind=MessageKind.INTERNAL).body) == MESSAGE_BODY_MAX


@pytest.mark.parametrize("kind", ["note", "reply"])
def test_desk_form_refuses_a_20001_character_note_with_the_error_beside_the_field_and_the_text_kept(
    agent_desk, storefront, kind
):
    # given a ticket open in the desk
    ticket = make_ticket(storefront)
    draft = "My long draft " + TOO_LONG
    # when the agent sends 20,001+ characters
    response = agent_desk.post(reverse("tickets:reply", args=[ticket.reference]), {"kind": kind, "body": draft})
    # then the page comes back with the error next to the reply box, and what they wrote still in it
    assert response.status_code == 400
    page = response.content.decode()
    body_box = page[page.index('id="reply-body"') :]
    body_box = body_box[: body_box.index("</div>")]
    assert 'class="field-error"' in body_box
    assert "20000" in body_box or "20,000" in body_box
    assert draft in body_box
    assert ticket.messages.count() == 1


def test_the_services_refuse_an_over_long_note_whoever_calls_them(storefront, agent):
    from aftersales.errors import InvalidInput

    ticket = make_ticket(storefront)
    with pytest.raises(InvalidInput) as refused:
        services.ticket_add_note(ticket=ticket, user=agent, body=TOO_LONG)
    assert set(refused.value.errors) == {"body"}
    with pytest.raises(InvalidInput):
        services.ticket_add_customer_message(ticket=ticket, body=TOO_LONG, storefront=storefront)
    assert ticket.messages.count() == 1


# Search by reference -----------------------------------------------------------------------------------------------


@pytest.fixture
def resolved_ticket(storefront, agent):
    ticket = make_ticket(storefront, subject="Resolved parcel question")
    services.ticket_reply(ticket=ticket, user=agent, body="Found it.", status=Status.RESOLVED)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    return ticket


@pytest.mark.parametrize("status_filter", ["", "open", "new", "any"])
def test_a_reference_in_the_queue_search_finds_its_ticket_whatever_the_status_filter(
    agent_desk, resolved_ticket, storefront, status_filter
):
    # given another open ticket, which the search must not show
    other = make_ticket(storefront, subject="Another open one")
    # when the agent searches all tickets for the resolved one's reference (typed in lower case)
    response = agent_desk.get(
        "/desk/", {"scope": "all", "q": resolved_ticket.reference.lower(), "status": status_filter}
    )
    # then the resolved ticket is the one result
    page = response.content.decode()
    assert resolved_ticket.reference in page
    assert other.reference not in page


def test_any_status_shows_resolved_and_closed_tickets_too(agent_desk, resolved_ticket, storefront):
    # given an open ticket and a resolved one
    open_ticket = make_ticket(storefront, subject="Still open")
    # when the queue is filtered on open tickets (the default), the resolved one is left out
    default = agent_desk.get("/desk/", {"scope": "all"}).content.decode()
    assert open_ticket.reference in default and resolved_ticket.reference not in default
    # and with "any status" both show
    page = agent_desk.get("/desk/", {"scope": "all", "status": "any"}).content.decode()
    assert open_ticket.reference in page and resolved_ticket.reference in page
    assert '<option value="any" selected>' in page


def test_the_desk_api_finds_a_resolved_ticket_by_reference(agent_api, resolved_ticket):
    response = agent_api.get(DESK, {"scope": "all", "q": resolved_ticket.reference})
    assert [row["reference"] for row in response.json()["results"]] == [resolved_ticket.reference]
