"""The live ticket page in two browsers (issue 14, "Must show"): agent A has the ticket open with a draft; the
customer writes through the storefront API and agent B replies; A sees both within 2 seconds with the draft intact,
sees B present and replying, and A's send is held with the new messages shown until A confirms.

The pages are served by real daphne processes (tests/e2e/asgi_servers.py): websockets need an ASGI server.
"""

import json
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.asgi_servers import asgi_servers
from tests.e2e.conftest import TIMEOUT_MS, login
from tests.factories import STAFF_PASSWORD, make_staff, make_ticket
from tickets.models import MessageKind

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIVE_MS = 2_000  # what issue 14 promises: within 2 seconds


def customer_writes(server_url: str, storefront, ticket, body: str) -> None:
    request = urllib.request.Request(
        f"{server_url}/api/v1/tickets/{ticket.public_id}/messages/",
        method="POST",
        data=json.dumps({"body": body}).encode(),
        headers={"Authorization": f"Api-Key {storefront.plain_key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def open_page(browser, server, username: str, ticket) -> Page:
    context = browser.new_context(locale="en-US", timezone_id="UTC", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    login(page, server, username, STAFF_PASSWORD)
    page.goto(f"{server.url}/desk/tickets/{ticket.reference}/")
    return page


@pytest.fixture
def one_server(tmp_path: Path):
    with asgi_servers(1, tmp_path) as servers:
        yield servers[0]


def test_agent_a_sees_the_customer_and_agent_b_live_and_is_held_before_answering_blind(
    browser, one_server, storefront, agent, team
):
    # Given a ticket, agent A (Ann) with it open and a draft in the reply box
    colleague = make_staff("na-li", "agent", teams=(team,), first_name="Na", last_name="Li")
    ticket = make_ticket(storefront, subject="Where is my kettle?")
    a = open_page(browser, one_server, agent.username, ticket)
    box = a.locator("form.reply-form textarea[name=body]")
    draft = "Your kettle ships tomorrow morning."
    box.fill(draft)

    # When agent B (Na Li) opens the same ticket and starts a reply
    b = open_page(browser, one_server, colleague.username, ticket)
    # Then A sees B there, then replying
    presence = a.locator("#live-presence")
    expect(presence).to_contain_text("Na Li", timeout=LIVE_MS)
    b.locator("form.reply-form textarea[name=body]").fill("Cancelled for you.")
    expect(presence).to_contain_text("Na Li is replying", timeout=LIVE_MS)

    # When the customer writes through the storefront API
    customer_writes(one_server.url, storefront, ticket, "Please cancel the order")
    # Then A's timeline shows it within 2 s, the draft untouched
    timeline = a.locator("#timeline")
    expect(timeline).to_contain_text("Please cancel the order", timeout=LIVE_MS)
    expect(box).to_have_value(draft)

    # When B sends the reply (B's page too was opened before the customer wrote: held, and B confirms)
    b.get_by_role("button", name="Send reply").click()
    expect(b.locator("#collision")).to_contain_text("Please cancel the order")
    b.get_by_role("button", name="Send anyway").click()
    expect(b.locator("#timeline")).to_contain_text("Cancelled for you.")
    # Then A sees it within 2 s, the draft still untouched
    expect(timeline).to_contain_text("Cancelled for you.", timeout=LIVE_MS)
    expect(a.locator("form.reply-form textarea[name=body]")).to_have_value(draft)

    # When A sends the draft, written before either message
    a.get_by_role("button", name="Send reply").click()
    # Then it is held: the two new messages above the kept draft, and nothing sent
    held = a.locator("#collision")
    expect(held).to_be_visible()
    expect(held).to_contain_text("Please cancel the order")
    expect(held).to_contain_text("Cancelled for you.")
    expect(a.locator("form.reply-form textarea[name=body]")).to_have_value(draft)
    assert not ticket.messages.filter(kind=MessageKind.PUBLIC, author=agent).exists()

    # When A confirms
    a.get_by_role("button", name="Send anyway").click()
    # Then the reply goes out
    expect(a.locator("#collision")).to_have_count(0)
    expect(a.locator("#timeline")).to_contain_text(draft)
    assert ticket.messages.get(kind=MessageKind.PUBLIC, author=agent).body == draft
    a.context.close()
    b.context.close()


def test_an_event_written_through_one_web_process_reaches_a_page_on_another(
    browser, tmp_path: Path, storefront, agent, team
):
    # Given two daphne processes behind the tests' Redis, and A's page served by the second
    colleague = make_staff("na-li", "agent", teams=(team,), first_name="Na", last_name="Li")
    ticket = make_ticket(storefront, subject="Two processes")
    with asgi_servers(2, tmp_path) as (first, second):
        a = open_page(browser, second, agent.username, ticket)
        # When B opens the ticket on the first process, and the customer writes through the first process's API
        b = open_page(browser, first, colleague.username, ticket)
        expect(a.locator("#live-presence")).to_contain_text("Na Li", timeout=LIVE_MS)
        customer_writes(first.url, storefront, ticket, "Written through the first process")
        # Then A's page, connected to the second, shows it within 2 s
        expect(a.locator("#timeline")).to_contain_text("Written through the first process", timeout=LIVE_MS)
        a.context.close()
        b.context.close()
