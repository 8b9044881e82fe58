"""A storefront's creates in a pinned number of queries, BEGIN and COMMIT included: the hot paths of the API
(bench/README.md compares them with the peer).

The set-up is the production one: committed rows, a default team with an available agent (routing and
auto-assignment run), the seeded SLA policy (clocks are started), and a storefront with a webhook URL (the outbox row
is written). A first create warms up what a running server has already (the customer row, content types).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from returns.models import ReturnRequest, ReturnStatus
from tests.returns.test_api import create, recent_body
from tickets.models import EventKind, Status, TicketEvent, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _production_settings(seeded_sla_policy):
    pass


# A first return of a new order, auto-approved, for a customer already known. The settings it reads (its API key,
# the return policy, the routing rules and agents, the SLA policy) come from Django's cache, in one round trip with
# the key (tickets.settings_cache). Then: BEGIN; the order looked up 1 and written with its lines in a savepoint 4;
# the customer 1; the least-loaded agent's count 1; the ticket, written once in the state the approval leaves it
# (acknowledged, pending), its clocks, its note 3; the return, its items 2; the ticket's and the return's events 1;
# the webhook row 1; COMMIT. The answer comes from the rows written.
FIRST_RETURN = 16
# With an Idempotency-Key: the key claimed in its own transaction (BEGIN, INSERT, COMMIT), then the view and its
# answer in one transaction (the service's BEGIN and COMMIT become a savepoint: 2 more), the view in a savepoint of
# its own (2) and the answer stored (1): 8 more.
FIRST_RETURN_WITH_KEY = FIRST_RETURN + 8
# A retry of it: the claim failing in its transaction (BEGIN, INSERT, ROLLBACK), the record read: replayed.
REPLAY = 4
# A second return of the same order: the order found and locked, its lines, the claims of earlier returns (3) instead
# of the order's lookup, savepoint and INSERTs (5).
SECOND_RETURN = FIRST_RETURN - 2
# A storefront's ticket (an inquiry with its customer): BEGIN; the customer 1; the least-loaded agent's count 1; the
# ticket, its clocks, its message, its events 4; COMMIT. The answer comes from the rows written.
TICKET = 8


@pytest.fixture
def shop(storefront, agent, dead_broker):
    # Never called: the delivery task is not run in these tests (its hand-over to the broker fails at once and the
    # outbox row waits for the dispatcher), so only the create's own statements are counted.
    storefront.webhook_url = "http://127.0.0.1:9/hooks"
    storefront.save()
    return storefront


@pytest.fixture
def warm(shop, storefront_client):
    assert create(storefront_client, recent_body(order__external_id="warm-up")).status_code == 201


def _queries(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return response, [query["sql"] for query in queries.captured_queries]


def _shown(queries: list[str]) -> str:
    return "\n".join(sql[:160] for sql in queries)


def test_a_first_return_is_created_in_a_pinned_number_of_queries(warm, storefront_client, agent):
    response, queries = _queries(lambda: create(storefront_client, recent_body(order__external_id="SO-1")))

    assert response.status_code == 201, response.json()
    assert len(queries) == FIRST_RETURN, _shown(queries)
    # ...and it did all its work: approved, the ticket assigned and pending, the outbox row written.
    return_request = ReturnRequest.objects.select_related("ticket").get(reference=response.json()["reference"])
    assert return_request.status == ReturnStatus.APPROVED
    assert return_request.ticket.assignee == agent
    assert return_request.ticket.status == Status.PENDING
    assert return_request.ticket.clocks.count() == 2  # acknowledgement (stopped) and resolution (paused)
    assert WebhookDelivery.objects.filter(event_type="return.approved").count() == 2


def test_with_an_idempotency_key_and_on_its_replay(warm, storefront_client):
    body = recent_body(order__external_id="SO-2")

    first, queries = _queries(lambda: create(storefront_client, body, **{"Idempotency-Key": "k-1"}))
    assert first.status_code == 201
    assert len(queries) == FIRST_RETURN_WITH_KEY, _shown(queries)

    again, queries = _queries(lambda: create(storefront_client, body, **{"Idempotency-Key": "k-1"}))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(queries) == REPLAY, _shown(queries)


def test_a_second_return_of_the_same_order(warm, storefront_client):
    assert create(storefront_client, recent_body(order__external_id="SO-3")).status_code == 201

    response, queries = _queries(lambda: create(storefront_client, recent_body(order__external_id="SO-3")))

    assert response.status_code == 201, response.json()
    assert len(queries) == SECOND_RETURN, _shown(queries)


def test_a_storefront_ticket_is_created_in_a_pinned_number_of_queries(warm, storefront_client, agent):
    body = {
        "subject": "Where is my parcel?",
        "body": "Ordered on Monday.",
        "category": "logistics",
        "customer": {"external_id": "C-1", "name": "Li Lei"},
    }
    assert storefront_client.post("/api/v1/tickets/", body, format="json").status_code == 201

    response, queries = _queries(lambda: storefront_client.post("/api/v1/tickets/", body, format="json"))

    assert response.status_code == 201, response.json()
    assert len(queries) == TICKET, _shown(queries)
    assert response.json()["customer"]["name"] == "Li Lei"


def test_the_return_description_is_an_internal_note_on_the_ticket(storefront_client):
    # The form's description is kept as an internal note (it starts no response clock): its event says so.
    response = create(storefront_client)

    events = TicketEvent.objects.filter(ticket__reference=response.json()["ticket"]["reference"])
    note = events.get(message__isnull=False)
    assert note.kind == EventKind.NOTE
    assert note.message.body == "The kettle leaks from the base."
    assert not events.filter(kind=EventKind.CUSTOMER_MESSAGE).exists()
