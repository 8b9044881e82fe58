"""`POST /api/v1/returns/` in a pinned number of round trips to the database and of SQL statements (issue 4's speed
target rests on them; see the return-create bench in bench/README.md). Every statement counts: BEGIN, COMMIT and
savepoints included; a batch of INSERTs sent together (aftersales.db.InsertBatch) is one round trip of several.

The set-up is the production one: a default team with an available agent (routing and auto-assignment run), the
seeded SLA policy (clocks are planned), and a storefront with a webhook URL (the outbox row is written). A first
create warms up what a running server has already (the customer row, content types).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from returns.models import ReturnRequest, ReturnStatus
from tests.returns.test_api import create, recent_body
from tickets.models import EventKind, Status, TicketEvent, WebhookDelivery

# Committed, as in production: the storefront, its key, the team and the policies are then read from the process's
# settings cache (tickets.settings_cache), which a transaction that wrote them itself never uses.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _production_settings(settings_version_row, seeded_sla_policy):
    pass


# A first return of a new order, auto-approved, for a customer already known: the settings version checked once for
# the whole call (the key, the return policy, the routing and the SLA policy then come from the process's cache),
# BEGIN, the order with its lines 1, customer 1, the least-loaded agent 1, the ids of the ticket, its message, the
# return and its webhook row 1, then everything written once in its final state (the ticket acknowledged and
# pending, the return approved) in one round trip of 7 INSERTs (ticket, return, items, the outbox row, clocks,
# message, events), COMMIT.
FIRST_RETURN = 8
BATCHED = 7 - 1  # statements beyond one per round trip
# The same with an Idempotency-Key: the key's record written unless it exists, in one round trip with the lock
# timeout of the wait for a request holding the same key (two statements), the timeout reset, the answer stored (3),
# and the view in its own savepoint (2); the service's transaction is a savepoint too (BEGIN/COMMIT become 2 + 2).
FIRST_RETURN_WITH_KEY = FIRST_RETURN + 7
# A retry of it: the settings version, the key's INSERT finding the record (BEGIN, the INSERT, ROLLBACK: first
# requests, by far the most, save the lookup before it), and the record read and its answer replayed; nothing else.
REPLAY = 5
# A second return of the same order: the order is locked and read with its lines, earlier claims counted.
SECOND_RETURN = FIRST_RETURN + 3


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


def _statements(client, body, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = create(client, body, **headers)
    return response, queries


def statements(queries) -> int:
    return sum(1 + query["sql"].count("; EXECUTE ") for query in queries.captured_queries)


def unprepared(queries) -> list[str]:
    """What PostgreSQL parsed and planned for this call alone: every statement but BEGIN and COMMIT should run
    prepared (aftersales.db.prepared, once per session)."""
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].split()[0] not in ("EXECUTE", "BEGIN", "COMMIT")
    ]


def test_a_first_return_is_created_in_a_pinned_number_of_statements(warm, storefront_client, agent):
    response, queries = _statements(storefront_client, recent_body(order__external_id="SO-1"))

    assert response.status_code == 201, response.json()
    assert len(queries) == FIRST_RETURN, "\n".join(query["sql"][:160] for query in queries.captured_queries)
    assert statements(queries) == FIRST_RETURN + BATCHED
    assert unprepared(queries) == []
    # ...and it did all its work: approved, the ticket assigned and pending, the outbox row written.
    return_request = ReturnRequest.objects.select_related("ticket").get(reference=response.json()["reference"])
    assert return_request.status == ReturnStatus.APPROVED
    assert return_request.ticket.assignee == agent
    assert return_request.ticket.status == Status.PENDING
    assert return_request.ticket.clocks.count() == 2  # acknowledgement (stopped) and resolution (paused)
    assert WebhookDelivery.objects.filter(event_type="return.approved").count() == 2


def test_with_an_idempotency_key_and_on_its_replay(warm, storefront_client):
    # a running server has prepared the key's statement already
    assert (
        create(storefront_client, recent_body(order__external_id="SO-0"), **{"Idempotency-Key": "k-0"}).status_code
        == 201
    )
    body = recent_body(order__external_id="SO-2")

    first, queries = _statements(storefront_client, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert len(queries) == FIRST_RETURN_WITH_KEY, "\n".join(query["sql"][:160] for query in queries.captured_queries)
    assert statements(queries) == FIRST_RETURN_WITH_KEY + BATCHED + 1  # the lock timeout with the key's INSERT

    again, queries = _statements(storefront_client, body, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(queries) == REPLAY, "\n".join(query["sql"][:160] for query in queries.captured_queries)


def test_a_second_return_of_the_same_order(warm, storefront_client):
    assert create(storefront_client, recent_body(order__external_id="SO-3")).status_code == 201

    response, queries = _statements(storefront_client, recent_body(order__external_id="SO-3"))

    assert response.status_code == 201, response.json()
    assert len(queries) == SECOND_RETURN, "\n".join(query["sql"][:160] for query in queries.captured_queries)
    assert statements(queries) == SECOND_RETURN + BATCHED


def test_the_return_description_is_an_internal_note_on_the_ticket(storefront_client):
    # The form's description is kept as an internal note (it starts no response clock): its event says so.
    response = create(storefront_client)

    events = TicketEvent.objects.filter(ticket__reference=response.json()["ticket"]["reference"])
    note = events.get(message__isnull=False)
    assert note.kind == EventKind.NOTE
    assert note.message.body == "The kettle leaks from the base."
    assert not events.filter(kind=EventKind.CUSTOMER_MESSAGE).exists()
