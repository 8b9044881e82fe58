"""Every task of tickets/tasks.py, run twice through Celery (eager): the second run changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_ticket
from tickets import services, tasks
from tickets.models import EventKind, IdempotencyRecord, Status, TicketEvent, WebhookDelivery, WebhookStatus

pytestmark = pytest.mark.django_db


def run(task, *args: object) -> object:
    return task.delay(*args).get()


def _resolved(storefront, agent, *, days_ago: float):
    opened = timezone.now() - timedelta(days=days_ago, hours=2)
    ticket = make_ticket(storefront, now=opened)
    services.ticket_change_status(
        ticket=ticket, status=Status.RESOLVED, user=agent, now=timezone.now() - timedelta(days=days_ago)
    )
    return ticket


def test_auto_close_closes_tickets_resolved_over_7_days_ago_once(storefront, agent):
    # given one ticket resolved 8 days ago and one resolved 6 days ago
    old = _resolved(storefront, agent, days_ago=8)
    recent = _resolved(storefront, agent, days_ago=6)

    # when the beat task runs twice
    first = run(tasks.auto_close_resolved_tickets)
    second = run(tasks.auto_close_resolved_tickets)

    # then the old one is closed, once, with one event; the recent one is still resolved
    assert (first, second) == (1, 0)
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == Status.CLOSED and old.closed_at is not None
    assert recent.status == Status.RESOLVED and recent.closed_at is None
    closing = TicketEvent.objects.filter(ticket=old, kind=EventKind.STATUS_CHANGED, data__to=Status.CLOSED)
    assert closing.count() == 1
    assert closing.get().data["reason"] == "auto_close"
    assert not TicketEvent.objects.filter(ticket=recent, data__to=Status.CLOSED).exists()


def test_deliver_webhook_twice_sends_once(storefront, webhook_receiver):
    storefront.webhook_url = webhook_receiver.url
    storefront.save()
    delivery = services.webhook_enqueue(storefront=storefront, event_type="ticket.replied", data={"n": 1})

    assert run(tasks.deliver_webhook, delivery.pk) == WebhookStatus.DELIVERED
    assert run(tasks.deliver_webhook, delivery.pk) == "skipped"

    assert len(webhook_receiver.wait_for(1)) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_dispatch_due_webhooks_twice_sends_each_once(storefront, webhook_receiver):
    # given two outbox rows whose enqueue was lost (no after-commit callbacks run in this test)
    storefront.webhook_url = webhook_receiver.url
    storefront.save()
    for n in range(2):
        services.webhook_enqueue(storefront=storefront, event_type="ticket.replied", data={"n": n})

    assert run(tasks.dispatch_due_webhooks) == 2
    assert run(tasks.dispatch_due_webhooks) == 0

    assert len(webhook_receiver.wait_for(2)) == 2
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(WebhookStatus.DELIVERED, 1)}


def test_purge_idempotency_records_removes_only_expired_ones_once():
    now = timezone.now()
    for key, age in (("old", timedelta(hours=25)), ("fresh", timedelta(hours=1))):
        IdempotencyRecord.objects.create(
            owner="storefront:1", key=key, fingerprint="f", status_code=201, body={}, created_at=now - age
        )

    assert run(tasks.purge_idempotency_records) == 1
    assert run(tasks.purge_idempotency_records) == 0

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
