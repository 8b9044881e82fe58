"""Merge, link and split (workspace.md) through the desk API, with a return on the merged ticket."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from returns.models import ReturnRequest
from tests.factories import StorefrontFactory, make_ticket
from tests.receiver import verify_signature
from tests.returns.conftest import make_return
from tickets import services
from tickets.models import EventKind, Message, MessageKind, SlaClock, Status, Ticket, WebhookDelivery

pytestmark = pytest.mark.django_db

DESK = "/api/v1/desk/tickets/"


def test_a_merge_moves_messages_and_the_return_closes_the_source_and_tells_the_storefront(
    supervisor_api, storefront, storefront_client, webhook_receiver, django_capture_on_commit_callbacks
):
    # given a ticket, and a return (with its own ticket) of the same customer, of a storefront with a webhook
    target = make_ticket(storefront, subject="Kettle leaks", body="Water everywhere.")
    source = make_return(storefront).ticket
    storefront.webhook_url = webhook_receiver.url
    storefront.save()
    source_message = source.messages.get()
    # when a supervisor merges the return's ticket into the other one
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_api.post(
            f"{DESK}{target.reference}/merge/", {"sources": [source.reference]}, format="json"
        )
    # then the target's timeline shows the source's messages, marked as merged
    assert response.status_code == 200, response.content
    body = response.json()
    assert source_message.pk in [m["id"] for m in body["messages"]]
    moved = [e for e in body["timeline"] if e["message_id"] == source_message.pk]
    assert moved and moved[0]["data"]["merged_from"] == source.reference
    assert [e["data"] for e in body["timeline"] if e["kind"] == "merged"] == [
        {"source": source.reference, "messages": 1}
    ]
    # and the return moved to the target; the source is closed with merged_into, its clocks stopped
    assert ReturnRequest.objects.get().ticket_id == target.pk
    source.refresh_from_db()
    assert source.status == Status.CLOSED and source.merged_into_id == target.pk
    assert not SlaClock.objects.filter(ticket=source, stopped_at__isnull=True).exists()
    # and the storefront reads the source with merged_into
    read = storefront_client.get(f"/api/v1/tickets/{source.public_id}/").json()
    assert read["merged_into"] == {"id": str(target.public_id), "reference": target.reference}
    # and its next message posted to the source lands on the target
    posted = storefront_client.post(
        f"/api/v1/tickets/{source.public_id}/messages/", {"body": "Any news?"}, format="json"
    )
    assert posted.status_code == 201, posted.content
    assert posted.json()["reference"] == target.reference
    assert Message.objects.filter(body="Any news?", ticket=target).exists()
    # and ticket.merged was delivered, signed like the others
    merged = [r for r in webhook_receiver.wait_for(1) if r.json["type"] == "ticket.merged"]
    assert len(merged) == 1
    assert verify_signature(storefront.webhook_secret, merged[0], tolerance_seconds=300)
    assert merged[0].json["data"]["source"]["reference"] == source.reference
    assert merged[0].json["data"]["target"]["reference"] == target.reference


def _nothing_changed(*tickets: Ticket, events: dict[int, int]) -> None:
    for ticket in tickets:
        fresh = Ticket.objects.get(pk=ticket.pk)
        assert fresh.merged_into_id is None
        assert fresh.events.count() == events[ticket.pk]
    assert not WebhookDelivery.objects.filter(event_type="ticket.merged").exists()


def test_merging_across_storefronts_is_400_and_changes_nothing(supervisor_api, storefront):
    target = make_ticket(storefront)
    foreign = make_ticket(StorefrontFactory())
    events = {t.pk: t.events.count() for t in (target, foreign)}
    response = supervisor_api.post(f"{DESK}{target.reference}/merge/", {"sources": [foreign.reference]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "sources": [f"{foreign.reference} is another storefront's ticket: only tickets of one storefront merge."]
    }
    _nothing_changed(target, foreign, events=events)


def test_merging_into_a_closed_ticket_is_409_and_changes_nothing(supervisor_api, storefront, supervisor):
    target, source = make_ticket(storefront), make_ticket(storefront)
    services.ticket_change_status(ticket=target, status="resolved", user=supervisor)
    services.ticket_change_status(ticket=target, status="closed", user=supervisor)
    events = {t.pk: t.events.count() for t in (target, source)}
    response = supervisor_api.post(f"{DESK}{target.reference}/merge/", {"sources": [source.reference]}, format="json")
    assert response.status_code == 409
    assert response.json()["type"] == "illegal_state_change"
    _nothing_changed(target, source, events=events)
    assert Ticket.objects.get(pk=source.pk).status == Status.NEW


def test_two_tickets_with_a_return_each_are_refused_and_nothing_moves(supervisor_api, storefront):
    first = make_return(storefront, order_id="SO-1").ticket
    second = make_return(storefront, order_id="SO-2").ticket
    events = {t.pk: t.events.count() for t in (first, second)}
    messages = {t.pk: t.messages.count() for t in (first, second)}
    response = supervisor_api.post(f"{DESK}{first.reference}/merge/", {"sources": [second.reference]}, format="json")
    assert response.status_code == 409
    _nothing_changed(first, second, events=events)
    assert {t.pk: t.messages.count() for t in (first, second)} == messages


def test_an_agent_cannot_merge_a_ticket_they_may_not_see(agent_api, storefront, other_team):
    target, hidden = make_ticket(storefront), make_ticket(storefront)
    Ticket.objects.filter(pk=hidden.pk).update(team=other_team, assignee=None)
    response = agent_api.post(f"{DESK}{target.reference}/merge/", {"sources": [hidden.reference]}, format="json")
    assert response.status_code == 404
    assert Ticket.objects.get(pk=hidden.pk).merged_into_id is None


def test_a_link_shows_on_both_tickets(agent_api, storefront):
    first, second = make_ticket(storefront), make_ticket(storefront)
    response = agent_api.post(f"{DESK}{first.reference}/links/", {"reference": second.reference}, format="json")
    assert response.status_code == 200, response.content
    assert [link["reference"] for link in response.json()["links"]] == [second.reference]
    other = agent_api.get(f"{DESK}{second.reference}/").json()
    assert [link["reference"] for link in other["links"]] == [first.reference]
    assert [e["data"] for e in other["timeline"] if e["kind"] == "linked"] == [{"linked": first.reference}]


def test_a_split_moves_a_customer_message_into_a_new_linked_ticket_of_the_same_customer(agent_api, storefront, agent):
    # given a ticket where the customer wrote about two things
    ticket = make_ticket(storefront, subject="Orders", body="The kettle leaks.")
    second = services.ticket_add_customer_message(
        ticket=ticket, body="Also, my invoice is wrong.", storefront=storefront
    )
    # when the agent splits the second message off
    response = agent_api.post(f"{DESK}{ticket.reference}/split/", {"message_id": second.pk}, format="json")
    # then a new ticket of the same customer holds it, linked both ways, waiting for an answer
    assert response.status_code == 201, response.content
    new = Ticket.objects.get(reference=response.json()["reference"])
    assert new.customer_id == ticket.customer_id
    assert list(new.messages.values_list("body", flat=True)) == ["Also, my invoice is wrong."]
    assert list(ticket.messages.values_list("body", flat=True)) == ["The kettle leaks."]
    assert [link["reference"] for link in response.json()["links"]] == [ticket.reference]
    assert new.events.filter(kind=EventKind.SPLIT, data__from=ticket.reference).exists()
    assert SlaClock.objects.filter(ticket=new, metric="response", stopped_at__isnull=True).exists()
    # and time rules counting hours since the customer replied count on the new ticket from the split
    assert new.customer_replied_at is not None


def test_a_split_of_the_only_message_or_a_note_is_409(agent_api, storefront, agent):
    ticket = make_ticket(storefront)
    only = ticket.messages.get()
    note = services.ticket_add_note(ticket=ticket, user=agent, body="internal")
    for message_id in (only.pk, note.pk):
        response = agent_api.post(f"{DESK}{ticket.reference}/split/", {"message_id": message_id}, format="json")
        assert response.status_code == 409
    assert Ticket.objects.count() == 1
    assert ticket.messages.filter(kind=MessageKind.CUSTOMER).count() == 1


def test_the_desk_page_merges_and_links(supervisor_desk, storefront):
    target, source, other = make_ticket(storefront), make_ticket(storefront), make_ticket(storefront)
    supervisor_desk.post(f"/desk/tickets/{target.reference}/merge/", {"sources": f" {source.reference.lower()} "})
    supervisor_desk.post(f"/desk/tickets/{target.reference}/link/", {"reference": other.reference})
    page = supervisor_desk.get(f"/desk/tickets/{target.reference}/").content.decode()
    assert f"{source.reference} merged into this ticket" in page
    assert f'href="/desk/tickets/{other.reference}/"' in page
    source_page = supervisor_desk.get(f"/desk/tickets/{source.reference}/").content.decode()
    assert f'Merged into <a href="/desk/tickets/{target.reference}/">{target.reference}</a>' in source_page


def test_the_sources_of_a_merge_are_found_in_one_query_however_many_they_are(supervisor_api, storefront):
    # given a ticket and five others of the same storefront
    target = make_ticket(storefront)
    sources = [make_ticket(storefront) for _ in range(5)]
    # when a supervisor merges the five into it
    with CaptureQueriesContext(connection) as queries:
        response = supervisor_api.post(
            f"{DESK}{target.reference}/merge/", {"sources": [s.reference.lower() for s in sources]}, format="json"
        )
    # then all five are merged, and the tickets were looked up by reference once for the path and once for the body
    assert response.status_code == 200, response.content
    assert Ticket.objects.filter(merged_into=target).count() == 5
    lookups = [
        q["sql"] for q in queries.captured_queries if re.search(r'"tickets_ticket"\."reference" (=|IN)', q["sql"])
    ]
    assert len(lookups) <= 3, lookups


def test_the_desk_page_names_a_source_the_agent_may_not_see_and_merges_nothing(agent_desk, storefront, other_team):
    target, hidden = make_ticket(storefront), make_ticket(storefront)
    Ticket.objects.filter(pk=hidden.pk).update(team=other_team, assignee=None)
    page = agent_desk.post(
        f"/desk/tickets/{target.reference}/merge/", {"sources": f"{hidden.reference.lower()}"}, follow=True
    ).content.decode()
    assert f"No such ticket, or you may not see it: {hidden.reference}" in page
    assert Ticket.objects.get(pk=hidden.pk).merged_into_id is None
