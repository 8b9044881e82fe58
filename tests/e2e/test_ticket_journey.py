"""The whole loop of issue 2, end to end over real HTTP and in a real browser:

a storefront opens a ticket through the API, an agent finds it in the desk queue, answers it with an edited canned
response, the storefront reads the answer back through the API, and the storefront's webhook endpoint receives a
signed `ticket.replied` event.
"""

import json
import re
import urllib.error
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import login
from tests.factories import STAFF_PASSWORD, CannedResponseFactory
from tests.receiver import verify_signature

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = STAFF_PASSWORD  # what tests.factories.make_staff gives every staff user


def call_api(
    method: str, url: str, *, api_key: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """One HTTP request as a storefront's server would send it; answers (status, lower-case headers, JSON)."""
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Authorization": f"Api-Key {api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, raw_headers, raw = error.code, error.headers, error.read()
    return status, {name.lower(): value for name, value in raw_headers.items()}, json.loads(raw or b"null")


def test_storefront_ticket_answered_with_a_canned_response_in_the_desk(
    page: Page, live_server, storefront, agent, team, webhook_receiver
):
    # Given a storefront whose webhook endpoint is a local receiver, and the team's standard wordings
    storefront.webhook_url = webhook_receiver.url
    storefront.save(update_fields=["webhook_url"])
    CannedResponseFactory(
        title="Parcel delayed", body="Hello {customer_name}, your order {order_id} ({reference}) is on its way."
    )
    CannedResponseFactory(title="Refund issued", body="Hello {customer_name}, your refund has been issued.", team=team)

    # When the storefront's server opens a ticket over HTTP (a retry with the same Idempotency-Key is replayed)
    new_ticket = {
        "subject": "Parcel not arrived",
        "body": "I ordered ten days ago and nothing came.",
        "category": "logistics",
        "customer": {"external_id": "C-77", "name": "Li Wei", "email": "li.wei@example.com"},
        "order_external_id": "SO-5501",
    }
    api = f"{live_server.url}/api/v1/tickets/"
    key_header = {"Idempotency-Key": "order-SO-5501-ticket"}
    status, _headers, created = call_api("POST", api, api_key=storefront.plain_key, body=new_ticket, headers=key_header)
    assert status == 201, created
    status, headers, replayed = call_api("POST", api, api_key=storefront.plain_key, body=new_ticket, headers=key_header)
    assert status == 201
    assert headers.get("idempotent-replayed") == "true"
    assert replayed == created
    reference, ticket_id = created["reference"], created["id"]
    assert created["messages"][0]["body"] == "I ordered ten days ago and nothing came."

    # And an agent signs in and searches the team's queue for the reference
    login(page, live_server, agent.username, PASSWORD)
    page.get_by_role("link", name="Team", exact=True).click()
    page.get_by_label("Search").fill(reference)
    page.get_by_role("button", name="Apply", exact=True).click()
    results = page.locator("#queue-results")
    expect(results).to_contain_text("1 ticket")
    expect(results.get_by_role("row")).to_have_count(2)  # the header and our ticket
    expect(results).to_contain_text("Parcel not arrived")
    expect(results).to_contain_text("Li Wei")

    # And opens it: the customer's words are on the ticket page
    results.get_by_role("link", name=reference).click()
    page.wait_for_url(re.compile(rf".*/desk/tickets/{reference}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.locator(".timeline")).to_contain_text("I ordered ten days ago and nothing came.")

    # And picks a canned response: it lands in the reply box with the placeholders filled in, ready to edit
    page.get_by_label("Canned response").select_option(label="Parcel delayed")
    page.get_by_role("button", name="Insert").click()
    reply_box = page.get_by_role("textbox", name=re.compile(r"^Message"))
    canned_text = f"Hello Li Wei, your order SO-5501 ({reference}) is on its way."
    expect(reply_box).to_have_value(canned_text)
    reply_box.press("End")
    reply_box.press_sequentially(" Tracking: SF1234567.")
    reply_text = canned_text + " Tracking: SF1234567."
    expect(reply_box).to_have_value(reply_text)

    # And sends it as a public reply
    expect(page.get_by_role("radio", name="Public reply")).to_be_checked()
    page.get_by_role("button", name="Send reply").click()

    # Then the desk confirms it and shows the reply in the timeline
    expect(page.get_by_role("status")).to_contain_text("Reply sent to the customer.")
    expect(page.locator(".timeline .kind-public").filter(has_text=reply_text)).to_have_count(1)

    # And the storefront reads the reply through the API
    status, _headers, ticket = call_api("GET", f"{api}{ticket_id}/", api_key=storefront.plain_key)
    assert status == 200, ticket
    replies = [
        message for message in ticket["messages"] if message["kind"] == "public" and message["body"] == reply_text
    ]
    assert len(replies) == 1, ticket["messages"]
    assert ticket["first_response_at"] is not None

    # And its webhook endpoint got a signed ticket.replied event carrying that reply
    received = webhook_receiver.wait_for(1, timeout=10)
    replied = [request for request in received if request.json["type"] == "ticket.replied"]
    assert replied, [request.json["type"] for request in received]
    event = next(request for request in replied if request.json["data"]["message"]["body"] == reply_text)
    assert verify_signature(storefront.webhook_secret, event, tolerance_seconds=300)
    assert not verify_signature("whsec_" + "A" * 32, event)  # a storefront checking with another secret rejects it
    assert event.json["data"]["ticket"]["reference"] == reference
    assert event.headers["webhook-id"] == event.json["id"]


def test_wrong_password_keeps_the_desk_closed(page: Page, live_server, agent):
    # Given an agent who mistypes the password
    page.goto(f"{live_server.url}/desk/")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill("not-the-password")

    # When they sign in
    page.get_by_role("button", name="Sign in").click()

    # Then they stay on the login page with an error, and the queue stays out of reach
    expect(page.get_by_role("alert")).to_be_visible()
    assert "/accounts/login/" in page.url
    expect(page.get_by_role("heading", name="Queue")).to_have_count(0)
