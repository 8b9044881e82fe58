"""The ticket API as storefronts and staff scripts use it: isolation, auth, validation, the queue, desk actions."""

import random
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import closed_port
from tests.factories import CannedResponseFactory, CustomerFactory, make_staff, make_ticket
from tickets import services
from tickets.models import ApiKey, EventKind, MessageKind, Status, Ticket
from tickets.throttling import ClientRateThrottle

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"
DESK = "/api/v1/desk/tickets/"

NEW_TICKET = {
    "subject": "Kettle leaks",
    "body": "The kettle leaks from the base.",
    "category": "product_quality",
    "channel": "web",
    "customer": {"external_id": "C-9", "name": "Li Lei", "email": "li.lei@example.com", "phone": "+8613800000000"},
    "order_external_id": "SO-10001",
}


def post(client: APIClient, url: str, data: object, **extra: str):
    return client.post(url, data, format="json", **extra)


def assert_error(response, status_code: int, type_: str, field: str | None = None) -> dict:
    assert response.status_code == status_code, response.content
    body = response.json()
    assert body["type"] == type_
    assert body["detail"]
    if field is not None:
        assert field in body["errors"], body
    return body


# --- Storefront: create and read ----------------------------------------------------------------------------------


def test_storefront_creates_a_ticket_and_reads_it_back(storefront_client, storefront, team, agent):
    # when the storefront posts an inquiry
    response = post(storefront_client, TICKETS, NEW_TICKET)
    # then it gets the new ticket with its reference, its customer and the opening message
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get()
    assert body["id"] == str(ticket.public_id)
    assert body["reference"] == ticket.reference
    assert body["status"] == "new"
    assert body["kind"] == "inquiry"
    assert body["category"] == "product_quality"
    assert body["channel"] == "web"
    assert body["customer"] == NEW_TICKET["customer"]
    assert body["order_external_id"] == "SO-10001"
    assert body["acknowledged_at"] is None
    assert [(m["kind"], m["body"], m["author_name"]) for m in body["messages"]] == [
        ("customer", NEW_TICKET["body"], "Li Lei")
    ]
    assert ticket.storefront == storefront
    # and reading it gives the same ticket
    again = storefront_client.get(f"{TICKETS}{body['id']}/")
    assert again.status_code == 200
    assert again.json() == body


def test_minimal_ticket_without_customer(storefront_client, team):
    response = post(storefront_client, TICKETS, {"subject": "Hello", "body": "A question"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"] is None
    assert body["category"] == "other"
    assert body["channel"] == "api"


def test_a_field_the_server_does_not_know_is_refused_naming_it_and_nothing_is_created(storefront_client, team):
    # a typo ("custmer") would otherwise lose the customer without a word
    body = {"subject": "Hello", "body": "A question", "custmer": {"name": "Li Lei"}, "customer": {"nmae": "Li"}}
    response = post(storefront_client, TICKETS, body)
    assert_error(response, 400, "validation_error", "custmer")
    assert response.json()["errors"] == {"custmer": ["Unknown field."], "customer.nmae": ["Unknown field."]}
    assert not Ticket.objects.exists()


def test_storefront_sees_replies_but_never_internal_notes(storefront_client, storefront, agent):
    ticket = make_ticket(storefront)
    services.ticket_add_note(ticket=ticket, user=agent, body="SECRET: customer is a known abuser")
    services.ticket_reply(ticket=ticket, user=agent, body="We are sending a new one.")
    body = storefront_client.get(f"{TICKETS}{ticket.public_id}/").json()
    kinds = [message["kind"] for message in body["messages"]]
    assert kinds == ["customer", "public"]
    assert "SECRET" not in str(body)
    assert body["messages"][1]["author_name"] == "Ann Agent"
    assert body["status"] == "open"
    assert body["first_response_at"] is not None


def test_customer_message_reopens_a_resolved_ticket(storefront_client, storefront, agent):
    ticket = make_ticket(storefront)
    services.ticket_reply(ticket=ticket, user=agent, body="Fixed.", status=Status.RESOLVED)
    response = post(storefront_client, f"{TICKETS}{ticket.public_id}/messages/", {"body": "It leaks again."})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == str(ticket.public_id)
    assert body["status"] == "open"
    assert body["resolved_at"] is None
    assert body["messages"][-1]["kind"] == "customer"
    assert body["messages"][-1]["body"] == "It leaks again."


def test_customer_message_on_a_closed_ticket_answers_with_a_new_linked_ticket(storefront_client, storefront, agent):
    ticket = make_ticket(storefront)
    services.ticket_reply(ticket=ticket, user=agent, body="Fixed.", status=Status.RESOLVED)
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED, user=agent)
    response = post(storefront_client, f"{TICKETS}{ticket.public_id}/messages/", {"body": "Broken again."})
    assert response.status_code == 201, response.content
    body = response.json()
    follow_up = Ticket.objects.get(public_id=body["id"])
    assert follow_up.pk != ticket.pk
    assert follow_up.previous_ticket == ticket
    assert body["status"] == "new"
    assert [m["body"] for m in body["messages"]] == ["Broken again."]


# --- Storefront isolation and auth --------------------------------------------------------------------------------


def _storefront_calls(ticket_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"{TICKETS}{ticket_id}/", None),
        ("post", f"{TICKETS}{ticket_id}/messages/", {"body": "Hello?"}),
    ]


