"""The order and the customer's other tickets beside a ticket: on the desk page and in the desk API detail."""

from decimal import Decimal

import pytest

from returns import services as return_services
from returns.models import ReturnPolicy, ReturnRequest
from tests.factories import CustomerFactory, make_ticket
from tests.returns.conftest import make_return
from tickets.models import Customer, Kind

pytestmark = pytest.mark.django_db

DESK = "/api/v1/desk/tickets/"


def _inquiry_about_the_order(storefront) -> tuple:
    """A return on SO-10001 by customer C-9 (refunded in advance: a refund at approval) and an inquiry about the same
    order by the same customer."""
    ReturnPolicy.objects.get_or_create(storefront=storefront, defaults={"advance_refund": True})
    return_request = make_return(storefront, quantity=1, bought=2)
    customer = Customer.objects.get(storefront=storefront, external_id="C-9")
    customer.email, customer.phone = "Li.Lei@example.com", "+8613800000000"
    customer.save()
    inquiry = make_ticket(storefront, subject="Where is the rest?", customer=customer, order_external_id="SO-10001")
    return return_request, customer, inquiry


def _other_tickets_of_the_same_person(storefront, other_storefront) -> dict[str, str]:
    """Tickets of the same person under other customer rows: matched by e-mail (any case) and by phone; and tickets
    that are not theirs (another person; the same e-mail in another storefront)."""
    by_email = make_ticket(
        storefront,
        subject="By e-mail",
        customer=CustomerFactory(storefront=storefront, external_id="", email="li.lei@example.com", phone=""),
    )
    by_phone = make_ticket(
        storefront,
        subject="By phone",
        kind=Kind.COMPLAINT,
        customer=CustomerFactory(storefront=storefront, external_id="", email="", phone="+8613800000000"),
    )
    stranger = make_ticket(storefront, subject="A stranger", customer=CustomerFactory(storefront=storefront))
    elsewhere = make_ticket(
        other_storefront,
        subject="Elsewhere",
        customer=CustomerFactory(storefront=other_storefront, email="li.lei@example.com"),
    )
    return {
        "by_email": by_email.reference,
        "by_phone": by_phone.reference,
        "stranger": stranger.reference,
        "elsewhere": elsewhere.reference,
    }


def test_the_desk_api_detail_carries_the_order_with_its_lines_returns_and_refunds(supervisor_api, storefront):
    # Given a return on the order, refunded in advance and sent back, and an inquiry about the same order
    return_request, _, inquiry = _inquiry_about_the_order(storefront)
    return_services.return_ship(
        return_request=return_request, storefront=storefront, carrier="SF Express", tracking_number="SF123456"
    )
    # When the desk reads the inquiry
    body = supervisor_api.get(f"{DESK}{inquiry.reference}/").json()
    # Then the order is there: lines, amounts, delivery, the return and its refund with their states
    order = body["order"]
    assert order["external_id"] == "SO-10001"
    assert order["lines"] == [
        {"sku": "KET-01", "name": "Electric kettle", "quantity": 2, "unit_price": "199.00", "amount": "398.00"}
    ]
    assert order["total"] == "398.00" and order["currency"] == "CNY"
    assert order["delivered_at"].startswith("2026-11-03")
    [returned] = order["returns"]
    assert returned["reference"] == return_request.reference
    assert returned["ticket_reference"] == return_request.ticket.reference
    assert returned["status"] == "in_transit"
    assert (returned["carrier"], returned["tracking_number"]) == ("SF Express", "SF123456")
    assert [(r["amount"], r["status"]) for r in returned["refunds"]] == [("199.00", "pending")]


def test_a_ticket_without_a_known_order_says_null(supervisor_api, storefront):
    ticket = make_ticket(storefront, order_external_id="SO-UNKNOWN")
    assert supervisor_api.get(f"{DESK}{ticket.reference}/").json()["order"] is None


def test_the_customers_tickets_are_found_by_id_email_or_phone_within_the_storefront(
    supervisor_api, storefront, other_storefront
):
    # Given the person's tickets under three customer rows, a stranger's ticket and one in another storefront
    return_request, _, inquiry = _inquiry_about_the_order(storefront)
    refs = _other_tickets_of_the_same_person(storefront, other_storefront)
    # When the desk reads the inquiry
    theirs = supervisor_api.get(f"{DESK}{inquiry.reference}/").json()["customer_tickets"]
    # Then their other tickets are listed, newest first, with the counts over all of theirs
    listed = [row["reference"] for row in theirs["tickets"]]
    assert listed == [refs["by_phone"], refs["by_email"], return_request.ticket.reference]
    assert (theirs["total"], theirs["returns"], theirs["complaints"]) == (4, 1, 1)


def test_the_desk_api_detail_carries_the_customers_language(supervisor_api, storefront):
    # Given a customer of a storefront whose customers write Simplified Chinese, and a guest's ticket
    storefront.language = "zh-hans"
    storefront.save(update_fields=["language"])
    _, _, inquiry = _inquiry_about_the_order(storefront)
    guest = make_ticket(storefront, customer=None)
    # When the desk reads their tickets, then the customer's language is beside their tickets, as on the page
    assert supervisor_api.get(f"{DESK}{inquiry.reference}/").json()["customer_tickets"]["language"] == "zh-hans"
    assert supervisor_api.get(f"{DESK}{guest.reference}/").json()["customer_tickets"]["language"] == "zh-hans"


