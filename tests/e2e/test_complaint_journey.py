"""The complaint journey of issue 5, end to end over real HTTP and in a real browser:

a storefront files a complaint through the API; an agent of the mapped department (logistics) investigates and
proposes a solution in the desk; the customer's acceptance is recorded; the agent executes, follows up and archives
it with a root cause; the storefront reads the outcome back; and the supervisors' complaints report counts it.
"""

import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from complaints.models import Complaint, ComplaintStatus
from tests.e2e.conftest import login
from tests.factories import STAFF_PASSWORD, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

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


def test_complaint_from_storefront_to_archived_root_cause_and_report(
    page: Page, live_server, storefront, team, other_team, supervisor
):
    # Given an agent of the logistics team (the department logistics complaints map to)
    logistics_agent = make_staff("li.na", "agent", teams=(other_team,), first_name="Li", last_name="Na")

    # When the storefront files a logistics complaint over HTTP
    status, created = call_api(
        "POST",
        f"{live_server.url}/api/v1/complaints/",
        api_key=storefront.plain_key,
        body={
            "category": "logistics",
            "body": "The parcel arrived crushed and the courier was rude.",
            "severity": "moderate",
            "customer": {"external_id": "C-501", "name": "Zhang Wei", "email": "zhang.wei@example.com"},
            "order_external_id": "SO-9001",
        },
    )
    assert status == 201, created
    reference = created["reference"]
    assert created["status"] == "received"

    # Then the logistics agent finds it in the complaints list, filtered to their department
    login(page, live_server, logistics_agent.username, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Complaints").click()
    page.get_by_label("Department").select_option("logistics")
    page.get_by_role("button", name="Apply").click()
    row = page.locator(f'tr[data-complaint="{reference}"]')
    expect(row).to_contain_text("Logistics")
    expect(row).to_contain_text("Zhang Wei")
    row.get_by_role("link", name=reference).click()
    panel = page.locator(".panel-complaint")
    expect(panel.locator("[aria-current=step]")).to_have_text("Received")

    # When they start the investigation: the ticket is acknowledged and theirs
    panel.get_by_role("button", name="Start investigation").click()
    expect(page.locator(".messages")).to_contain_text("Investigation started")
    expect(panel.locator("[aria-current=step]")).to_have_text("Investigating")
    expect(page.locator(".ticket-head")).to_contain_text("Li Na")

    # And propose a solution with compensation
    propose = panel.locator('form[data-step="propose"]')
    propose.get_by_label("Findings (internal)").fill("Courier dropped the parcel; depot camera confirms.")
    propose.get_by_label("Proposed solution").fill("We resend the order today and refund the shipping fee.")
    propose.get_by_label("Compensation").fill("15.00")
    propose.get_by_role("button", name="Propose solution").click()
    expect(panel.locator("[aria-current=step]")).to_have_text("Solution proposed")
    # the proposal reached the customer as a reply on the ticket
    expect(page.locator(".timeline")).to_contain_text("We resend the order today and refund the shipping fee.")

    # Then the storefront sees the proposal, never the findings
    status, outcome = call_api(
        "GET", f"{live_server.url}/api/v1/complaints/{created['id']}/", api_key=storefront.plain_key
    )
    assert status == 200
    assert outcome["proposed_solution"] == "We resend the order today and refund the shipping fee."
    assert (outcome["compensation_amount"], outcome["currency"]) == ("15.00", "CNY")
    assert "depot camera" not in json.dumps(outcome)

    # When the customer's acceptance is recorded
    answer = panel.locator('form[data-step="response"]')
    answer.get_by_label("Customer's answer").select_option("accepted")
    answer.get_by_label("What the customer said").fill("OK, thank you.")
    answer.get_by_role("button", name="Record answer").click()
    expect(panel.locator("[aria-current=step]")).to_have_text("Accepted")

    # And the agent executes, follows up and archives with a root cause
    execute = panel.locator('form[data-step="execute"]')
    execute.get_by_label("What is being done").fill("Resent as SO-9001-R; shipping fee refunded.")
    execute.get_by_role("button", name="Start execution").click()
    expect(panel.locator("[aria-current=step]")).to_have_text("Executing")

    follow_up = panel.locator('form[data-step="follow-up"]')
    follow_up.get_by_label("Follow-up with the customer").fill("Called: new parcel arrived intact.")
    follow_up.get_by_label("Customer's satisfaction").select_option("5")
    follow_up.get_by_role("button", name="Record follow-up").click()
    expect(panel.locator("[aria-current=step]")).to_have_text("Follow-up")
    expect(page.locator(".ticket-head")).to_contain_text("Resolved")

    archive = panel.locator('form[data-step="archive"]')
    # archiving without a root cause is refused, saying what is missing
    archive.get_by_label("Lessons learned").fill("Pad fragile parcels.")
    archive.get_by_role("button", name="Archive complaint").click()
    expect(page.locator(".messages")).to_contain_text("A root cause is required to archive a complaint.")
    archive = panel.locator('form[data-step="archive"]')
    archive.get_by_label("Root cause", exact=True).select_option("carrier")
    archive.get_by_label("Root cause details").fill("Courier depot mishandles fragile goods.")
    archive.get_by_label("Lessons learned").fill("Pad fragile parcels and flag them for the courier.")
    archive.get_by_role("button", name="Archive complaint").click()
    expect(panel.locator("[aria-current=step]")).to_have_text("Archived")
    expect(panel).to_contain_text("Courier depot mishandles fragile goods.")

    complaint = Complaint.objects.get(reference=reference)
    assert complaint.status == ComplaintStatus.ARCHIVED and complaint.root_cause_code == "carrier"
    status, outcome = call_api(
        "GET", f"{live_server.url}/api/v1/complaints/{created['id']}/", api_key=storefront.plain_key
    )
    assert outcome["status"] == "archived" and outcome["customer_response"]["response"] == "accepted"

    # Then the supervisor's complaints report counts it by category, department and root cause
    page.context.clear_cookies()
    login(page, live_server, supervisor.username, PASSWORD)
    page.goto(f"{live_server.url}/reports/complaints/")
    expect(page.get_by_role("heading", name="Complaints report")).to_be_visible()
    for table, column in (("category", "logistics"), ("department", "logistics"), ("root_cause", "carrier")):
        section = page.locator(f"#report-{table}")
        headers = section.locator("thead th")
        names = [headers.nth(i).get_attribute("data-column") for i in range(headers.count())]
        index = names.index(column)
        expect(section.locator("tfoot td").nth(index - 1)).to_have_text("1")
    expect(page.locator("[data-report-total]")).to_have_attribute("data-report-total", "1")
    # and the table downloads as CSV
    with page.expect_download() as download_info:
        page.locator("#report-root_cause").get_by_role("link", name="Download CSV").click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert "Carrier" in content.splitlines()[0]
    assert re.search(r"^\d{4}-\d{2}-\d{2},", content.splitlines()[1])