@pytest.mark.parametrize("call", range(2))
def test_another_storefronts_ticket_is_404_on_every_endpoint(call, storefront, other_storefront_client):
    ticket = make_ticket(storefront)
    method, url, data = _storefront_calls(str(ticket.public_id))[call]
    response = getattr(other_storefront_client, method)(url, data, format="json")
    assert_error(response, 404, "not_found")
    assert ticket.messages.count() == 1


@pytest.mark.parametrize("ticket_id", [str(uuid.uuid4()), "not-a-uuid", "123", "T-000001"])
@pytest.mark.parametrize("call", range(2))
def test_unknown_or_malformed_ticket_id_is_404(call, ticket_id, storefront, storefront_client):
    make_ticket(storefront)
    method, url, data = _storefront_calls(ticket_id)[call]
    response = getattr(storefront_client, method)(url, data, format="json")
    assert_error(response, 404, "not_found")


def test_missing_bad_and_revoked_keys_are_401(storefront, team):
    ticket = make_ticket(storefront)
    url = f"{TICKETS}{ticket.public_id}/"
    assert_error(APIClient().get(url), 401, "not_authenticated")
    for header in ("Api-Key nonsense", "Api-Key abc.def", f"Api-Key {storefront.plain_key}x", "Api-Key "):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get(url).status_code == 401, header
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {storefront.plain_key}")
    assert client.get(url).status_code == 200
    services.api_key_revoke(api_key=ApiKey.objects.get(storefront=storefront))
    response = assert_error(client.get(url), 401, "authentication_failed")
    assert response["detail"]


def test_unauthenticated_401_names_the_scheme(team):
    response = post(APIClient(), TICKETS, NEW_TICKET)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_staff_tokens_are_refused_on_storefront_endpoints(agent_api, storefront):
    ticket = make_ticket(storefront)
    assert_error(post(agent_api, TICKETS, NEW_TICKET), 403, "permission_denied")
    assert_error(agent_api.get(f"{TICKETS}{ticket.public_id}/"), 403, "permission_denied")
    assert Ticket.objects.count() == 1


