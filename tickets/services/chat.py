"""Chat robots (automation.md, "Chat robots"): WeCom, DingTalk and Feishu group robots and a generic JSON endpoint.

A message is a `ChatDelivery` row written in the transaction of what raised it (an alert, a `notify` action), so a
rolled-back change posts nothing; a Celery task posts it after commit and retries with backoff, and the beat
dispatch picks up what the broker missed, exactly as webhook deliveries. The body is built at each attempt in the
channel's format: DingTalk and Feishu sign the time of sending and refuse a stale signature.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
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


# Markdown (WeCom, DingTalk) and lark_md (Feishu) read these as markup: links, images, HTML, mentions (<at>),
# emphasis, headings, quotes, tables. Text from customers (a subject, a name) must show as typed and never link
# anywhere, so each is replaced by its full-width twin, which reads the same to a person.
_MARKUP = {ord(char): ord(char) + 0xFEE0 for char in "[]()<>*_`#!|~\\"}  # ASCII -> its full-width form


def markdown_safe(text: str) -> str:
    return text.translate(_MARKUP)


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def host_refused(host: str | None, *, resolve: bool) -> bool:
    """A chat robot lives on the internet: loopback, private, link-local (cloud metadata), reserved and multicast
    addresses are refused, so a channel cannot make the server call into its own network (SSRF). Checked on the
    literal host when the channel is saved, and on every address the name resolves to before each post."""
    if settings.CHAT_ALLOW_PRIVATE_HOSTS:
        return False
    host = (host or "").strip("[]").lower().rstrip(".")
    if not host or host == "localhost" or host.endswith(".localhost") or host.isdigit():
        return True
    try:
        return _refused_address(host)
    except ValueError:
        pass  # a name, not an address
    if not resolve:
        return False
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except OSError:
        return False  # unknown name: the post itself fails and is retried
    return any(_refused_address(address) for address in addresses)


def chat_message(
    *, kind: str, title: str, text: str, link: str, language: str, secret: str = "", url: str = "", now_s: float
) -> tuple[str, dict[str, Any]]:
    """The URL to post to and the JSON body, in the documented format of the channel's kind."""
    with translation.override(language):
        open_label = _("Open")
    if kind != ChatKind.GENERIC:
        title, text = markdown_safe(title), markdown_safe(text)
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
    try:
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        raise InvalidInput(_("Enter a valid http(s) URL for the chat robot."), field=field) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise InvalidInput(_("Enter a valid http(s) URL for the chat robot."), field=field)
    if host_refused(parts.hostname, resolve=False):
        raise InvalidInput(
            _("A chat robot's URL must be on the internet, not a local or private address."), field=field
        )
    if kind not in ChatKind.values:
        raise InvalidInput(_("Unknown chat kind %(value)s.") % {"value": kind}, field="kind")


def chat_channel_save(*, data: dict[str, Any], channel: ChatChannel | None = None) -> ChatChannel:
    """Create or replace a chat channel from the desk API's shape {"name", "kind", "url", "secret", "language",
    "active"}; InvalidInput naming the field, nothing saved, when anything is wrong."""
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(_("Give the channel a name."), field="name")
    kind = data.get("kind")
    if kind not in ChatKind.values:
        raise InvalidInput(_("Unknown chat kind %(value)s.") % {"value": kind}, field="kind")
    url = data.get("url")
    if not isinstance(url, str):
        raise InvalidInput(_("Enter a valid http(s) URL for the chat robot."), field="url")
    chat_channel_check_url(kind=kind, url=url.strip())
    secret = data.get("secret") or ""
    if not isinstance(secret, str) or len(secret) > 200:
        raise InvalidInput(_("The secret is text of at most 200 characters."), field="secret")
    language = data.get("language", "zh-hans")
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Unknown language %(value)s.") % {"value": language}, field="language")
    active = data.get("active", True)
    if not isinstance(active, bool):
        raise InvalidInput(_("true or false."), field="active")
    with transaction.atomic():
        others = ChatChannel.objects.filter(name=name.strip())
        if channel is not None:
            others = others.exclude(pk=channel.pk)
        if others.exists():
            raise InvalidInput(_("A channel with this name exists already."), field="name")
        channel = channel or ChatChannel()
        channel.name, channel.kind, channel.url = name.strip()[:100], kind, url.strip()
        channel.secret, channel.language, channel.is_active = secret.strip(), language, active
        channel.save()
    return channel


def chat_channel_as_json(channel: ChatChannel) -> dict[str, Any]:
    """The channel as the desk API shows it; the secret is never shown back, only whether there is one."""
    return {
        "id": channel.pk,
        "name": channel.name,
        "kind": channel.kind,
        "url": channel.url,
        "has_secret": bool(channel.secret),
        "language": channel.language,
        "active": channel.is_active,
    }


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
        # Only the robot's error code is kept: what else it answered is not ours to store.
        return f"refused by the robot: error code {str(code)[:20]}"
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
    if host_refused(urllib.parse.urlsplit(channel.url).hostname, resolve=True):
        return _record(delivery, status_code=None, error="refused: local or private address", now=now, final=True)
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
def _record(delivery: ChatDelivery, *, status_code: int | None, error: str, now: datetime, final: bool = False) -> str:
    delivery.last_status_code = status_code
    delivery.last_error = error
    if not error and status_code is not None and 200 <= status_code < 300:
        delivery.status = WebhookStatus.DELIVERED
        delivery.delivered_at = now
    else:
        delivery.next_attempt_at = now + min(FIRST_RETRY * (2 ** (delivery.attempts - 1)), MAX_RETRY)
        if final or delivery.next_attempt_at > delivery.give_up_at:
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
