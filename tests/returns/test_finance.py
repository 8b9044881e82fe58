"""Finance's desk: it lands on its refunds, sees what each refund is for, opens the return's page, confirms before
money moves, and cannot record a refund as paid without the payment's transaction id."""

from datetime import datetime

import pytest
from django.contrib.messages import get_messages
from django.utils.html import escape

from returns import services
from returns.models import Refund, RefundStatus, ReturnStatus
from tests.returns.conftest import make_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_desk(client, finance_user):
    client.force_login(finance_user)
    return client


@pytest.fixture
def finance_api(finance_user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {finance_user.token}")
    return api


def _refund_to_issue(storefront, agent, *, order_id: str = "SO-10001"):
    return_request = make_return(storefront, order_id=order_id)
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent)
    services.return_inspect(return_request=return_request, user=agent, passed=True)
    return return_request, Refund.objects.get(return_request=return_request)


def test_finance_lands_on_the_refunds_to_issue_and_settle(finance_desk):
    response = finance_desk.get("/desk/")
    assert response.status_code == 302 and response["Location"] == "/desk/refunds/"


def test_agents_still_land_on_their_queue(agent_desk):
    response = agent_desk.get("/desk/")
    assert response.status_code == 200
    assert "tickets/queue.html" in [template.name for template in response.templates]


def test_the_refunds_list_shows_customer_order_reason_amount_and_due_time(finance_desk, storefront, agent):
    return_request, refund = _refund_to_issue(storefront, agent)
    html = finance_desk.get("/desk/refunds/").content.decode()
    row = html.split(refund.reference)[1].split("</tr>")[0]
    assert "Li Lei" in row and "SO-10001" in row and "Quality issue" in row
    assert f"{refund.amount} CNY" in row and 'datetime="' in row
    assert f'href="/desk/returns/{return_request.reference}/"' in row


def test_the_refunds_list_in_the_api_carries_customer_order_and_reasons(finance_api, storefront, agent):
    # Given a refund to issue for Li Lei's return of order SO-10001 (a quality issue)
    return_request, refund = _refund_to_issue(storefront, agent)
    return_request.customer.email = "li.lei@example.com"
    return_request.customer.name = ""
    return_request.customer.save()
    # When finance lists its refunds through the API
    [row] = finance_api.get("/api/v1/desk/refunds/").json()["results"]
    # Then each row says what the page says: the customer (masked), the order, the reasons, the amount, the due time
    assert row["id"] == str(refund.public_id)
    assert row["customer"] == "l***@example.com"
    assert row["order_external_id"] == "SO-10001"
    assert row["reasons"] == ["quality_issue"]
    assert row["storefront"] == storefront.name
    assert (row["amount"], row["currency"]) == (f"{refund.amount}", "CNY")
    assert datetime.fromisoformat(row["due_at"]) == refund.due_at


def test_the_returns_page_opens_for_finance_with_the_refund_actions(finance_desk, storefront, agent):
    return_request, refund = _refund_to_issue(storefront, agent)
    # Finance cannot open the ticket, but the return's own page opens
    assert finance_desk.get(f"/desk/tickets/{return_request.ticket.reference}/").status_code == 404
    response = finance_desk.get(f"/desk/returns/{return_request.reference}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert return_request.reference in html and "Electric kettle" in html
    assert f"/desk/refunds/{refund.public_id}/issue/" in html
    # Issuing from it comes back to it
    back = finance_desk.post(
        f"/desk/refunds/{refund.public_id}/issue/", {"next": f"/desk/returns/{return_request.reference}/"}
    )
    assert back["Location"] == f"/desk/returns/{return_request.reference}/"
    assert Refund.objects.get().status == RefundStatus.PROCESSING


def test_an_unknown_return_is_404(finance_desk):
    assert finance_desk.get("/desk/returns/R-999999/").status_code == 404


def test_money_moves_and_failing_inspections_ask_for_confirmation(finance_desk, storefront, agent):
    from django.test import Client

    agent_desk = Client()
    agent_desk.force_login(agent)
    return_request, refund = _refund_to_issue(storefront, agent)
    refunds = finance_desk.get("/desk/refunds/").content.decode()
    assert 'data-confirm="Issue this refund?' in refunds
    received = make_return(storefront, order_id="SO-2")
    services.return_ship(return_request=received, storefront=storefront, carrier="SF", tracking_number="2")
    services.return_receive(return_request=received, user=agent)
    panel = agent_desk.get(f"/desk/tickets/{received.ticket.reference}/").content.decode()
    inspect_form = panel.split(f'action="/desk/returns/{received.reference}/inspect/"')[1].split(">")[0]
    assert 'data-confirm="Record a failed inspection?' in inspect_form
    assert 'data-confirm-if="inspect-passed=no"' in inspect_form


def test_succeeded_without_a_transaction_id_is_refused_on_the_page(finance_desk, storefront, agent, finance_user):
    _, refund = _refund_to_issue(storefront, agent)
    services.refund_issue(refund=refund, user=finance_user)
    response = finance_desk.post(
        f"/desk/refunds/{refund.public_id}/settle/",
        {"settle-status": "succeeded", "settle-transaction_id": "  ", "next": "/desk/refunds/"},
        follow=True,
    )
    [message] = get_messages(response.wsgi_request)
    assert message.level_tag == "error" and "transaction id" in str(message)
    assert f'<p class="message message-error">{escape(str(message))}</p>' in response.content.decode()
    assert Refund.objects.get().status == RefundStatus.PROCESSING


@pytest.mark.parametrize("body", [{"status": "succeeded"}, {"status": "succeeded", "transaction_id": ""}])
def test_succeeded_without_a_transaction_id_is_400_naming_the_field(
    body, finance_api, storefront_client, storefront, agent, finance_user
):
    return_request, refund = _refund_to_issue(storefront, agent)
    services.refund_issue(refund=refund, user=finance_user)
    for response in (
        finance_api.post(f"/api/v1/desk/refunds/{refund.public_id}/mark/", body, format="json"),
        storefront_client.post(f"/api/v1/refunds/{refund.public_id}/confirm/", body, format="json"),
    ):
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["transaction_id"], response.json()
    assert Refund.objects.get().status == RefundStatus.PROCESSING
    done = finance_api.post(
        f"/api/v1/desk/refunds/{refund.public_id}/mark/",
        {"status": "succeeded", "transaction_id": "PAY-1"},
        format="json",
    )
    assert done.status_code == 200 and done.json()["status"] == "succeeded"
    return_request.refresh_from_db()
    assert return_request.status == ReturnStatus.COMPLETED
