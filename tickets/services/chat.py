"""Chat robots (automation.md, "Chat robots"): WeCom, DingTalk and Feishu group robots and a generic JSON endpoint.

A message is a `ChatDelivery` row written in the transaction of what raised it (an alert, a `notify` action), so a
rolled-back change posts nothing; a Celery task posts it after commit and retries with backoff, and the beat
dispatch picks up what the broker missed, exactly as webhook deliveries. The body is built at each attempt in the
channel's format: DingTalk and Feishu sign the time of sending and refuse a stale signature.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.errors import InvalidInput
from tickets.models import ChatChannel, ChatDelivery, ChatKind, Ticket, WebhookStatus
from tickets.services.webhooks import _opener

logger = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
RETRY_FOR = timedelta(hours=6)
ATTEMPT_LEASE = timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 20)


def dingtalk_sign(*, secret: str, timestamp_ms: int) -> str:
    """DingTalk's custom robot signature: base64 of HMAC-SHA256 keyed with the secret over "{timestamp}\\n{secret}",
    URL-encoded (it goes in the query string with `timestamp`)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(*, secret: str, timestamp: int) -> str:
    """Feishu's custom bot signature: base64 of HMAC-SHA256 keyed with "{timestamp}\\n{secret}" over an empty
    message (it goes in the body with `timestamp`)."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def chat_message(
    *, kind: str, title: str, text: str, link: str, language: str, secret: str = "", url: str = "", now_s: float
) -> tuple[str, dict[str, Any]]:
    """The URL to post to and the JSON body, in the documented format of the channel's kind."""
    with translation.override(language):
        open_label = _("Open")
    link_md = f"\n\n[{open_label}]({link})" if link else ""
    if kind == ChatKind.WECOM:
        return url, {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}{link_md}"}}
    if kind == ChatKind.DINGTALK:
        body = {"msgtype": "markdown", "markdown": {"title": title, "text": f"#### {title}\n\n{text}{link_md}"}}
        if secret:
            timestamp_ms = int(now_s * 1000)
            separator = "&" if urllib.parse.urlsplit(url).query else "?"
            sign = dingtalk_sign(secret=secret, timestamp_ms=timestamp_ms)
            url = f"{url}{separator}timestamp={timestamp_ms}&sign={sign}"
        return url, body
    if kind == ChatKind.FEISHU:
        elements: list[dict[str, Any]] = [{"tag": "div", "text": {"tag": "lark_md", "content": text}}]
        if link:
            elements.append(
                {
                    "tag": "action",
                    "actions": [
                        {
                            "tag": "button",
                            "text": {"tag": "plain_text", "content": open_label},
                            "url": link,
                            "type": "primary",
                        }
                    ],
                }
            )
        body = {
            "msg_type": "interactive",
            "card": {"header": {"title": {"tag": "plain_text", "content": title}}, "elements": elements},
        }
        if secret:
            timestamp = int(now_s)
            body = {"timestamp": str(timestamp), "sign": feishu_sign(secret=secret, timestamp=timestamp), **body}
        return url, body
    return url, {"title": title, "text": text, "link": link, "language": language}


def chat_channel_check_url(*, kind: str, url: str, field: str = "url") -> None:
    """A chat URL must be an absolute http(s) URL with a host: 400 naming the field otherwise."""
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise InvalidInput(_("Enter a valid http(s) URL for the chat robot."), field=field)
    if kind not in ChatKind.values:
        raise InvalidInput(_("Unknown chat kind %(value)s.") % {"value": kind}, field="kind")


def site_link(path: str) -> str:
    base = getattr(settings, "SITE_URL", "") or ""
    return base.rstrip("/") + path if base else path


def ticket_link(ticket: Ticket) -> str:
    from django.urls import reverse

    return site_link(reverse("tickets:ticket", args=[ticket.reference]))


