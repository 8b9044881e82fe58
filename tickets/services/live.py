"""Tell the pages open on a ticket that it changed (docs/live.md): one message per ticket per committed transaction,
sent through the channel layer (Redis pub/sub between processes) after the commit, so that a page never hears of an
event a rollback took back. The page then fetches what changed; the message carries only the newest event's id.

Sync code (a request, a task, a command) reaches the channel layer's asyncio API through one event loop per process,
kept in a daemon thread: its Redis connection is opened once and reused, where `async_to_sync` would start a loop and
a connection for every message. The in-memory layer (`make run` without Redis) lives in the server's own loop instead,
which `async_to_sync` reaches from a request's thread.
"""

import asyncio
import logging
import os
import threading
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from tickets.models import TicketEvent

logger = logging.getLogger(__name__)

# How long a write waits for its announcement to leave (a down Redis is refused at once; see CHANNEL_LAYERS).
PUBLISH_TIMEOUT_SECONDS = 3

_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None
_loop_lock = threading.Lock()


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
    and a page that misses a message catches up on its next one (or its fallback check)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if isinstance(layer, InMemoryChannelLayer):
            _send_in_process(layer, newest)
        else:
            future = asyncio.run_coroutine_threadsafe(_send(layer, newest), _publisher_loop())
            future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
    except Exception:  # the channel layer (Redis) is away: the change stands, the pages check by themselves
        logger.warning("live: could not announce a ticket change", exc_info=True)


async def _send(layer: Any, newest: dict[int, int]) -> None:
    for ticket_id, event_id in newest.items():
        await layer.group_send(ticket_group(ticket_id), {"type": "ticket.changed", "event_id": event_id})


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """This process's publishing loop, started on first use (and again in a forked child, which has no threads)."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="live-publisher", daemon=True).start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def _send_in_process(layer: Any, newest: dict[int, int]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(_send)(layer, newest)
        return
    # Called from a thread that runs an event loop itself: async_to_sync cannot run there.
    thread = threading.Thread(target=async_to_sync(_send), args=(layer, newest), daemon=True)
    thread.start()
    thread.join(timeout=PUBLISH_TIMEOUT_SECONDS)