def test_the_ticket_page_shows_the_order_and_the_customers_tickets(supervisor_desk, storefront, other_storefront):
    return_request, _, inquiry = _inquiry_about_the_order(storefront)
    refs = _other_tickets_of_the_same_person(storefront, other_storefront)
    html = supervisor_desk.get(f"/desk/tickets/{inquiry.reference}/").content.decode()
    assert 'id="order-card"' in html
    assert "KET-01" in html and "398.00 CNY" in html
    assert return_request.reference in html
    assert refs["by_email"] in html and refs["by_phone"] in html
    assert refs["stranger"] not in html and refs["elsewhere"] not in html
    assert "4 tickets in this storefront" in html and "1 return" in html and "1 complaint" in html


def test_an_agent_sees_only_the_customers_tickets_they_may_see(agent_api, storefront, other_team):
    # Given the customer's other ticket handed to a team the agent is not in
    _, customer, inquiry = _inquiry_about_the_order(storefront)
    hidden = make_ticket(storefront, subject="Other team", customer=customer)
    hidden.team, hidden.assignee = other_team, None
    hidden.save(update_fields=["team", "assignee"])
    # When the agent reads the inquiry, then the hidden ticket is neither listed nor counted
    theirs = agent_api.get(f"{DESK}{inquiry.reference}/").json()["customer_tickets"]
    assert hidden.reference not in [row["reference"] for row in theirs["tickets"]]
    assert theirs["total"] == 2


def _big_order_inquiry(storefront, customer, n: int):
    """More of everything the sidebar lists: an order of n + 1 lines with n returns (each refunded in advance), and
    n more tickets of the customer under other customer rows."""
    for index in range(n):
        make_ticket(
            storefront,
            subject=f"More {index}",
            customer=CustomerFactory(storefront=storefront, external_id="", email=customer.email),
        )
    lines = [
        return_services.LineSnapshot(f"L{index}", f"SKU-{index}", f"Item {index}", 3, Decimal("10.00"))
        for index in range(1, 2 + n)
    ]
    for index in range(2, 2 + n):
        make_return(
            storefront,
            order_id="SO-BIG",
            lines=lines,
            items=[return_services.ItemRequest(f"L{index}", 1, "quality_issue", False, True)],
        )
    return make_ticket(storefront, subject="About the big order", customer=customer, order_external_id="SO-BIG")


@pytest.mark.parametrize(
    "client_name, path", [("supervisor_desk", "/desk/tickets/{}/"), ("supervisor_api", DESK + "{}/")]
)
def test_the_sidebar_costs_the_same_queries_however_much_it_shows(
    request, client_name, path, storefront, django_assert_max_num_queries
):
    client = request.getfixturevalue(client_name)
    _, customer, inquiry = _inquiry_about_the_order(storefront)
    with django_assert_max_num_queries(40) as few:
        assert client.get(path.format(inquiry.reference)).status_code == 200
    # When an order with more lines, returns and refunds, of a customer with more tickets, is read
    big = _big_order_inquiry(storefront, customer, 4)
    assert ReturnRequest.objects.filter(order__external_id="SO-BIG", refunds__isnull=False).count() == 4
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(path.format(big.reference))
    # Then it costs no more queries
    assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    assert "SKU-5" in response.content.decode()


def test_a_storefront_reads_neither_the_order_context_nor_other_tickets(storefront_client, storefront):
    _, _, inquiry = _inquiry_about_the_order(storefront)
    body = storefront_client.get(f"/api/v1/tickets/{inquiry.public_id}/").json()
    assert "customer_tickets" not in body and "order" not in body


def test_an_erased_or_blank_customer_matches_no_one_by_blank_values(supervisor_api, storefront):
    # Given two customers with no id, e-mail or phone at all
    blank = CustomerFactory(storefront=storefront, external_id="", email="", phone="")
    CustomerFactory(storefront=storefront, external_id="", email="", phone="")
    ticket = make_ticket(storefront, customer=blank)
    make_ticket(storefront, customer=Customer.objects.exclude(pk=blank.pk).filter(email="").first())
    # Then blank values do not make them one person
    assert supervisor_api.get(f"{DESK}{ticket.reference}/").json()["customer_tickets"]["tickets"] == []


def test_an_agent_sees_only_the_orders_returns_on_tickets_they_may_see(agent_api, storefront, other_team):
    # Given the order's return on a ticket handed to a team the agent is not in, and an inquiry the agent sees
    return_request, _, inquiry = _inquiry_about_the_order(storefront)
    hidden = return_request.ticket
    hidden.team, hidden.assignee = other_team, None
    hidden.save(update_fields=["team", "assignee"])
    # When the agent reads the inquiry
    order = agent_api.get(f"{DESK}{inquiry.reference}/").json()["order"]
    # Then the order's lines are there, its hidden return only counted: not its reference, state or refunds
    assert order["lines"][0]["sku"] == "KET-01"
    assert order["returns"] == [] and order["hidden_returns"] == 1
    assert return_request.reference not in str(order)
