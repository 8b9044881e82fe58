"""Masked contact details in a real browser: a customer-less ticket and a customer's ticket side by side in the queue,
the ticket page masks the e-mail and phone, and a supervisor's reveal (an htmx action) shows them in place and puts
the reveal on the timeline; after a reload they are masked again."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import login
from tests.factories import STAFF_PASSWORD, CustomerFactory, make_ticket
from tickets import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


EMAIL = "zhao.xiaoming@example.com"
PHONE = "+8613800000003"


def test_supervisor_reveals_a_masked_customer_and_the_timeline_says_so(page: Page, live_server, storefront, supervisor):
    customer = CustomerFactory(storefront=storefront, name="Zhao Xiaoming", email=EMAIL, phone=PHONE)
    ticket = make_ticket(storefront, subject="Kettle leaks", customer=customer)
    guest = services.ticket_create(storefront=storefront, subject="Guest question", body="No account.")

    login(page, live_server, "supervisor", STAFF_PASSWORD)
    page.goto(f"{live_server.url}/desk/?scope=all")
    # the queue lists both: the customer by name, the guest's with a dash
    expect(page.get_by_role("row", name=ticket.reference)).to_contain_text("Zhao Xiaoming")
    expect(page.get_by_role("row", name=guest.reference)).to_contain_text("—")

    page.get_by_role("link", name=ticket.reference).click()
    card = page.locator("#customer-card")
    expect(card).to_contain_text("z***@example.com")
    expect(card).to_contain_text("+86****0003")
    expect(card).not_to_contain_text(EMAIL)

    # when the supervisor reveals the contact details
    card.get_by_role("button", name="Reveal contact details").click()

    # then they show in full in place, and the timeline records the reveal
    expect(page.locator("#customer-card")).to_contain_text(EMAIL)
    expect(page.locator("#customer-card")).to_contain_text(PHONE)
    expect(page.locator(".timeline")).to_contain_text("Contact details revealed")
    # and a reload shows them masked again
    page.goto(f"{live_server.url}/desk/tickets/{ticket.reference}/")
    expect(page.locator("#customer-card")).to_contain_text("z***@example.com")
    expect(page.locator("#customer-card")).not_to_contain_text(EMAIL)
