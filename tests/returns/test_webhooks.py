"""Return and refund webhooks: signed, in order per return, delivered after an outage of the receiver or the broker."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from aftersales.celery import app as celery_app
from returns import services
from returns.models import Refund, ReturnRequest
from tests.conftest import closed_port
from tests.receiver import verify_signature
from tests.returns.conftest import make_return
from tests.returns.test_api import recent_body
from tickets import services as ticket_services
from tickets.models import WebhookDelivery, WebhookStatus

pytestmark = pytest.mark.django_db


def _return_events(receiver, return_request):
    return [
        r.json["type"]
        for r in receiver.requests
        if r.json["type"].split(".")[0] in ("return", "refund")
        and r.json["data"]["return"]["id"] == str(return_request.public_id)
    ]


def _story(receiver, return_request):
    """Everything the storefront heard about the return and its ticket, in the order it arrived."""
    reference = return_request.ticket.reference
    return [
        r.json["type"]
        for r in receiver.requests
        if r.json["data"].get("return", {}).get("id") == str(return_request.public_id)
        or r.json["data"].get("ticket", {}).get("reference") == reference
    ]


def _deliver_due(now):
    """What the beat dispatch and the workers do once the backoff has passed: send every pending delivery."""
    for _round in range(20):
        pending = list(WebhookDelivery.objects.filter(status=WebhookStatus.PENDING).order_by("next_attempt_at", "pk"))
        if not pending:
            return
        for delivery in pending:
            ticket_services.webhook_deliver(delivery_id=delivery.pk, now=now)


def test_with_the_receiver_down_every_event_arrives_once_it_is_back_in_order(
    webhook_storefront, webhook_receiver, agent, finance_user, django_capture_on_commit_callbacks
):
    # given the storefront's receiver answering 503
    webhook_receiver.respond_with(503)

    # when a return goes its whole way
    with django_capture_on_commit_callbacks(execute=True):
        # (delivered two days ago: events stamped now, inside their 24-hour retry window)
        return_request = make_return(
            webhook_storefront, delivered=timezone.now() - timedelta(days=2), now=timezone.now()
        )
        services.return_ship(
            return_request=return_request, storefront=webhook_storefront, carrier="SF", tracking_number="1"
        )
        services.return_receive(return_request=return_request, user=agent)
        services.return_inspect(return_request=return_request, user=agent, passed=True)
        refund = Refund.objects.get(return_request=return_request)
        services.refund_issue(refund=refund, user=finance_user)
        ticket_services.ticket_reply(ticket=return_request.ticket, user=agent, body="Your refund is on its way.")
        services.refund_settle(refund=refund, status="succeeded", transaction_id="TX", storefront=webhook_storefront)

    # then nothing got through, and each later event waits for the first
    assert not WebhookDelivery.objects.filter(status=WebhookStatus.DELIVERED).exists()

    # when the receiver is back and the retries come due
    webhook_receiver.respond_with(204)
    webhook_receiver.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _deliver_due(timezone.now() + timedelta(hours=3))

    # then every event arrived once, signed, in the order it happened: the return's, its refund's and its ticket's
    assert _story(webhook_receiver, return_request) == [
        "return.approved",
        "return.received",
        "refund.requested",
        "ticket.replied",
        "refund.succeeded",
        "ticket.resolved",
        "return.completed",
    ]
    ids = [r.headers["webhook-id"] for r in webhook_receiver.requests]
    assert len(ids) == len(set(ids))
    assert all(verify_signature(webhook_storefront.webhook_secret, r) for r in webhook_receiver.requests)
    assert not WebhookDelivery.objects.exclude(status=WebhookStatus.DELIVERED).exists()


def test_rejections_cancellations_and_exchanges_are_announced(
    webhook_storefront, webhook_receiver, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rejected = make_return(webhook_storefront, order_id="SO-1", reason="changed_mind", unused=True, day=8)
        cancelled = make_return(webhook_storefront, order_id="SO-2")
        services.return_cancel(return_request=cancelled, storefront=webhook_storefront)
        exchanged = make_return(webhook_storefront, order_id="SO-3", resolution="exchange")
        services.return_ship(return_request=exchanged, storefront=webhook_storefront, carrier="SF", tracking_number="1")
        services.return_receive(return_request=exchanged, user=agent)
        services.return_inspect(return_request=exchanged, user=agent, passed=True)
        services.return_request_exchange(return_request=exchanged, user=agent, replacement_sku="KET-02")
    webhook_receiver.wait_for(7)
    assert _return_events(webhook_receiver, rejected) == ["return.rejected"]
    assert _return_events(webhook_receiver, cancelled) == ["return.approved", "return.cancelled"]
    assert _return_events(webhook_receiver, exchanged) == [
        "return.approved",
        "return.received",
        "return.exchange_requested",
        "return.completed",
    ]
    exchange = next(r.json for r in webhook_receiver.requests if r.json["type"] == "return.exchange_requested")
    assert exchange["data"]["replacement_sku"] == "KET-02"
    assert set(exchange) == {"type", "id", "created_at", "data"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_redis_down_a_return_is_still_created_and_announced_once_redis_is_back(
    webhook_storefront, webhook_receiver, dead_broker, settings
):
    # Redis is both the broker (dead_broker) and the throttle's cache
    dead_redis = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead_redis}}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {webhook_storefront.plain_key}")

    response = client.post("/api/v1/returns/", recent_body(), format="json")

    assert response.status_code == 201
    assert ReturnRequest.objects.filter(public_id=response.json()["id"]).exists()
    delivery = WebhookDelivery.objects.get(event_type="return.approved")
    assert delivery.status == WebhookStatus.PENDING
    assert webhook_receiver.requests == []

    # when Redis is back and the beat dispatch runs
    celery_app.conf.task_always_eager = True
    assert ticket_services.webhooks_dispatch_due() >= 1
    (request,) = webhook_receiver.wait_for(1)
    assert request.json["type"] == "return.approved"
    assert request.json["data"]["return"]["id"] == response.json()["id"]