# --- Storefront: malformed input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("{bad json", "application/json"),
        ('{"subject": "x",}', "application/json"),
        ("", "application/json"),
        ("[]", "application/json"),
        ('"a string"', "application/json"),
        ("42", "application/json"),
        ("null", "application/json"),
        ('{"subject": "\\ud800", "body": "x"}', "application/json"),
        ("\xff\xfe", "application/json"),
    ],
)
def test_malformed_bodies_are_400_never_500(raw, content_type, storefront_client, team):
    response = storefront_client.post(TICKETS, data=raw, content_type=content_type)
    assert response.status_code == 400, response.content
    assert response.json()["type"] in {"parse_error", "validation_error"}
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("depth", [990, 100_000])
@pytest.mark.parametrize("key", [None, "deep-1"])
def test_deeply_nested_json_is_400_with_or_without_an_idempotency_key(depth, key, storefront_client, team):
    raw = '{"subject": "x", "body": "y", "customer": ' + "[" * depth + "]" * depth + "}"
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = storefront_client.post(TICKETS, data=raw, content_type="application/json", **extra)
    assert response.status_code == 400, response.content
    assert response.json()["type"] in {"parse_error", "validation_error"}
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("key", [None, "lone-1"])
@pytest.mark.parametrize(
    "raw",
    [
        '{"subject": "Broken \\ud800 kettle", "body": "y"}',  # in a field that is stored
        '{"subject": "x", "body": "y", "note\\udfff": 1}',  # in the name of a field nobody reads
    ],
)
def test_json_text_with_a_lone_surrogate_is_400_not_500_with_or_without_an_idempotency_key(
    raw, key, storefront_client, team
):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = storefront_client.post(TICKETS, data=raw, content_type="application/json", **extra)
    assert_error(response, 400, "parse_error")
    assert "surrogate" in response.json()["detail"]
    assert Ticket.objects.count() == 0
    # while a surrogate pair, the way JSON spells an emoji in \\u escapes, is text like any other
    pair = '{"subject": "Kettle \\ud83d\\ude00", "body": "y"}'
    extra = {"HTTP_IDEMPOTENCY_KEY": f"{key}-pair"} if key else {}
    response = storefront_client.post(TICKETS, data=pair, content_type="application/json", **extra)
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().subject == "Kettle \U0001f600"


def test_an_api_path_without_its_slash_is_a_json_404_not_a_redirect(storefront_client, client):
    # a redirect would answer a POST with an HTML 301 that clients follow as a GET
    for response in (
        storefront_client.post("/api/v1/tickets", {"subject": "x", "body": "y"}, format="json"),
        storefront_client.get("/api/v1/tickets"),
    ):
        assert_error(response, 404, "not_found")
    assert Ticket.objects.count() == 0
    # the desk's pages still gain their slash
    assert client.get("/desk").status_code == 301


def test_a_request_django_refuses_before_any_view_is_json_under_the_api(client):
    response = client.get("/api/v1/tickets/", HTTP_HOST="evil.example")  # not in ALLOWED_HOSTS
    assert_error(response, 400, "bad_request")
    assert client.get("/desk/", HTTP_HOST="evil.example")["Content-Type"].startswith("text/html")


