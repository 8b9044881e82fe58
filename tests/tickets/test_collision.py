"""Never answer blind: an action sent with `seen_event_id` is held (409 `ticket_changed`) when the customer or a
colleague wrote to the customer since, and goes through with `confirm`."""

import pytest
from django.urls import reverse

from tests.factories import make_staff, make_ticket
from tickets import services
from tickets.models import EventKind, MessageKind, Status, TicketEvent
from tickets.services.collision import TicketChanged

pytestmark = pytest.mark.django_db

DESK = "/api/v1/desk/tickets/"


@pytest.fixture
def colleague(team):
    return make_staff("na-li", "agent", teams=(team,), first_name="Na", last_name="Li")


def _seen(agent_api, ticket) -> int:
    body = agent_api.get(f"{DESK}{ticket.reference}/").json()
    assert body["last_event_id"] == ticket.events.order_by("-pk").first().pk
    return body["last_event_id"]


def test_the_desk_ticket_carries_the_newest_event_id(agent_api, storefront, agent):
    ticket = make_ticket(storefront)
    first = _seen(agent_api, ticket)
    services.ticket_add_note(ticket=ticket, user=agent, body="Checking stock")
    assert _seen(agent_api, ticket) > first


def test_a_reply_after_a_customer_message_is_held_then_sent_with_confirm(agent_api, storefront, colleague):
    # given an agent who read the ticket
    ticket = make_ticket(storefront)
    seen = _seen(agent_api, ticket)
    # and then the customer wrote, and a colleague replied
    services.ticket_add_customer_message(ticket=ticket, body="Please cancel the order", storefront=storefront)
    services.ticket_reply(ticket=ticket, user=colleague, body="Cancelled for you.")
    replies_before = ticket.messages.filter(kind=MessageKind.PUBLIC).count()
    events_before = ticket.events.count()
    # when the agent replies on what they saw
    url = f"{DESK}{ticket.reference}/reply/"
    held = agent_api.post(url, {"body": "We will ship it tomorrow.", "seen_event_id": seen}, format="json")
    # then the reply is held: 409 ticket_changed with the two new messages, nothing written
    assert held.status_code == 409, held.content
    body = held.json()
    assert body["type"] == "ticket_changed" and body["detail"]
    assert [(event["kind"], event["message"]["body"]) for event in body["new_events"]] == [
        (EventKind.CUSTOMER_MESSAGE, "Please cancel the order"),
        (EventKind.REPLIED, "Cancelled for you."),
    ]
    assert body["new_events"][1]["actor_name"] == "Na Li"
    assert ticket.messages.filter(kind=MessageKind.PUBLIC).count() == replies_before
    assert ticket.events.count() == events_before
    # when they confirm
    sent = agent_api.post(
        url, {"body": "We will ship it tomorrow.", "seen_event_id": seen, "confirm": True}, format="json"
    )
    # then it goes through
    assert sent.status_code == 201, sent.content
    assert sent.json()["messages"][-1]["body"] == "We will ship it tomorrow."


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("notes/", {"body": "Internal"}),
        ("status/", {"status": Status.PENDING}),
        ("assign/", {"assignee": None}),
    ],
)
def test_notes_status_and_assignment_are_held_too(agent_api, storefront, action, data, agent):
    ticket = make_ticket(storefront)
    services.ticket_acknowledge(ticket=ticket, user=agent, send_message=False)
    seen = _seen(agent_api, ticket)
    services.ticket_add_customer_message(ticket=ticket, body="Hello?", storefront=storefront)
    before = list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True))
    held = agent_api.post(f"{DESK}{ticket.reference}/{action}", {**data, "seen_event_id": seen}, format="json")
    assert held.status_code == 409, held.content
    assert held.json()["type"] == "ticket_changed"
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True)) == before
    confirmed = agent_api.post(
        f"{DESK}{ticket.reference}/{action}", {**data, "seen_event_id": seen, "confirm": True}, format="json"
    )
    assert confirmed.status_code in (200, 201), confirmed.content


def test_own_actions_notes_and_an_up_to_date_seen_id_do_not_hold(agent_api, storefront, agent, colleague):
    # given a ticket where, since the agent read it, only they replied and a colleague wrote a note
    ticket = make_ticket(storefront)
    seen = _seen(agent_api, ticket)
    services.ticket_reply(ticket=ticket, user=agent, body="First answer")
    services.ticket_add_note(ticket=ticket, user=colleague, body="FYI")
    # then their next reply is not held
    url = f"{DESK}{ticket.reference}/reply/"
    assert agent_api.post(url, {"body": "Second", "seen_event_id": seen}, format="json").status_code == 201
    # and without seen_event_id (scripts) nothing is held at all
    services.ticket_add_customer_message(ticket=ticket, body="Thanks", storefront=storefront)
    assert agent_api.post(url, {"body": "Third"}, format="json").status_code == 201


@pytest.mark.parametrize("bad", ["12", -1, 1.5, True, None])
def test_a_malformed_seen_event_id_is_400_naming_the_field(agent_api, storefront, bad):
    ticket = make_ticket(storefront)
    response = agent_api.post(f"{DESK}{ticket.reference}/notes/", {"body": "x", "seen_event_id": bad}, format="json")
    assert response.status_code == 400, response.content
    assert "seen_event_id" in response.json()["errors"]


