"""The desk's search finds a ticket by its return's or its complaint's reference (R-, C-), whatever its status."""

import pytest

from complaints import services as complaint_services
from tests.factories import CustomerFactory, make_ticket
from tests.returns.conftest import make_return

pytestmark = pytest.mark.django_db

DESK_API = "/api/v1/desk/tickets/"


@pytest.fixture
def complaint(storefront):
    return complaint_services.complaint_create(
        storefront=storefront,
        category="service",
        body="The courier was rude.",
        severity="minor",
        customer=CustomerFactory(storefront=storefront),
        order_external_id="SO-7",
    )


def test_a_returns_reference_in_the_queue_search_finds_its_ticket(agent_desk, storefront):
    # given a return (its ticket is pending, waiting for the parcel) and another open ticket
    return_request = make_return(storefront)
    other = make_ticket(storefront, subject="Another open one")
    # when an agent searches the queue for the return's reference, typed in lower case
    page = agent_desk.get("/desk/", {"scope": "all", "q": return_request.reference.lower()}).content.decode()
    # then the return's ticket is the one shown
    assert return_request.ticket.reference in page
    assert other.reference not in page


def test_a_complaints_reference_finds_its_ticket_in_the_desk_api(agent_api, storefront, complaint):
    make_ticket(storefront, subject="Another open one")
    response = agent_api.get(DESK_API, {"scope": "all", "q": complaint.reference})
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [complaint.ticket.reference]


def test_a_reference_nobody_has_finds_nothing_and_a_look_alike_of_no_app_is_searched_as_text(agent_api, storefront):
    ticket = make_ticket(storefront, subject="Parcel X-12 arrived broken")
    # an R- reference of no return names no ticket
    assert agent_api.get(DESK_API, {"scope": "all", "q": "R-999999"}).json()["results"] == []
    # a term shaped like a reference with a prefix no app registers is searched in the text
    rows = agent_api.get(DESK_API, {"scope": "all", "q": "X-12"}).json()["results"]
    assert [row["reference"] for row in rows] == [ticket.reference]