def test_non_json_content_type_is_415(storefront_client, team):
    response = storefront_client.post(TICKETS, data="subject=x", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": None}, "subject"),
        ({"subject": {"text": "x"}}, "subject"),
        ({"subject": ["x"]}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"body": "x" * 20001}, "body"),
        ({"body": "nul \x00 byte"}, "body"),
        ({"category": "broken_kettle"}, "category"),
        ({"category": ["logistics"]}, "category"),
        ({"channel": "pigeon"}, "channel"),
        ({"customer": "Li Lei"}, "customer"),
        ({"customer": {"email": "not-an-email"}}, "customer.email"),
        ({"customer": {"name": "x" * 201}}, "customer.name"),
        ({"customer": {"external_id": "x" * 101}}, "customer.external_id"),
        ({"customer": {"phone": 12345678901234567890123456789012345678901}}, "customer.phone"),
        ({"order_external_id": "x" * 101}, "order_external_id"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(change, field, storefront_client, team):
    response = post(storefront_client, TICKETS, {**NEW_TICKET, **change})
    assert_error(response, 400, "validation_error", field)
    assert Ticket.objects.count() == 0


def test_missing_required_fields_are_named(storefront_client, team):
    body = assert_error(post(storefront_client, TICKETS, {}), 400, "validation_error")
    assert set(body["errors"]) == {"subject", "body"}


@pytest.mark.parametrize("data", [{}, {"body": ""}, {"body": "   "}, {"body": 5.5}, {"body": "x" * 20001}, []])
def test_invalid_customer_message_is_400(data, storefront_client, storefront):
    ticket = make_ticket(storefront)
    response = post(storefront_client, f"{TICKETS}{ticket.public_id}/messages/", data)
    assert response.status_code == 400, response.content
    assert ticket.messages.count() == 1


def test_unknown_api_path_answers_in_the_error_format(storefront_client):
    assert_error(storefront_client.get("/api/v1/nothing-here/"), 404, "not_found")


def test_throttled_client_gets_429_with_retry_after(storefront_client, storefront, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "rate", "2/min", raising=False)
    ticket = make_ticket(storefront)
    url = f"{TICKETS}{ticket.public_id}/"
    assert storefront_client.get(url).status_code == 200
    assert storefront_client.get(url).status_code == 200
    response = storefront_client.get(url)
    assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


@pytest.mark.parametrize("cache", ["redis", "local memory"])
def test_the_budget_is_per_window_and_the_wait_runs_to_its_end(
    storefront_client, storefront, monkeypatch, settings, cache
):
    if cache == "local memory":  # any other cache than Redis (the file cache of `make run`) works the same way
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # given a budget of 10 a minute, spent 10 seconds before a minute ends (a window no earlier run has used)
    monkeypatch.setattr(ClientRateThrottle, "rate", "10/min", raising=False)
    window_start = 60 * random.randrange(10**9, 2 * 10**9)
    clock = {"now": window_start + 50.0}
    monkeypatch.setattr(ClientRateThrottle, "timer", lambda self: clock["now"])
    url = f"{TICKETS}{make_ticket(storefront).public_id}/"
    assert [storefront_client.get(url).status_code for _ in range(11)] == [200] * 10 + [429]
    # the client is told to wait until the minute ends
    response = storefront_client.get(url)
    assert int(response["Retry-After"]) == 10
    # when the next minute starts, the budget is whole again
    clock["now"] = window_start + 60 + 1.0
    assert [storefront_client.get(url).status_code for _ in range(11)] == [200] * 10 + [429]


def test_with_the_throttle_cache_down_a_ticket_is_still_taken(storefront_client, settings):
    # given Redis, the throttle's cache, unreachable
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    # when a storefront posts a ticket, then it is taken, not lost to a 500
    response = post(storefront_client, TICKETS, NEW_TICKET)
    assert response.status_code == 201, response.content
    assert Ticket.objects.filter(public_id=response.json()["id"]).exists()


def test_storefront_ticket_read_costs_a_fixed_number_of_queries(
    storefront_client, storefront, agent, django_assert_num_queries
):
    ticket = make_ticket(storefront)
    for index in range(10):
        services.ticket_reply(ticket=ticket, user=agent, body=f"Reply {index}")
    # the key with its storefront, the ticket, its messages, their attachments
    with django_assert_num_queries(4):
        response = storefront_client.get(f"{TICKETS}{ticket.public_id}/")
    assert len(response.json()["messages"]) == 11


# --- Desk: the queue ----------------------------------------------------------------------------------------------


def test_queue_lists_what_the_agent_may_see_in_deadline_order(agent_api, storefront, agent, other_team):
    now = timezone.now()
    late = make_ticket(storefront, subject="late")
    soon = make_ticket(storefront, subject="soon")
    no_clock = make_ticket(storefront, subject="no clock")
    foreign = make_ticket(storefront, subject="other team")
    services.ticket_assign(ticket=foreign, user=None, assignee=None, team=other_team)
    Ticket.objects.filter(pk=late.pk).update(next_due_at=now + timedelta(hours=5))
    Ticket.objects.filter(pk=soon.pk).update(next_due_at=now + timedelta(hours=1))
    Ticket.objects.filter(pk=no_clock.pk).update(next_due_at=None)
    response = agent_api.get(DESK)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["subject"] for row in body["results"]] == ["soon", "late", "no clock"]
    assert body["next"] is None and body["previous"] is None
    row = body["results"][0]
    assert row["reference"] == soon.reference
    assert row["team"]["name"] == "Customer service"
    assert row["assignee"]["username"] == "agent"
    assert row["storefront"]["name"] == storefront.name


