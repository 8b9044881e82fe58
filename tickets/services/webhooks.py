"""The webhook outbox and its sender.

A delivery row is written in the same transaction as the change it reports, so a rolled-back change sends
nothing and a committed one is never lost: if the broker is down when the transaction commits, the row stays
pending and the beat task `dispatch_due_webhooks` sends it once workers run again.
"""

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from tickets.models import Storefront, Ticket, WebhookDelivery, WebhookStatus

logger = logging.getLogger(__name__)

# Exponential backoff: 30 s, 1 min, 2 min, ... capped at 2 hours, until give_up_at.
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=2)
# While an attempt is under way its row is not due: longer than the request's own timeout.
ATTEMPT_LEASE = timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 20)


def sign(*, secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The Standard Webhooks signature header value: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _enqueue_send(delivery_id: int) -> bool:
    """Hand one delivery to a worker. False when the broker cannot be reached: the row stays pending and the next
    dispatch sends it. Publishing fails at once (no retries, see the Celery settings), so a web request whose
    transaction enqueued a webhook is never held up by a dead broker."""
    from tickets.tasks import deliver_webhook

    try:
        deliver_webhook.delay(delivery_id)
    except Exception:
        logger.warning("Could not enqueue webhook delivery %s; it will be sent by the next dispatch.", delivery_id)
        return False
    return True


def webhook_enqueue(
    *,
    storefront: Storefront,
    event_type: str,
    data: dict[str, Any],
    ordering_key: str = "",
    now: datetime | None = None,
) -> WebhookDelivery | None:
    """Write one event to the outbox of a storefront that has a webhook URL; sent after commit."""
    if not storefront.webhook_url:
        return None
    now = now or timezone.now()
    event_id = f"msg_{uuid.uuid4().hex}"
    payload = {"type": event_type, "id": event_id, "created_at": now.isoformat(), "data": data}
    delivery = WebhookDelivery.objects.create(
        storefront=storefront,
        event_id=event_id,
        event_type=event_type,
        ordering_key=ordering_key,
        payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
        next_attempt_at=now,
        give_up_at=now + settings.WEBHOOK_RETRY_FOR,
        created_at=now,
    )
    transaction.on_commit(lambda: _enqueue_send(delivery.pk))
    return delivery


def ticket_ref(ticket: Ticket) -> dict[str, Any]:
    """The ticket as webhooks name it."""
    return {"id": str(ticket.public_id), "reference": ticket.reference, "status": ticket.status}


def ticket_ordering_key(ticket: Ticket) -> str:
    """The ordering key of everything a storefront hears about one ticket, and about the return it belongs to:
    replies, the return's and its refunds' moves and the resolution arrive in the order they happened."""
    return f"ticket:{ticket.public_id}"


def _earlier_pending(delivery: WebhookDelivery) -> WebhookDelivery | None:
    """The oldest still-pending delivery with the same ordering key created before this one, if any."""
    if not delivery.ordering_key:
        return None
    return (
        WebhookDelivery.objects.filter(
            storefront_id=delivery.storefront_id,
            ordering_key=delivery.ordering_key,
            status=WebhookStatus.PENDING,
            pk__lt=delivery.pk,
        )
        .order_by("pk")
        .first()
    )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is not a delivery: following it would turn the POST into a GET and count a 200 from elsewhere as
    # delivered. The 3xx is recorded as a failed attempt instead, as Standard Webhooks senders do.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: str, headers: dict[str, str]) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:500]


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Take one due delivery for an attempt, or None. The attempt is counted and the next one pushed past the
    request's timeout before any HTTP happens: a duplicate task, or the dispatch sweep, then leaves the row alone
    while this attempt runs, and if the worker dies mid-request the row simply falls due again."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("storefront")
            .filter(pk=delivery_id, status=WebhookStatus.PENDING)
            .first()
        )
        if delivery is None:
            return None
        if delivery.attempts and delivery.next_attempt_at > now:
            # A retry enqueued twice (two dispatches while workers were busy), or an attempt still under way.
            return None
        earlier = _earlier_pending(delivery)
        if earlier is not None:
            # Per ordering key, events go out in order: wait for the earlier one, which enqueues this one when it is
            # settled. Waiting until its next attempt keeps the dispatch sweep from picking this row up meanwhile.
            if earlier.next_attempt_at > delivery.next_attempt_at:
                delivery.next_attempt_at = earlier.next_attempt_at
                delivery.save(update_fields=["next_attempt_at"])
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + ATTEMPT_LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return delivery


def webhook_deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Try to send one delivery. Safe to run twice: a delivered or failed row, one not due, or one another worker
    is sending, is left alone. Returns the delivery's status afterwards ("skipped" when it was not pending).

    No database transaction or row lock is held during the HTTP request: a slow storefront never holds up the
    writes of the rest of the application."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        status = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
        return WebhookStatus.PENDING if status == WebhookStatus.PENDING else "skipped"
    timestamp = int(now.timestamp())
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    headers = {
        "content-type": "application/json",
        "user-agent": "aftersales-webhooks/1",
        "webhook-id": delivery.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(
            secret=delivery.storefront.webhook_secret, msg_id=delivery.event_id, timestamp=timestamp, body=body
        ),
    }
    status_code, error = _post(delivery.storefront.webhook_url, body, headers)
    return _record(delivery, status_code=status_code, error=error, now=now)


@transaction.atomic
def _record(delivery: WebhookDelivery, *, status_code: int | None, error: str, now: datetime) -> str:
    delivery.last_status_code = status_code
    delivery.last_error = error
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = WebhookStatus.DELIVERED
        delivery.delivered_at = now
    else:
        delay = min(FIRST_RETRY * (2 ** (delivery.attempts - 1)), MAX_RETRY)
        delivery.next_attempt_at = now + delay
        if delivery.next_attempt_at > delivery.give_up_at:
            delivery.status = WebhookStatus.FAILED
    delivery.save(
        update_fields=["last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"],
    )
    # Settled either way (delivered, or given up): the next event of the same key may go now.
    if delivery.status != WebhookStatus.PENDING and delivery.ordering_key:
        following = (
            WebhookDelivery.objects.filter(
                storefront_id=delivery.storefront_id,
                ordering_key=delivery.ordering_key,
                status=WebhookStatus.PENDING,
                pk__gt=delivery.pk,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if following is not None:
            WebhookDelivery.objects.filter(pk=following, next_attempt_at__gt=now).update(next_attempt_at=now)
            transaction.on_commit(lambda: _enqueue_send(following))
    return delivery.status


def webhooks_dispatch_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue every pending delivery whose next attempt has come (retries and those the broker missed)."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(status=WebhookStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for delivery_id in ids:
        if not _enqueue_send(delivery_id):
            break  # the broker is down: the rest stay pending for the next dispatch
        sent += 1
    return sent


@transaction.atomic
def webhook_resend(*, delivery: WebhookDelivery, now: datetime | None = None) -> WebhookDelivery:
    """Send a delivery again (from the admin), with a fresh 24-hour retry window."""
    now = now or timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookStatus.PENDING, next_attempt_at=now, give_up_at=now + settings.WEBHOOK_RETRY_FOR
    )
    transaction.on_commit(lambda: _enqueue_send(delivery.pk))
    delivery.refresh_from_db()
    return delivery
