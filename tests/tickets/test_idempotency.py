"""Idempotency keys as a storefront retrying over a bad network sees them (api.md, "Idempotency")."""

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from tests.factories import make_ticket
from tickets import services
from tickets.authentication import StorefrontPrincipal
from tickets.idempotency import idempotency_purge_expired, idempotent
from tickets.models import ApiKey, IdempotencyRecord, Message, Team, Ticket

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"
NEW_TICKET = {"subject": "Kettle leaks", "body": "It leaks.", "customer": {"external_id": "C-1", "name": "Li Lei"}}


def create(client: APIClient, data: dict, key: str | None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(TICKETS, data, format="json", **extra)


def test_a_retry_gets_the_stored_answer_and_creates_nothing(storefront_client, team):
    first = create(storefront_client, NEW_TICKET, "order-1-attempt")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    # the same body with its keys in another order is the same request
    retry = create(storefront_client, dict(reversed(list(NEW_TICKET.items()))), "order-1-attempt")
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert Ticket.objects.count() == 1


def test_without_a_key_every_post_creates(storefront_client, team):
    create(storefront_client, NEW_TICKET, None)
    create(storefront_client, NEW_TICKET, None)
    assert Ticket.objects.count() == 2


def test_same_key_with_another_body_is_422_and_creates_nothing(storefront_client, team):
    create(storefront_client, NEW_TICKET, "k-1")
    response = create(storefront_client, {**NEW_TICKET, "subject": "Something else"}, "k-1")
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "idempotency_key_reused" and "Idempotency-Key" in body["detail"]
    assert "errors" not in body  # api.md: `errors` for validation only
    assert Ticket.objects.count() == 1


def test_same_key_on_another_endpoint_is_422(storefront_client, storefront, team):
    ticket = make_ticket(storefront)
    create(storefront_client, NEW_TICKET, "k-shared")
    response = storefront_client.post(
        f"{TICKETS}{ticket.public_id}/messages/", {"body": "It leaks."}, format="json", HTTP_IDEMPOTENCY_KEY="k-shared"
    )
    assert response.status_code == 422
    assert ticket.messages.count() == 1


def test_keys_belong_to_their_storefront(storefront_client, other_storefront_client, team):
    mine = create(storefront_client, NEW_TICKET, "same-key")
    theirs = create(other_storefront_client, NEW_TICKET, "same-key")
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["id"] != theirs.json()["id"]
    assert Ticket.objects.count() == 2


def test_keys_of_staff_users_are_their_own(agent_api, supervisor_api, storefront):
    ticket = make_ticket(storefront)
    url = f"/api/v1/desk/tickets/{ticket.reference}/notes/"
    for client in (agent_api, supervisor_api, agent_api):
        response = client.post(url, {"body": "Checked stock"}, format="json", HTTP_IDEMPOTENCY_KEY="note-1")
        assert response.status_code == 201
    assert ticket.messages.filter(body="Checked stock").count() == 2


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "a\x00b", "tab\tkey"])
def test_malformed_key_is_400_on_the_header(key, storefront_client, team):
    response = create(storefront_client, NEW_TICKET, key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert Ticket.objects.count() == 0


def test_longest_allowed_key_works(storefront_client, team):
    key = "k" * 255
    assert create(storefront_client, NEW_TICKET, key).status_code == 201
    assert create(storefront_client, NEW_TICKET, key)["Idempotent-Replayed"] == "true"


def test_an_error_answer_is_replayed_too(storefront_client, storefront):
    ticket = make_ticket(storefront)
    url = f"{TICKETS}{ticket.public_id}/messages/"
    first = storefront_client.post(url, {"body": "x" * 20001}, format="json", HTTP_IDEMPOTENCY_KEY="k-err")
    again = storefront_client.post(url, {"body": "x" * 20001}, format="json", HTTP_IDEMPOTENCY_KEY="k-err")
    assert first.status_code == again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content


def test_malformed_json_with_a_key_stores_nothing(storefront_client, team):
    bad = storefront_client.post(TICKETS, data="{nope", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-bad")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    assert create(storefront_client, NEW_TICKET, "k-bad").status_code == 201


def test_an_expired_answer_is_not_replayed(storefront_client, team):
    create(storefront_client, NEW_TICKET, "k-old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    again = create(storefront_client, NEW_TICKET, "k-old")
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Ticket.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 1


def test_files_count_by_content(agent_api, storefront):
    ticket = make_ticket(storefront)
    url = f"/api/v1/desk/tickets/{ticket.reference}/reply/"

    def png(filler: bytes) -> SimpleUploadedFile:
        return SimpleUploadedFile("label.png", b"\x89PNG\r\n\x1a\n" + filler * 64, content_type="image/png")

    first = agent_api.post(
        url, {"body": "Label", "attachments": [png(b"a")]}, format="multipart", HTTP_IDEMPOTENCY_KEY="k-file"
    )
    same = agent_api.post(
        url, {"body": "Label", "attachments": [png(b"a")]}, format="multipart", HTTP_IDEMPOTENCY_KEY="k-file"
    )
    other = agent_api.post(
        url, {"body": "Label", "attachments": [png(b"b")]}, format="multipart", HTTP_IDEMPOTENCY_KEY="k-file"
    )
    assert first.status_code == 201, first.content
    assert same["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert ticket.attachments.count() == 1


class FlakyApi(APIView):
    """Fails with a 5xx on its first call, after writing; then succeeds."""

    calls = 0

    @idempotent
    def post(self, request):
        FlakyApi.calls += 1
        Team.objects.create(name=f"attempt {FlakyApi.calls}")
        if FlakyApi.calls == 1:
            return Response({"type": "unavailable", "detail": "Try again."}, status=503)
        if request.data.get("explode"):
            raise RuntimeError("bug")
        return Response({"attempt": FlakyApi.calls}, status=201)


def _flaky_call(storefront, data: dict, key: str):
    request = APIRequestFactory().post("/flaky/", data, format="json", HTTP_IDEMPOTENCY_KEY=key)
    force_authenticate(request, user=StorefrontPrincipal(storefront, ApiKey.objects.get(storefront=storefront)))
    response = FlakyApi.as_view()(request)
    response.render()
    return response


def test_a_server_error_is_not_stored_and_its_writes_are_rolled_back(storefront, monkeypatch):
    monkeypatch.setattr(FlakyApi, "calls", 0)
    first = _flaky_call(storefront, {"x": 1}, "k-5xx")
    assert first.status_code == 503
    assert not Team.objects.filter(name="attempt 1").exists()
    assert not IdempotencyRecord.objects.exists()
    # the retry runs for real, and its answer is the one kept
    second = _flaky_call(storefront, {"x": 1}, "k-5xx")
    assert second.status_code == 201
    assert not second.has_header("Idempotent-Replayed")
    third = _flaky_call(storefront, {"x": 1}, "k-5xx")
    assert third["Idempotent-Replayed"] == "true"
    assert third.content == second.content
    assert Team.objects.filter(name__startswith="attempt").count() == 1


def test_an_unexpected_exception_stores_nothing(storefront, monkeypatch):
    monkeypatch.setattr(FlakyApi, "calls", 1)
    with pytest.raises(RuntimeError):
        _flaky_call(storefront, {"explode": True}, "k-bug")
    assert not IdempotencyRecord.objects.exists()
    assert not Team.objects.filter(name__startswith="attempt").exists()


def test_purge_deletes_only_expired_records_and_is_safe_to_rerun():
    now = timezone.now()
    for index, age in enumerate([timedelta(hours=1), timedelta(hours=23), timedelta(hours=25), timedelta(days=3)]):
        IdempotencyRecord.objects.create(
            owner="storefront:1", key=f"k{index}", fingerprint="f", status_code=201, body={}, created_at=now - age
        )
    assert idempotency_purge_expired(now=now) == 2
    assert idempotency_purge_expired(now=now) == 0
    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k0", "k1"]


def _client(storefront) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {storefront.plain_key}")
    return client


@pytest.mark.django_db(transaction=True)
def test_twenty_identical_requests_at_once_create_one_ticket_and_the_same_answer(storefront, team, agent):
    # given 20 clients sending the same POST with the same key at the same moment
    barrier = threading.Barrier(20)
    answers = []

    def send() -> None:
        try:
            client = _client(storefront)
            barrier.wait()
            answers.append(create(client, NEW_TICKET, "flaky-network-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then one ticket exists, with one opening message, and all 20 answers are the same
    assert len(answers) == 20
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1
    assert {(answer.status_code, answer.content) for answer in answers} == {(201, answers[0].content)}
    assert sum(1 for answer in answers if answer.has_header("Idempotent-Replayed")) == 19


@pytest.mark.django_db(transaction=True)
def test_a_request_still_in_flight_after_the_wait_is_409(storefront, team, settings, monkeypatch):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.5
    # given a first request that is still creating its ticket
    creating, release = threading.Event(), threading.Event()
    real_create = services.ticket_create

    def slow_create(**kwargs):
        creating.set()
        release.wait(10)
        return real_create(**kwargs)

    monkeypatch.setattr(services, "ticket_create", slow_create)
    first: list = []

    def first_request() -> None:
        try:
            first.append(create(_client(storefront), NEW_TICKET, "slow"))
        finally:
            connection.close()

    thread = threading.Thread(target=first_request)
    thread.start()
    try:
        assert creating.wait(10)
        # when a retry arrives before it finishes
        response = create(_client(storefront), NEW_TICKET, "slow")
        # then it is told to come back later, and nothing was created by it
        assert response.status_code == 409
        assert response.json()["type"] == "idempotency_in_flight"
        assert Ticket.objects.count() == 0
    finally:
        release.set()
        thread.join()
    # and once the first has answered, a retry gets that answer
    assert first[0].status_code == 201
    again = create(_client(storefront), NEW_TICKET, "slow")
    assert (again.status_code, again.content, again["Idempotent-Replayed"]) == (201, first[0].content, "true")
    assert Ticket.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_claim_left_by_a_dead_request_is_taken_over_after_it_goes_stale(storefront, team, settings):
    # given a key claimed by a request whose process died before answering, long ago
    IdempotencyRecord.objects.create(
        owner=f"storefront:{storefront.pk}",
        key="orphan",
        fingerprint="whatever it was",
        status_code=0,
        created_at=timezone.now() - settings.IDEMPOTENCY_STALE_AFTER - timedelta(seconds=1),
    )
    # when the storefront retries, then the request runs and its answer is kept
    response = create(_client(storefront), NEW_TICKET, "orphan")
    assert response.status_code == 201
    assert Ticket.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="orphan").status_code == 201