def test_queue_filters_and_search(agent_api, storefront, agent):
    make_ticket(storefront, subject="Parcel lost", category="logistics")
    wanted = make_ticket(storefront, subject="Kettle leaks", category="product_quality", severity="severe")
    services.ticket_reply(ticket=wanted, user=agent, body="On it", status=Status.PENDING)

    def subjects(query: str) -> list[str]:
        response = agent_api.get(DESK + query)
        assert response.status_code == 200, response.content
        return [row["subject"] for row in response.json()["results"]]

    assert subjects("?category=product_quality") == ["Kettle leaks"]
    assert subjects("?severity=severe&scope=mine") == ["Kettle leaks"]
    assert subjects("?status=pending&status=resolved") == ["Kettle leaks"]
    assert subjects("?q=kettle") == ["Kettle leaks"]
    assert subjects(f"?q={wanted.reference}") == ["Kettle leaks"]
    assert subjects("?scope=unassigned") == []
    assert subjects(f"?storefront={storefront.pk}") == ["Parcel lost", "Kettle leaks"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?scope=everything", "scope"),
        ("?status=lost", "status"),
        ("?category=x", "category"),
        ("?storefront=abc", "storefront"),
        ("?page_size=0", "page_size"),
        ("?cursor=%%%", "cursor"),
        ("?cursor=eyJkIjoxfQ", "cursor"),
    ],
)
def test_queue_rejects_bad_filters_naming_them(query, field, agent_api, storefront):
    make_ticket(storefront)
    assert_error(agent_api.get(DESK + query), 400, "validation_error", field)


