"""The live ticket page's websocket (docs/live.md): `/ws/tickets/<reference>/`.

Signed in by the session cookie (channels' AuthMiddlewareStack); only staff who may see the ticket
(`selectors.ticket_get_for_user`) may subscribe, anyone else is refused before the handshake completes.

What travels (JSON):
- server to page: `{"type": "changed", "event_id": n}` when the ticket has a new event (the page fetches the new
  timeline), `{"type": "presence", "people": [{"name", "replying"}]}` with the others who have the page open.
- page to server: `{"type": "replying", "replying": true|false}` while the agent has a draft in the reply box.

Presence needs no storage: a page that opens says hello to the ticket's group, each page already there answers the
newcomer directly, and a page that closes says goodbye; the channel layer carries it between processes.
"""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404
from django.urls import path

from tickets import roles, selectors
from tickets.services.live import ticket_group
from tickets.signin import SECOND_FACTOR_PENDING

# The close code of a refused subscription (4000-4999: the application's own; 4403 reads as "forbidden").
REFUSED = 4403


@database_sync_to_async
def _visible_ticket_id(user: Any, session: Any, reference: str) -> int | None:
    """The ticket's id if this signed-in staff member may see it (the session reads the database: sync)."""
    if user is None or not user.is_authenticated or not roles.is_staff_member(user):
        return None
    if session is not None and session.get(SECOND_FACTOR_PENDING):
        return None
    try:
        return selectors.ticket_get_for_user(user=user, reference=reference).pk
    except Http404:
        return None


class TicketLiveConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        session = self.scope.get("session")
        reference = self.scope["url_route"]["kwargs"]["reference"]
        ticket_id = await _visible_ticket_id(user, session, reference)
        if ticket_id is None:
            await self.close(code=REFUSED)
            return
        self.group = ticket_group(ticket_id)
        self.reference = reference
        self.me = {
            "channel": self.channel_name,
            "user_id": user.pk,
            "name": user.get_full_name() or user.get_username(),
            "replying": False,
        }
        self.others: dict[str, dict[str, Any]] = {}
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.channel_layer.group_send(self.group, {"type": "presence.hello", **self.me})

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_send(self.group, {"type": "presence.bye", "channel": self.channel_name})
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.group is None or not isinstance(content, dict):
            return
        if content.get("type") == "replying":
            replying = content.get("replying") is True
            if replying != self.me["replying"]:
                self.me["replying"] = replying
                await self.channel_layer.group_send(self.group, {"type": "presence.update", **self.me})

    # Messages from the channel layer (their "type" with "." read as "_").

    async def ticket_changed(self, event: dict[str, Any]) -> None:
        # The change may have taken the ticket where this person no longer sees it (another team): then the page
        # hears no more of it, as a new subscription would be refused.
        if await _visible_ticket_id(self.scope.get("user"), self.scope.get("session"), self.reference) is None:
            await self.close(code=REFUSED)
            return
        await self.send_json({"type": "changed", "event_id": event["event_id"]})

    async def presence_hello(self, event: dict[str, Any]) -> None:
        if event["channel"] == self.channel_name:
            return
        self._remember(event)
        # Tell the newcomer who is already here.
        await self.channel_layer.send(event["channel"], {"type": "presence.update", **self.me})
        await self._send_presence()

    async def presence_update(self, event: dict[str, Any]) -> None:
        if event["channel"] == self.channel_name:
            return
        self._remember(event)
        await self._send_presence()

    async def presence_bye(self, event: dict[str, Any]) -> None:
        if self.others.pop(event["channel"], None) is not None:
            await self._send_presence()

    def _remember(self, event: dict[str, Any]) -> None:
        self.others[event["channel"]] = {
            "user_id": event["user_id"],
            "name": event["name"],
            "replying": bool(event["replying"]),
        }

    async def _send_presence(self) -> None:
        # One line per person (several tabs of one person count once), never oneself.
        people: dict[int, dict[str, Any]] = {}
        for other in self.others.values():
            if other["user_id"] == self.me["user_id"]:
                continue
            seen = people.setdefault(other["user_id"], {"name": other["name"], "replying": False})
            seen["replying"] = seen["replying"] or other["replying"]
        ordered = sorted(people.values(), key=lambda person: person["name"])
        await self.send_json({"type": "presence", "people": ordered})


websocket_urlpatterns = [
    path("ws/tickets/<str:reference>/", TicketLiveConsumer.as_asgi()),
]
