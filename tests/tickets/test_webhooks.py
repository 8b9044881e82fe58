"""Webhooks to storefronts, proven against a real HTTP server on 127.0.0.1 (tests/receiver.py).

Retries are driven by calling `webhook_deliver` with explicit instants, as the beat dispatch would over 24 hours.
"""

import time
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from aftersales.celery import app as celery_app
from tests.conftest import closed_port
from tests.factories import StorefrontFactory, make_ticket
from tests.receiver import verify_signature
from tickets import services
from tickets.models import Status, Ticket, WebhookDelivery, WebhookStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooked_storefront(storefront, webhook_receiver):
    storefront.webhook_url = webhook_receiver.url
    storefront.save()
    return storefront


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{closed_port()}/webhooks"


def _enqueue(storefront, *, ordering_key: str = "", now=None, event_type: str = "ticket.replied") -> WebhookDelivery:
    return services.webhook_enqueue(
        storefront=storefront, event_type=event_type, data={"n": 1}, ordering_key=ordering_key, now=now
    )


def test_a_reply_reaches_the_storefront_signed_with_its_secret(
    hooked_storefront, agent, webhook_receiver, django_capture_on_commit_callbacks
):
    # given a storefront whose webhook URL is the local receiver
    ticket = make_ticket(hooked_storefront)

    # when an agent replies publicly
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="On its way.")

    # then the storefront gets a ticket.replied event it can verify with its secret
    replied = [r for r in webhook_receiver.wait_for(1) if r.json["type"] == "ticket.replied"]
    assert len(replied) == 1
    request = replied[0]
    assert verify_signature(hooked_storefront.webhook_secret, request, tolerance_seconds=300)
    assert request.headers["content-type"] == "application/json"
    assert set(request.json) == {"type", "id", "created_at", "data"}
    assert request.json["id"] == request.headers["webhook-id"]
    assert request.json["data"]["ticket"]["reference"] == ticket.reference
    assert request.json["data"]["message"]["body"] == "On its way."
    assert WebhookDelivery.objects.get(event_type="ticket.replied").status == WebhookStatus.DELIVERED


def test_the_signature_does_not_verify_with_another_secret_or_a_changed_body(
    hooked_storefront, webhook_receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _enqueue(hooked_storefront)
    (request,) = webhook_receiver.wait_for(1)

    other = StorefrontFactory()
    assert verify_signature(hooked_storefront.webhook_secret, request)
    assert not verify_signature(other.webhook_secret, request)
    request.body = request.body.replace('"n":1', '"n":2')
    assert not verify_signature(hooked_storefront.webhook_secret, request)


def test_resolving_a_ticket_sends_ticket_resolved(
    hooked_storefront, agent, webhook_receiver, django_capture_on_commit_callbacks
):
    ticket = make_ticket(hooked_storefront)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent)

    (request,) = webhook_receiver.wait_for(1)
    assert request.json["type"] == "ticket.resolved"
    assert request.json["data"]["ticket"] == {
        "id": str(ticket.public_id),
        "reference": ticket.reference,
        "status": "resolved",
    }
    assert verify_signature(hooked_storefront.webhook_secret, request)


def test_a_storefront_without_a_webhook_url_gets_no_deliveries(storefront, agent, django_capture_on_commit_callbacks):
    ticket = make_ticket(storefront)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="Hello")

    assert not WebhookDelivery.objects.exists()


def test_a_rolled_back_change_sends_nothing(hooked_storefront, agent, webhook_receiver):
    # given an open ticket
    ticket = make_ticket(hooked_storefront)
    services.ticket_acknowledge(ticket=ticket, user=agent, send_message=False)

    # when a reply asks for a move the state machine refuses, the whole reply is rolled back
    with pytest.raises(Exception, match="cannot move"):
        services.ticket_reply(ticket=ticket, user=agent, body="Closing this", status=Status.CLOSED)

    # then no outbox row survives and nothing was sent
    assert not WebhookDelivery.objects.filter(event_type="ticket.replied").exists()
    time.sleep(0.2)
    assert webhook_receiver.requests == []


