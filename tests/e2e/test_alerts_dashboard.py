"""A supervisor watches /alerts/: a breach raised by the sweep appears without reloading the page; the supervisor
opens the ticket from the alert and acknowledges the alert there."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alerts import services
from alerts.models import Alert, AlertKind
from tests.e2e.conftest import login
from tests.factories import STAFF_PASSWORD, make_staff, make_ticket
from tickets.models import SlaPolicy

# serialized_rollback: the seeded rows (the Standard SLA policy) are there, and stay there for the tests after.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = STAFF_PASSWORD  # what tests.factories.make_staff gives every staff user


def test_supervisor_sees_a_breach_appear_opens_the_ticket_and_acknowledges_it(
    page: Page, live_server, settings, storefront, team
):
    # Under Playwright's event loop the serialized rows may not come back after an earlier transactional test's flush:
    # make sure the seeded policy is there.
    SlaPolicy.objects.get_or_create(
        name="Standard", defaults={"acknowledgement_minutes": 1440, "response_minutes": 120, "resolution_minutes": 1440}
    )
    settings.ALERTS_REFRESH_SECONDS = 1
    make_staff("agent", "agent", teams=(team,))
    make_staff("supervisor", "supervisor", teams=(team,), first_name="Sue", last_name="Visor")
    ticket = make_ticket(storefront, subject="Kettle leaks", now=timezone.now() - timedelta(hours=2, minutes=5))

    login(page, live_server, "supervisor", PASSWORD)
    page.get_by_role("link", name="Alerts").click()
    page.wait_for_url(re.compile(r".*/alerts/$"))
    expect(page.get_by_text("No open alerts.")).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    # The beat runs the sweep; the page refreshes itself.
    services.sla_sweep()

    row = page.locator("tr.alert-breach")
    expect(row).to_be_visible()
    expect(row).to_contain_text(ticket.reference)
    expect(row).to_contain_text("Response deadline missed")
    expect(page.locator('[data-count="breached"]')).to_have_text("1")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened

    row.get_by_role("link", name=ticket.reference).click()
    page.wait_for_url(re.compile(rf".*/desk/tickets/{ticket.reference}/$"))
    panel = page.locator(".sla-alerts-panel")
    expect(panel.locator("li.alert-breach")).to_contain_text("Response deadline missed")
    panel.locator("li.alert-breach").get_by_role("button", name="Acknowledge alert").click()

    expect(page.get_by_text("Alert acknowledged.")).to_be_visible()
    expect(panel.locator("li.alert-breach")).to_contain_text("Acknowledged by Sue Visor")
    breach = Alert.objects.get(kind=AlertKind.BREACH)
    assert breach.acknowledged_by.username == "supervisor" and breach.acknowledged_at is not None


def test_supervisor_acknowledges_several_rows_at_once_each_row_one_ticket_and_clock(
    page: Page, live_server, settings, storefront, team
):
    SlaPolicy.objects.get_or_create(
        name="Standard", defaults={"acknowledgement_minutes": 1440, "response_minutes": 120, "resolution_minutes": 1440}
    )
    settings.ALERTS_REFRESH_SECONDS = 1
    make_staff("agent", "agent", teams=(team,))
    make_staff("supervisor", "supervisor", teams=(team,), first_name="Sue", last_name="Visor")
    # Two tickets whose response clocks passed at risk, breached, level 2 and 3 (four alerts each), one at risk
    escalated = [
        make_ticket(storefront, subject=f"Escalated {n}", now=timezone.now() - timedelta(hours=7)) for n in (1, 2)
    ]
    calm = make_ticket(storefront, subject="Nearly due", now=timezone.now() - timedelta(hours=1, minutes=48))
    services.sla_sweep()
    assert Alert.objects.filter(ticket=escalated[0], metric="response").count() == 4

    login(page, live_server, "supervisor", PASSWORD)
    page.goto(f"{live_server.url}/alerts/")
    rows = page.locator("table.alert-list tbody tr")
    # One row per ticket and clock: one for each escalated ticket's response clock, one for the calm ticket
    expect(rows).to_have_count(Alert.objects.filter(resolved_at__isnull=True).values("clock").distinct().count())
    for ticket in escalated:
        expect(page.locator("tr", has_text=ticket.reference).filter(has_text="Level 3")).to_have_count(1)
    expect(rows.first).to_contain_text("Level 3")  # the most urgent first
    expect(page.locator("tr", has_text=calm.reference)).to_contain_text("At risk")

    # Select the two level-3 rows; the page's refresh leaves the selection alone
    for ticket in escalated:
        page.locator("tr", has_text=ticket.reference).filter(has_text="Level 3").get_by_role("checkbox").check()
    page.wait_for_timeout(2500)
    expect(page.locator("input[name=alert]:checked")).to_have_count(2)
    page.get_by_role("button", name="Acknowledge selected").click()

    expect(page.get_by_text("8 alerts acknowledged.")).to_be_visible()
    for ticket in escalated:
        expect(page.locator("tr", has_text=ticket.reference).filter(has_text="Level 3")).to_contain_text("Sue Visor")
        acknowledged = Alert.objects.filter(ticket=ticket, metric="response", acknowledged_by__username="supervisor")
        assert acknowledged.count() == 4
    assert not Alert.objects.filter(ticket=calm, acknowledged_at__isnull=False).exists()
