"""Agents' power tools in a real browser: keyboard, tags with autocomplete, a macro previewed then applied, bulk
actions from the queue's checkboxes."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import login
from tests.factories import STAFF_PASSWORD, make_ticket
from tickets import services
from tickets.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_keyboard_tags_macro_and_bulk_in_the_desk(page: Page, live_server, storefront, agent):
    # given three tickets of the agent's team, a tag in use, and the agent's macro
    tickets = [make_ticket(storefront, subject=f"Parcel {i}") for i in range(3)]
    services.ticket_tags_change(ticket=tickets[2], actor=services.Actor(user=agent), add=["Fragile"])
    services.macro_create(
        user=agent,
        name="Ask for photos",
        actions=[
            {"type": "reply", "value": "Please send a photo, {customer_name}."},
            {"type": "add_tags", "value": ["photos"]},
        ],
    )
    login(page, live_server, agent.username, STAFF_PASSWORD)
    page.goto(f"{live_server.url}/desk/?scope=all")

    # when the agent moves down the queue with j and opens the ticket with Enter
    page.keyboard.press("j")
    expect(page.locator("#queue-results tr.kbd-current")).to_have_count(1)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/desk/tickets/{tickets[0].reference}/")
    # then ? lists the shortcuts
    page.keyboard.press("?")
    expect(page.locator("#keyboard-help")).to_be_visible()
    page.keyboard.press("Escape")

    # when the agent starts typing a tag, the tags in use are suggested; then adds two
    field = page.get_by_label("Add tags (comma-separated)")
    field.fill("fr")
    expect(page.locator("#tag-suggestions option[value='Fragile']")).to_have_count(1)
    field.fill("Fragile, 加急")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#tags-card li.tag")).to_have_count(2)

    # when the macro is previewed (m goes to the picker), then applied
    page.keyboard.press("m")
    expect(page.locator("[data-macro-picker]")).to_be_focused()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".macro-preview")).to_contain_text("Please send a photo")
    page.get_by_role("button", name="Apply the macro").click()
    expect(page.locator("#tags-card li.tag")).to_have_count(3)

    # when, in the queue, all on the page are ticked and set pending
    page.goto(f"{live_server.url}/desk/?scope=all")
    page.get_by_label("Select all on this page").check()
    page.locator("#id_bulk_status").select_option("pending")
    page.get_by_role("button", name="Apply to the selected tickets").click()
    # then every ticket changed, and the queue says so
    expect(page.locator("#messages")).to_contain_text("3 tickets changed.")
    assert set(Ticket.objects.values_list("status", flat=True)) == {"pending"}