def test_a_failing_endpoint_is_retried_with_exponential_backoff_then_delivered(hooked_storefront, webhook_receiver):
    # given the storefront's endpoint answers 500
    webhook_receiver.respond_with(500)
    t0 = timezone.now()
    delivery = _enqueue(hooked_storefront, now=t0)
    services.webhook_deliver(delivery_id=delivery.pk, now=t0)
    webhook_receiver.wait_for(1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (WebhookStatus.PENDING, 1, 500)
    first_retry = delivery.next_attempt_at
    assert first_retry - t0 >= timedelta(seconds=30)

    # when a duplicate enqueue runs before the retry is due, nothing is sent
    assert services.webhook_deliver(delivery_id=delivery.pk, now=first_retry - timedelta(seconds=1)) == "pending"
    assert len(webhook_receiver.requests) == 1

    # when the second attempt also fails, the wait doubles
    services.webhook_deliver(delivery_id=delivery.pk, now=first_retry)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at - first_retry == 2 * (first_retry - t0)

    # when the endpoint recovers, the third attempt delivers the same event (same id, fresh signature)
    webhook_receiver.respond_with(200)
    assert services.webhook_deliver(delivery_id=delivery.pk, now=delivery.next_attempt_at) == "delivered"
    requests = webhook_receiver.wait_for(3)
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    assert all(verify_signature(hooked_storefront.webhook_secret, r) for r in requests)
    delivery.refresh_from_db()
    assert delivery.status == WebhookStatus.DELIVERED and delivery.attempts == 3


def test_an_unreachable_endpoint_is_given_up_after_24_hours(storefront):
    # given a storefront whose endpoint is a closed port
    storefront.webhook_url = _closed_port_url()
    storefront.save()
    t0 = timezone.now()
    delivery = _enqueue(storefront, now=t0)
    services.webhook_deliver(delivery_id=delivery.pk, now=t0)
    delivery.refresh_from_db()
    assert delivery.status == WebhookStatus.PENDING and delivery.last_status_code is None
    assert delivery.last_error  # the connection error, shown in the admin

    # when every retry fails at the moment it falls due
    waits = [delivery.next_attempt_at - t0]
    while delivery.status == WebhookStatus.PENDING:
        previous = delivery.next_attempt_at
        services.webhook_deliver(delivery_id=delivery.pk, now=previous)
        delivery.refresh_from_db()
        if delivery.status == WebhookStatus.PENDING:
            waits.append(delivery.next_attempt_at - previous)
        assert delivery.attempts < 50

    # then it doubled from 30 s up to a 2-hour cap, stopped after 24 hours, and shows as failed
    assert waits[:4] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert max(waits) == timedelta(hours=2)
    assert delivery.status == WebhookStatus.FAILED
    assert previous <= t0 + timedelta(hours=24) < delivery.next_attempt_at
    attempts = delivery.attempts
    assert services.webhook_deliver(delivery_id=delivery.pk, now=t0 + timedelta(days=2)) == "skipped"
    delivery.refresh_from_db()
    assert delivery.attempts == attempts


def test_deliveries_with_one_ordering_key_go_out_in_order(
    hooked_storefront, webhook_receiver, django_capture_on_commit_callbacks
):
    # given the first event of a ticket failed and is waiting for its retry
    webhook_receiver.respond_with(503)
    t0 = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        first = _enqueue(hooked_storefront, ordering_key="ticket:1", now=t0, event_type="ticket.replied")
    webhook_receiver.wait_for(1)
    webhook_receiver.respond_with(200)

    # when a second event of the same ticket, and one of another ticket, are enqueued
    with django_capture_on_commit_callbacks(execute=True):
        second = _enqueue(hooked_storefront, ordering_key="ticket:1", now=t0, event_type="ticket.resolved")
        unrelated = _enqueue(hooked_storefront, ordering_key="ticket:2", now=t0, event_type="ticket.replied")

    # then the second waits behind the first while the other ticket's event goes
    requests = webhook_receiver.wait_for(2)
    assert [r.headers["webhook-id"] for r in requests] == [first.event_id, unrelated.event_id]
    second.refresh_from_db()
    assert second.status == WebhookStatus.PENDING and second.attempts == 0
    first.refresh_from_db()
    assert services.webhooks_dispatch_due(now=t0 + timedelta(seconds=5)) == 0  # the waiting one is not due yet

    # when the first is retried and delivered, the second follows right after it
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_deliver(delivery_id=first.pk, now=first.next_attempt_at)
    requests = webhook_receiver.wait_for(4)
    assert [r.headers["webhook-id"] for r in requests[2:]] == [first.event_id, second.event_id]
    second.refresh_from_db()
    assert second.status == WebhookStatus.DELIVERED


def test_a_given_up_delivery_lets_the_next_of_its_key_go(
    hooked_storefront, webhook_receiver, django_capture_on_commit_callbacks
):
    webhook_receiver.respond_with(500)
    t0 = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        first = _enqueue(hooked_storefront, ordering_key="ticket:1", now=t0)
        second = _enqueue(hooked_storefront, ordering_key="ticket:1", now=t0)
    webhook_receiver.wait_for(1)

    # when the first reaches its last attempt after 24 hours and fails (the endpoint recovers just after)
    with django_capture_on_commit_callbacks(execute=True):
        WebhookDelivery.objects.filter(pk=first.pk).update(give_up_at=t0 + timedelta(minutes=1))
        services.webhook_deliver(delivery_id=first.pk, now=t0 + timedelta(minutes=1))
        webhook_receiver.respond_with(200)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WebhookStatus.FAILED
    assert second.status == WebhookStatus.DELIVERED


def test_dispatch_sends_pending_deliveries_whose_enqueue_was_lost(hooked_storefront, webhook_receiver):
    # given outbox rows whose after-commit enqueue never ran (no on-commit callbacks are executed here)
    t0 = timezone.now()
    lost = [_enqueue(hooked_storefront, now=t0) for _ in range(3)]
    time.sleep(0.2)
    assert webhook_receiver.requests == []

    # when the beat dispatch runs
    assert services.webhooks_dispatch_due(now=t0 + timedelta(seconds=1)) == 3

    # then each is delivered once, and a second dispatch finds nothing to do
    requests = webhook_receiver.wait_for(3)
    assert sorted(r.headers["webhook-id"] for r in requests) == sorted(d.event_id for d in lost)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {WebhookStatus.DELIVERED}
    assert services.webhooks_dispatch_due(now=t0 + timedelta(seconds=2)) == 0


def test_dispatch_leaves_retries_that_are_not_due_yet(storefront):
    storefront.webhook_url = _closed_port_url()
    storefront.save()
    t0 = timezone.now()
    delivery = _enqueue(storefront, now=t0)
    services.webhook_deliver(delivery_id=delivery.pk, now=t0)

    assert services.webhooks_dispatch_due(now=t0 + timedelta(seconds=10)) == 0
    assert services.webhooks_dispatch_due(now=t0 + timedelta(seconds=30)) == 1


def test_resend_gives_a_failed_delivery_a_fresh_window(
    hooked_storefront, webhook_receiver, django_capture_on_commit_callbacks
):
    # given a delivery that was given up
    t0 = timezone.now() - timedelta(days=2)
    delivery = _enqueue(hooked_storefront, now=t0)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookStatus.FAILED, attempts=19)

    # when it is resent
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_resend(delivery=delivery)

    # then it is delivered again, signed, with a new 24-hour window
    (request,) = webhook_receiver.wait_for(1)
    assert request.headers["webhook-id"] == delivery.event_id
    assert verify_signature(hooked_storefront.webhook_secret, request)
    delivery.refresh_from_db()
    assert delivery.status == WebhookStatus.DELIVERED
    assert delivery.give_up_at > timezone.now() + timedelta(hours=23)


