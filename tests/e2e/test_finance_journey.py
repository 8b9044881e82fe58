"""Finance's journey in the browser: it lands on the refunds to issue and settle, opens the return's page, is asked
before money moves, and cannot record a refund as paid without the transaction id. An agent is asked before a failed
inspection rejects a return."""

import re

import pytest
from playwright.sync_api import Page, expect

from returns import services
from returns.models import Refund, RefundStatus, ReturnStatus
from tests.e2e.conftest import login
from tests.factories import STAFF_PASSWORD
from tests.returns.conftest import make_return

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _refund_to_issue(storefront, agent):
    return_request = make_return(storefront)
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent)
    services.return_inspect(return_request=return_request, user=agent, passed=True)
    return return_request, Refund.objects.get(return_request=return_request)


def test_finance_lands_on_refunds_confirms_the_payout_and_needs_the_transaction_id(
    page: Page, live_server, storefront, agent, finance_user
):
    return_request, refund = _refund_to_issue(storefront, agent)

    # Finance signs in and lands on its refunds, each row saying who, which order, why, how much and by when
    login(page, live_server, finance_user.username, STAFF_PASSWORD)
    page.wait_for_url(re.compile(r".*/desk/refunds/$"))
    row = page.locator("tr", has_text=refund.reference)
    for shown in ("Li Lei", "SO-10001", "Quality issue", "199.00 CNY"):
        expect(row).to_contain_text(shown)

    # The return's page opens from the row (no 404), with the refund's actions
    row.get_by_role("link", name=return_request.reference).click()
    page.wait_for_url(re.compile(rf".*/desk/returns/{return_request.reference}/$"))
    panel = page.locator(".panel-return")
    expect(panel).to_contain_text("Electric kettle")

    # Issuing asks first: declined, nothing moves; accepted, the refund is issued
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    panel.get_by_role("button", name="Issue refund").click()
    page.wait_for_timeout(300)
    assert questions and "Issue this refund?" in questions[0]
    assert Refund.objects.get().status == RefundStatus.PENDING
    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Issue refund").click()
    expect(page.locator(".messages")).to_contain_text("Refund issued")
    assert Refund.objects.get().status == RefundStatus.PROCESSING

    # Recording success without the transaction id is refused; with it, the refund succeeds and the return completes
    panel.get_by_label("Result").select_option("succeeded")
    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Record result").click()
    expect(page.locator(".messages")).to_contain_text("transaction id")
    assert Refund.objects.get().status == RefundStatus.PROCESSING
    panel.get_by_label("Result").select_option("succeeded")
    panel.get_by_label("Transaction id").fill("PAY-4242")
    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Record result").click()
    expect(page.locator(".messages")).to_contain_text("Refund marked Succeeded")
    refund.refresh_from_db()
    return_request.refresh_from_db()
    assert (refund.status, refund.transaction_id) == (RefundStatus.SUCCEEDED, "PAY-4242")
    assert return_request.status == ReturnStatus.COMPLETED


def test_a_failed_inspection_asks_before_it_rejects_the_return(page: Page, live_server, storefront, agent):
    return_request = make_return(storefront)
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent)

    login(page, live_server, agent.username, STAFF_PASSWORD)
    page.goto(f"{live_server.url}/desk/tickets/{return_request.ticket.reference}/")
    panel = page.locator(".panel-return")
    panel.get_by_label("Inspection").select_option("no")
    panel.get_by_label("Notes").fill("Water damage inside.")
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    panel.get_by_role("button", name="Record inspection").click()
    page.wait_for_timeout(300)
    assert questions and "cannot be undone" in questions[0]
    return_request.refresh_from_db()
    assert return_request.status == ReturnStatus.RECEIVED
    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Record inspection").click()
    expect(page.locator(".messages")).to_contain_text("Inspection recorded")
    return_request.refresh_from_db()
    assert return_request.status == ReturnStatus.REJECTED