def chat_post(
    *,
    channel: ChatChannel,
    title: str,
    text: str,
    link: str = "",
    ticket: Ticket | None = None,
    now: datetime | None = None,
) -> ChatDelivery:
    """Queue one message to a chat channel; posted after commit, retried until RETRY_FOR has passed."""
    now = now or timezone.now()
    delivery = ChatDelivery.objects.create(
        channel=channel,
        ticket=ticket,
        title=title[:200],
        text=text,
        link=link[:500],
        next_attempt_at=now,
        give_up_at=now + RETRY_FOR,
        created_at=now,
    )
    transaction.on_commit(lambda: _enqueue_send(delivery.pk))
    return delivery


def _enqueue_send(delivery_id: int) -> bool:
    from tickets.tasks import deliver_chat_message

    try:
        deliver_chat_message.delay(delivery_id)
    except Exception:
        logger.warning("Could not enqueue chat delivery %s; it will be sent by the next dispatch.", delivery_id)
        return False
    return True


def _claim(delivery_id: int, now: datetime) -> ChatDelivery | None:
    """Take a due delivery for one attempt (counted, and leased past the request's timeout before any HTTP), so a
    duplicate task or the dispatch leaves it alone meanwhile."""
    with transaction.atomic():
        delivery = (
            ChatDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("channel")
            .filter(pk=delivery_id, status=WebhookStatus.PENDING)
            .first()
        )
        if delivery is None or (delivery.attempts and delivery.next_attempt_at > now):
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + ATTEMPT_LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return delivery


def _refused(status_code: int | None, response_body: str) -> str:
    """The robots answer HTTP 200 with an error code in the body when they refuse (a bad signature, a keyword)."""
    try:
        answer = json.loads(response_body or "{}")
    except ValueError:
        return ""
    if not isinstance(answer, dict):
        return ""
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, None, "0"):
        return f"{code}: {answer.get('errmsg') or answer.get('msg') or ''}"[:500]
    return ""


def chat_deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Post one delivery; safe to run twice (a settled or leased row is left alone). No transaction is held
    during the HTTP request."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        status = ChatDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
        return WebhookStatus.PENDING if status == WebhookStatus.PENDING else "skipped"
    channel = delivery.channel
    url, body = chat_message(
        kind=channel.kind,
        title=delivery.title,
        text=delivery.text,
        link=delivery.link,
        language=channel.language,
        secret=channel.secret,
        url=channel.url,
        now_s=time.time(),
    )
    status_code, error, answer = _post_with_answer(url, json.dumps(body, ensure_ascii=False))
    if not error and status_code is not None and 200 <= status_code < 300:
        error = _refused(status_code, answer)
    return _record(delivery, status_code=status_code, error=error, now=now)


def _post_with_answer(url: str, body: str) -> tuple[int | None, str, str]:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"content-type": "application/json; charset=utf-8"}, method="POST"
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, "", response.read(65536).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}", ""
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:500], ""


@transaction.atomic
def _record(delivery: ChatDelivery, *, status_code: int | None, error: str, now: datetime) -> str:
    delivery.last_status_code = status_code
    delivery.last_error = error
    if not error and status_code is not None and 200 <= status_code < 300:
        delivery.status = WebhookStatus.DELIVERED
        delivery.delivered_at = now
    else:
        delivery.next_attempt_at = now + min(FIRST_RETRY * (2 ** (delivery.attempts - 1)), MAX_RETRY)
        if delivery.next_attempt_at > delivery.give_up_at:
            delivery.status = WebhookStatus.FAILED
    delivery.save(update_fields=["last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"])
    return delivery.status


def chat_dispatch_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue every pending chat delivery whose next attempt has come (retries, and those the broker missed)."""
    now = now or timezone.now()
    ids = list(
        ChatDelivery.objects.filter(status=WebhookStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for delivery_id in ids:
        if not _enqueue_send(delivery_id):
            break
        sent += 1
    return sent