def test_a_redirect_is_not_counted_as_delivered(hooked_storefront, webhook_receiver):
    webhook_receiver.respond_with(302)
    delivery = _enqueue(hooked_storefront)

    assert services.webhook_deliver(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_a_reply_still_commits_and_goes_out_with_the_next_dispatch(
    team, agent, webhook_receiver, dead_broker
):
    # given a storefront with a webhook and the broker unreachable
    storefront = StorefrontFactory(webhook_url=webhook_receiver.url)
    ticket = make_ticket(storefront)

    # when an agent replies (a real commit; the after-commit publish fails)
    started = time.monotonic()
    services.ticket_reply(ticket=ticket, user=agent, body="We are on it")
    elapsed = time.monotonic() - started

    # then the reply is saved, the request was not held up, and the delivery waits in the outbox
    assert elapsed < 1.5
    assert Ticket.objects.get(pk=ticket.pk).messages.filter(body="We are on it").exists()
    delivery = WebhookDelivery.objects.get(event_type="ticket.replied")
    assert delivery.status == WebhookStatus.PENDING and delivery.attempts == 0
    assert webhook_receiver.requests == []

    # when the broker is back (eager again) and the beat dispatch runs
    celery_app.conf.task_always_eager = True
    assert services.webhooks_dispatch_due() >= 1

    # then the storefront gets the reply
    (request,) = webhook_receiver.wait_for(1)
    assert request.json["data"]["message"]["body"] == "We are on it"
    delivery.refresh_from_db()
    assert delivery.status == WebhookStatus.DELIVERED


def test_dispatch_stops_at_the_first_publish_failure(hooked_storefront, dead_broker):
    t0 = timezone.now()
    for _ in range(5):
        _enqueue(hooked_storefront, now=t0)

    started = time.monotonic()
    assert services.webhooks_dispatch_due(now=t0) == 0
    assert time.monotonic() - started < 1.5
    assert WebhookDelivery.objects.filter(status=WebhookStatus.PENDING).count() == 5


@pytest.mark.django_db(transaction=True)
def test_no_row_lock_or_transaction_is_held_while_the_storefront_answers(webhook_receiver):
    # given a storefront endpoint that, while answering, tries to lock the delivery row from another connection
    seen: list[str] = []

    def probe(request) -> None:
        try:
            with transaction.atomic():
                WebhookDelivery.objects.select_for_update(nowait=True).get(event_id=request.headers["webhook-id"])
            seen.append("free")
        except DatabaseError:
            seen.append("locked")
        finally:
            connection.close()

    webhook_receiver.on_request = probe
    storefront = StorefrontFactory(webhook_url=webhook_receiver.url)

    # when a delivery is sent (committed at once here, so the eager task runs right away)
    delivery = _enqueue(storefront)

    # then the row was free during the request, and the attempt was counted before it
    webhook_receiver.wait_for(1)
    assert seen == ["free"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookStatus.DELIVERED, 1)