@pytest.mark.parametrize("confirm", ["true", "True"])  # as a form writes it, and as a generated Python client does
def test_the_multipart_reply_takes_the_guard_as_text(agent_api, storefront, confirm):
    ticket = make_ticket(storefront)
    seen = _seen(agent_api, ticket)
    services.ticket_add_customer_message(ticket=ticket, body="More", storefront=storefront)
    url = f"{DESK}{ticket.reference}/reply/"
    held = agent_api.post(url, {"body": "Hi", "seen_event_id": str(seen)}, format="multipart")
    assert held.status_code == 409, held.content
    sent = agent_api.post(url, {"body": "Hi", "seen_event_id": str(seen), "confirm": confirm}, format="multipart")
    assert sent.status_code == 201, sent.content


def test_the_check_is_one_service_others_can_call(storefront, agent):
    ticket = make_ticket(storefront)
    seen = ticket.events.order_by("-pk").first().pk
    services.ticket_add_customer_message(ticket=ticket, body="New", storefront=storefront)
    with pytest.raises(TicketChanged) as held:
        services.ticket_check_seen(ticket=ticket, user=agent, seen_event_id=seen)
    assert [event.message.body for event in held.value.events] == ["New"]
    services.ticket_check_seen(ticket=ticket, user=agent, seen_event_id=seen, confirm=True)


# The desk page ---------------------------------------------------------------------------------------------------


def test_the_reply_form_carries_the_seen_event_id(agent_desk, storefront):
    ticket = make_ticket(storefront)
    page = agent_desk.get(reverse("tickets:ticket", args=[ticket.reference])).content.decode()
    newest = ticket.events.order_by("-pk").first().pk
    assert f'name="seen_event_id" value="{newest}"' in page


def test_the_desk_form_holds_the_reply_shows_the_new_messages_above_the_kept_draft(agent_desk, storefront, colleague):
    # given the agent's page, read before the customer wrote
    ticket = make_ticket(storefront)
    seen = ticket.events.order_by("-pk").first().pk
    services.ticket_add_customer_message(ticket=ticket, body="Please cancel the order", storefront=storefront)
    # when they send their draft
    url = reverse("tickets:reply", args=[ticket.reference])
    draft = "Your parcel ships tomorrow."
    response = agent_desk.post(url, {"kind": "reply", "body": draft, "seen_event_id": seen})
    # then the page comes back with the customer's message above the draft, still in the box, and "Send anyway"
    assert response.status_code == 409
    page = response.content.decode()
    banner = page.index('id="collision"')
    assert page.index("Please cancel the order", banner) < page.index(draft, banner)
    assert 'name="confirm" value="1"' in page
    assert not ticket.messages.filter(kind=MessageKind.PUBLIC).exists()
    # when they press "Send anyway"
    sent = agent_desk.post(url, {"kind": "reply", "body": draft, "seen_event_id": seen, "confirm": "1"})
    # then it is sent
    assert sent.status_code == 302
    assert ticket.messages.get(kind=MessageKind.PUBLIC).body == draft


def test_the_desk_status_change_is_held_with_a_do_it_anyway_form(agent_desk, storefront, agent):
    ticket = make_ticket(storefront)
    services.ticket_acknowledge(ticket=ticket, user=agent, send_message=False)
    seen = ticket.events.order_by("-pk").first().pk
    services.ticket_add_customer_message(ticket=ticket, body="Still broken", storefront=storefront)
    url = reverse("tickets:status", args=[ticket.reference])
    response = agent_desk.post(url, {"status": Status.PENDING, "seen_event_id": seen})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Still broken" in page and f'action="{url}"' in page
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    agent_desk.post(url, {"status": Status.PENDING, "seen_event_id": seen, "confirm": "1"})
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_a_macro_is_held_too_and_its_preview_is_not(agent_api, agent_desk, storefront, agent):
    # given an agent's macro that replies and sets the ticket pending, and a ticket the customer wrote to again
    # after the agent opened it
    macro = services.macro_create(
        user=agent,
        name="Waiting",
        actions=[{"type": "reply", "value": "Please send a photo."}, {"type": "set_status", "value": "pending"}],
    )
    ticket = make_ticket(storefront)
    services.ticket_acknowledge(ticket=ticket, user=agent, send_message=False)
    seen = _seen(agent_api, ticket)
    services.ticket_add_customer_message(ticket=ticket, body="I found the receipt!", storefront=storefront)
    url = f"{DESK}{ticket.reference}/macros/{macro.pk}/apply/"
    before = list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True))
    # the preview still answers (it changes nothing)
    assert agent_api.post(url, {"dry_run": True, "seen_event_id": seen}, format="json").status_code == 200
    # when applied through the API with what the agent saw: held, nothing changed
    held = agent_api.post(url, {"seen_event_id": seen}, format="json")
    assert held.status_code == 409 and held.json()["type"] == "ticket_changed"
    assert held.json()["new_events"][-1]["message"]["body"] == "I found the receipt!"
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True)) == before
    # and on the desk page: the page again with the new message and a "do it anyway" form
    page_url = reverse("tickets:macro", args=[ticket.reference])
    response = agent_desk.post(page_url, {"macro": macro.pk, "seen_event_id": seen})
    assert response.status_code == 409
    assert "I found the receipt!" in response.content.decode() and f'action="{page_url}"' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and not ticket.messages.filter(kind=MessageKind.PUBLIC).exists()
    # when the agent confirms, the macro runs
    agent_desk.post(page_url, {"macro": macro.pk, "seen_event_id": seen, "confirm": "1"})
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.messages.get(kind=MessageKind.PUBLIC).body == "Please send a photo."
