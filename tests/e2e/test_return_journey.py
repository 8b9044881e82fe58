"""The return journey of issue 4, end to end over real HTTP and in a real browser:

a storefront posts a return that needs review; an agent approves it; the storefront posts the shipment; the agent
records receipt and a passed inspection; finance issues the refund; the storefront confirms it; the return completes,
its ticket is resolved, and the storefront received each webhook.
"""

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import login
from tests.factories import STAFF_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = STAFF_PASSWORD  # what tests.factories.make_staff gives every staff user


def call_api(method: str, url: str, *, api_key: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Api-Key {api_key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_a_return_from_the_storefront_through_the_desk_to_a_confirmed_refund(
    page: Page, browser: Browser, live_server, storefront, agent, finance_user, webhook_receiver
):
    storefront.webhook_url = webhook_receiver.url
    storefront.save()
    api = live_server.url + "/api/v1"
    now = timezone.now()

    # Given a storefront posting a return of a used item (the policy leaves it to an agent)
    status, created = call_api(
        "POST",
        f"{api}/returns/",
        api_key=storefront.plain_key,
        body={
            "order": {
                "external_id": "SO-20001",
                "placed_at": (now - timedelta(days=5)).isoformat(),
                "delivered_at": (now - timedelta(days=3)).isoformat(),
                "currency": "CNY",
                "lines": [
                    {
                        "external_id": "L1",
                        "sku": "KET-01",
                        "name": "Electric kettle",
                        "quantity": 1,
                        "unit_price": "199.00",
                    }
                ],
            },
            "customer": {"external_id": "C-9", "name": "Li Lei"},
            "items": [
                {"line": "L1", "quantity": 1, "reason": "changed_mind", "unused": False, "original_packaging": True}
            ],
            "resolution": "refund",
            "description": "Not what I hoped for.",
        },
    )
    assert status == 201, created
    assert (created["status"], created["decision"]["outcome"]) == ("requested", "needs_review")
    reference, return_id = created["reference"], created["id"]

    # When the agent finds it in the returns queue and approves it on its ticket page
    login(page, live_server, agent.username, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Returns").click()
    page.get_by_role("link", name=reference).click()
    panel = page.locator(".panel-return")
    expect(panel).to_contain_text("Electric kettle")
    expect(panel).to_contain_text("no_reason_item_used")
    panel.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Return approved")
    expect(panel.locator(".return-status")).to_have_text("Approved")

    # When the storefront posts the shipment
    status, shipped = call_api(
        "POST",
        f"{api}/returns/{return_id}/shipment/",
        api_key=storefront.plain_key,
        body={"carrier": "SF Express", "tracking_number": "SF1234567"},
    )
    assert status == 200 and shipped["status"] == "in_transit"

    # Then the agent records receipt and a passed inspection
    page.reload()
    expect(panel).to_contain_text("SF1234567")
    panel.get_by_role("button", name="Record receipt").click()
    expect(page.locator(".messages")).to_contain_text("Receipt recorded")
    panel.get_by_label("Inspection").select_option("yes")
    panel.get_by_label("Notes").fill("As described, works.")
    panel.get_by_role("button", name="Record inspection").click()
    expect(page.locator(".messages")).to_contain_text("Inspection recorded")
    expect(panel.locator(".refund")).to_contain_text("199.00 CNY")

    # When finance issues the refund from their queue
    finance_context = browser.new_context(locale="en-US", timezone_id="UTC")
    finance_page = finance_context.new_page()
    try:
        login(finance_page, live_server, finance_user.username, PASSWORD)
        finance_page.get_by_role("navigation", name="Main").get_by_role("link", name="Refunds").click()
        row = finance_page.locator("tr", has_text=reference)
        expect(row).to_contain_text("199.00 CNY")
        finance_page.once("dialog", lambda dialog: dialog.accept())  # money moves: the page asks first
        row.get_by_role("button", name="Issue refund").click()
        expect(finance_page.locator(".messages")).to_contain_text("Refund issued")
    finally:
        finance_context.close()

    # And the storefront, asked by webhook to pay it out, confirms it
    status, shown = call_api("GET", f"{api}/returns/{return_id}/", api_key=storefront.plain_key)
    refund_id = shown["refunds"][0]["id"]
    assert shown["refunds"][0]["status"] == "processing"
    status, confirmed = call_api(
        "POST",
        f"{api}/refunds/{refund_id}/confirm/",
        api_key=storefront.plain_key,
        body={"status": "succeeded", "transaction_id": "PAY-888"},
    )
    assert status == 200 and confirmed["status"] == "succeeded"

    # Then the return is completed, its ticket resolved, and every webhook arrived in order
    status, final = call_api("GET", f"{api}/returns/{return_id}/", api_key=storefront.plain_key)
    assert (final["status"], final["ticket"]["status"]) == ("completed", "resolved")
    page.reload()
    expect(panel.locator(".return-status")).to_have_text("Completed")
    webhook_receiver.wait_for(6)
    events = [r.json["type"] for r in webhook_receiver.requests if r.json["type"].split(".")[0] in ("return", "refund")]
    assert events == ["return.approved", "return.received", "refund.requested", "refund.succeeded", "return.completed"]
    assert "ticket.resolved" in [r.json["type"] for r in webhook_receiver.requests]