def test_queue_pages_forward_and_back_over_deadlines_and_tickets_without_one(agent_api, storefront, agent):
    now = timezone.now()
    tickets = [make_ticket(storefront, subject=f"t{index}") for index in range(7)]
    # three share one deadline, two have their own, two have none
    dues = [now, now, now + timedelta(hours=1), now - timedelta(hours=1), now, None, None]
    for ticket, due in zip(tickets, dues, strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(next_due_at=due)
    expected = [
        ticket.subject
        for ticket, due in sorted(
            zip(tickets, dues, strict=True), key=lambda pair: (pair[1] is None, pair[1] or now, pair[0].pk)
        )
    ]
    pages, url = [], DESK + "?page_size=2"
    while url:
        body = agent_api.get(url).json()
        pages.append([row["subject"] for row in body["results"]])
        url = body["next"]
    assert [s for page in pages for s in page] == expected
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    # and back from the last page
    back, url = [], body["previous"]
    while url:
        body = agent_api.get(url).json()
        back.insert(0, [row["subject"] for row in body["results"]])
        url = body["previous"]
    assert back == pages[:-1]


@pytest.mark.parametrize("count", [5, 30])
def test_queue_costs_the_same_queries_for_5_and_30_tickets(
    count, agent_api, storefront, agent, django_assert_num_queries
):
    for index in range(count):
        make_ticket(storefront, subject=f"t{index}", customer=CustomerFactory(storefront=storefront))
    # token + user, groups, the page
    with django_assert_num_queries(3):
        response = agent_api.get(DESK)
    assert len(response.json()["results"]) == count


# --- Desk: one ticket and actions ---------------------------------------------------------------------------------


def test_desk_detail_has_notes_and_the_timeline(agent_api, storefront, agent):
    ticket = make_ticket(storefront)
    services.ticket_add_note(ticket=ticket, user=agent, body="Internal: check stock")
    response = agent_api.get(f"{DESK}{ticket.reference}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [m["kind"] for m in body["messages"]] == ["customer", "internal"]
    assert [event["kind"] for event in body["timeline"]] == ["created", "customer_message", "assigned", "note"]
    assert body["timeline"][-1]["actor_name"] == "Ann Agent"
    assert body["timeline"][-1]["message_id"] == body["messages"][-1]["id"]
    assert body["previous_ticket"] is None
    # the SLA clocks started with the ticket, running ones first
    assert {clock["metric"] for clock in body["clocks"]} >= {"acknowledgement", "resolution"}
    assert all(clock["is_running"] and clock["met"] is None for clock in body["clocks"])


def test_queue_shows_and_filters_the_sla_state(agent_api, storefront, agent):
    now = timezone.now()
    states = {
        "breached": (now - timedelta(minutes=5), now - timedelta(hours=1)),
        "at_risk": (now + timedelta(minutes=30), now - timedelta(minutes=1)),
        "on_track": (now + timedelta(hours=8), now + timedelta(hours=6)),
        "none": (None, None),
    }
    for subject, (due, warn) in states.items():
        ticket = make_ticket(storefront, subject=subject)
        Ticket.objects.filter(pk=ticket.pk).update(next_due_at=due, next_warn_at=warn)
    rows = agent_api.get(DESK).json()["results"]
    assert {row["subject"]: row["sla_state"] for row in rows} == {
        "breached": "breached",
        "at_risk": "at_risk",
        "on_track": "on_track",
        "none": None,
    }
    for state in ("breached", "at_risk", "on_track"):
        filtered = agent_api.get(f"{DESK}?sla={state}").json()["results"]
        assert [row["subject"] for row in filtered] == [state]


def test_desk_detail_costs_a_fixed_number_of_queries(agent_api, storefront, agent, django_assert_num_queries):
    ticket = make_ticket(storefront)
    for index in range(8):
        services.ticket_reply(ticket=ticket, user=agent, body=f"Reply {index}")
        services.ticket_add_note(ticket=ticket, user=agent, body=f"Note {index}")
    # token + user, groups, ticket, messages, their attachments, events, their attachments, clocks, the customer's
    # tickets and their counts (no order: the ticket names none)
    with django_assert_num_queries(10):
        response = agent_api.get(f"{DESK}{ticket.reference}/")
    assert len(response.json()["messages"]) == 17


def test_desk_works_with_the_browser_session_too(agent_desk, storefront):
    ticket = make_ticket(storefront)
    assert agent_desk.get(f"{DESK}{ticket.reference}/").status_code == 200


def test_a_session_post_without_the_csrf_token_is_refused(agent, storefront):
    from django.test import Client

    ticket = make_ticket(storefront)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    response = browser.post(f"{DESK}{ticket.reference}/notes/", {"body": "x"}, content_type="application/json")
    assert_error(response, 403, "permission_denied")
    assert not ticket.messages.filter(kind=MessageKind.INTERNAL).exists()


DESK_ACTIONS = [
    ("get", "", None),
    ("post", "reply/", {"body": "Hello"}),
    ("post", "notes/", {"body": "Note"}),
    ("post", "acknowledge/", {}),
    ("post", "assign/", {"assignee": "other-agent"}),
    ("post", "status/", {"status": "pending"}),
    ("post", "severity/", {"severity": "severe"}),
    ("post", "category/", {"category": "logistics"}),
    ("post", "customer-messages/", {"body": "Called in"}),
]


@pytest.mark.parametrize(("method", "suffix", "data"), DESK_ACTIONS)
def test_agent_outside_the_team_gets_404_on_every_desk_endpoint(method, suffix, data, storefront, agent, other_agent):
    ticket = make_ticket(storefront)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {other_agent.token}")
    response = getattr(client, method)(f"{DESK}{ticket.reference}/{suffix}", data, format="json")
    assert_error(response, 404, "not_found")
    assert ticket.events.count() == 3
    canned = CannedResponseFactory()
    assert_error(client.get(f"{DESK}{ticket.reference}/canned-responses/{canned.pk}/render/"), 404, "not_found")


@pytest.mark.parametrize(("method", "suffix", "data"), DESK_ACTIONS)
def test_storefront_keys_and_finance_users_are_refused_on_desk_endpoints(
    method, suffix, data, storefront, storefront_client, finance_user
):
    ticket = make_ticket(storefront)
    url = f"{DESK}{ticket.reference}/{suffix}"
    assert_error(getattr(storefront_client, method)(url, data, format="json"), 403, "permission_denied")
    finance = APIClient()
    finance.credentials(HTTP_AUTHORIZATION=f"Token {finance_user.token}")
    assert_error(getattr(finance, method)(url, data, format="json"), 403, "permission_denied")
    assert_error(APIClient().get(DESK), 401, "not_authenticated")


def test_unknown_reference_is_404(agent_api, supervisor_api):
    assert_error(agent_api.get(f"{DESK}T-999999/"), 404, "not_found")
    for reference in ("%00", "T-%00", "T%2F1", "x" * 21, "T-000001%20"):
        assert_error(agent_api.get(f"{DESK}{reference}/"), 404, "not_found")
        assert_error(agent_api.post(f"{DESK}{reference}/reply/", {"body": "x"}, format="json"), 404, "not_found")
        assert_error(agent_api.get(f"{DESK}{reference}/canned-responses/1/render/"), 404, "not_found")
    assert_error(agent_api.get(f"{DESK}T-000001/canned-responses/{'9' * 40}/render/"), 404, "not_found")
    assert_error(supervisor_api.post(f"{DESK}T-999999/reply/", {"body": "x"}, format="json"), 404, "not_found")


def test_reply_through_the_api_acknowledges_and_can_resolve(agent_api, storefront, agent):
    ticket = make_ticket(storefront)
    response = post(agent_api, f"{DESK}{ticket.reference}/reply/", {"body": "Here is a label.", "status": "resolved"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "resolved"
    assert body["acknowledged_at"] is not None
    assert body["messages"][-1]["kind"] == "public"
    assert body["messages"][-1]["author_name"] == "Ann Agent"


def test_reply_with_an_attachment_in_multipart(agent_api, storefront):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = make_ticket(storefront)
    png = SimpleUploadedFile("label.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    response = agent_api.post(
        f"{DESK}{ticket.reference}/reply/", {"body": "Label", "attachments": [png]}, format="multipart"
    )
    assert response.status_code == 201, response.content
    attachment = response.json()["messages"][-1]["attachments"][0]
    assert attachment["filename"] == "label.png"
    assert attachment["content_type"] == "image/png"


def test_reply_attachment_of_a_forbidden_type_is_415(agent_api, storefront):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = make_ticket(storefront)
    exe = SimpleUploadedFile("label.png", b"MZ\x90\x00" + b"\x00" * 64, content_type="image/png")
    response = agent_api.post(
        f"{DESK}{ticket.reference}/reply/", {"body": "Label", "attachments": [exe]}, format="multipart"
    )
    assert_error(response, 415, "unsupported_media_type")
    assert not ticket.messages.filter(kind=MessageKind.PUBLIC).exists()


def test_note_acknowledge_severity_category_and_customer_message(agent_api, storefront, agent):
    ticket = make_ticket(storefront)
    url = f"{DESK}{ticket.reference}/"
    assert post(agent_api, url + "notes/", {"body": "Check stock"}).json()["messages"][-1]["kind"] == "internal"
    acknowledged = post(agent_api, url + "acknowledge/", {})
    assert acknowledged.status_code == 200, acknowledged.content
    assert acknowledged.json()["status"] == "open"
    assert acknowledged.json()["messages"][-1]["kind"] == "public"
    assert_error(post(agent_api, url + "acknowledge/", {}), 409, "illegal_state_change")
    assert post(agent_api, url + "severity/", {"severity": "severe"}).json()["severity"] == "severe"
    assert post(agent_api, url + "category/", {"category": "logistics"}).json()["category"] == "logistics"
    logged = post(agent_api, url + "customer-messages/", {"body": "Customer called: still waiting"})
    assert logged.status_code == 201
    assert logged.json()["messages"][-1]["kind"] == "customer"
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {EventKind.SEVERITY_CHANGED, EventKind.CATEGORY_CHANGED, EventKind.ACKNOWLEDGED} <= kinds


def test_status_moves_follow_the_state_machine(agent_api, storefront):
    ticket = make_ticket(storefront)
    url = f"{DESK}{ticket.reference}/status/"
    assert post(agent_api, url, {"status": "resolved"}).json()["status"] == "resolved"
    refused = assert_error(post(agent_api, url, {"status": "pending"}), 409, "illegal_state_change")
    assert "errors" not in refused  # api.md: `errors` for validation only
    assert_error(post(agent_api, url, {"status": "gone"}), 400, "validation_error", "status")
    assert post(agent_api, url, {"status": "closed"}).json()["status"] == "closed"


def test_assign_within_the_team_by_username_or_id(agent_api, storefront, agent, team, other_agent):
    make_staff("colleague", "agent", teams=(team,))
    ticket = make_ticket(storefront)
    url = f"{DESK}{ticket.reference}/assign/"
    assert post(agent_api, url, {"assignee": "colleague"}).json()["assignee"]["username"] == "colleague"
    assert post(agent_api, url, {"assignee": str(agent.pk)}).json()["assignee"]["username"] == "agent"
    assert_error(post(agent_api, url, {"assignee": "other-agent"}), 400, "validation_error", "assignee")
    assert_error(post(agent_api, url, {"team": "Logistics"}), 400, "validation_error", "team")
    for nonsense in ("9" * 40, "²", "-1", ""):
        assert_error(post(agent_api, url, {"assignee": nonsense}), 400, "validation_error", "assignee")
        assert_error(post(agent_api, url, {"team": nonsense}), 400, "validation_error", "team")
    assert post(agent_api, url, {"assignee": None}).json()["assignee"] is None
    ticket.refresh_from_db()
    assert ticket.assigned_by_hand


def test_supervisor_moves_a_ticket_to_another_team(supervisor_api, storefront, other_team, other_agent):
    ticket = make_ticket(storefront)
    body = post(supervisor_api, f"{DESK}{ticket.reference}/assign/", {"team": "Logistics", "assignee": "other-agent"})
    assert body.status_code == 200, body.content
    assert body.json()["team"]["name"] == "Logistics"
    assert body.json()["assignee"]["username"] == "other-agent"


def test_canned_responses_listed_and_rendered_for_a_ticket(agent_api, storefront, team, other_team):
    shared = CannedResponseFactory(title="Apology", body="Sorry {customer_name}, {reference}. {agent_name}")
    CannedResponseFactory(title="Team only", team=team)
    hidden = CannedResponseFactory(title="Other team", team=other_team)
    CannedResponseFactory(title="Retired", is_active=False)
    listed = agent_api.get("/api/v1/desk/canned-responses/")
    assert listed.status_code == 200
    assert [row["title"] for row in listed.json()["results"]] == ["Apology", "Team only"]
    ticket = make_ticket(storefront, customer=CustomerFactory(storefront=storefront, name="Li Lei"))
    rendered = agent_api.get(f"{DESK}{ticket.reference}/canned-responses/{shared.pk}/render/")
    assert rendered.status_code == 200
    assert rendered.json()["body"] == f"Sorry Li Lei, {ticket.reference}. Ann Agent"
    assert_error(agent_api.get(f"{DESK}{ticket.reference}/canned-responses/{hidden.pk}/render/"), 404, "not_found")


def test_desk_post_bodies_are_validated(agent_api, storefront):
    ticket = make_ticket(storefront)
    url = f"{DESK}{ticket.reference}/"
    assert_error(post(agent_api, url + "reply/", {"body": ""}), 400, "validation_error", "body")
    assert_error(post(agent_api, url + "reply/", {"body": "x", "status": "lost"}), 400, "validation_error", "status")
    assert_error(post(agent_api, url + "notes/", ["x"]), 400, "validation_error")
    assert_error(post(agent_api, url + "severity/", {"severity": 3}), 400, "validation_error", "severity")
    assert_error(post(agent_api, url + "assign/", {"assignee": {"id": 1}}), 400, "validation_error", "assignee")
    bad = agent_api.post(url + "reply/", data="{nope", content_type="application/json")
    assert_error(bad, 400, "parse_error")


def test_the_create_answer_is_what_a_read_answers(storefront_client, team, agent):
    # The answer is built from the rows just written: it must be exactly what reading the ticket back gives.
    created = post(storefront_client, TICKETS, NEW_TICKET)
    assert created.status_code == 201
    read = storefront_client.get(f"{TICKETS}{created.json()['id']}/")
    assert created.json() == read.json()
