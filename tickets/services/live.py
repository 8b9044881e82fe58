"""Tell the pages open on a ticket that it changed (docs/live.md): one message per ticket per committed transaction,
sent through the channel layer (Redis pub/sub between processes) after the commit, so that a page never hears of an
event a rollback took back. The page then fetches what changed; the message carries only the newest event's id."""

import asyncio
import logging
import threading
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from tickets.models import TicketEvent

logger = logging.getLogger(__name__)


def ticket_group(ticket_id: int) -> str:
    """The channel layer group of the pages open on one ticket."""
    return f"ticket.{ticket_id}"


def live_publish_after_commit(events: Iterable[TicketEvent]) -> None:
    """Announce saved events once the transaction commits (at once outside a transaction)."""
    newest: dict[int, int] = {}
    for event in events:
        if event.pk is not None:
            newest[event.ticket_id] = max(newest.get(event.ticket_id, 0), event.pk)
    if newest:
        transaction.on_commit(lambda: live_publish(newest))


def live_publish(newest: dict[int, int]) -> None:
    """Send `ticket.changed` to each ticket's group. Never raises: the change is committed whatever happens here,
    and a page that misses a message catches up on its next one (or its fallback poll)."""

    async def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        for ticket_id, event_id in newest.items():
            await layer.group_send(ticket_group(ticket_id), {"type": "ticket.changed", "event_id": event_id})

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _send(send)
    else:
        # Called from a thread that runs an event loop (async code calling a service): async_to_sync cannot run
        # there, so the message goes from a short-lived thread.
        thread = threading.Thread(target=_send, args=(send,), daemon=True)
        thread.start()
        thread.join(timeout=5)


def _send(send: object) -> None:
    try:
        async_to_sync(send)()  # type: ignore[arg-type]
    except Exception:  # the channel layer (Redis) is down: the change stands, the pages poll
        logger.warning("live: could not announce a ticket change", exc_info=True)
