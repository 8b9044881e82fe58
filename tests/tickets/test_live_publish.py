"""Ticket events are announced to the pages open on the ticket after the commit, once per ticket and transaction,
and never for a change a rollback took back (tickets/services/live.py)."""

import pytest
from django.db import transaction

from tests.factories import make_ticket
from tickets import services
from tickets.services import live

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced(monkeypatch) -> list[dict[int, int]]:
    calls: list[dict[int, int]] = []
    monkeypatch.setattr(live, "live_publish", lambda newest: calls.append(dict(newest)))
    return calls


def test_a_reply_is_announced_after_the_commit_with_its_newest_event(
    storefront, agent, announced, django_capture_on_commit_callbacks
):
    ticket = make_ticket(storefront)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="On its way", status="pending")
        # nothing is announced before the commit
        assert announced == []
    # one message for the ticket, naming its newest event (the reply and the status change were one transaction)
    newest = ticket.events.order_by("-pk").first().pk
    assert announced[-1] == {ticket.pk: newest}


def test_a_change_rolled_back_is_never_announced(storefront, agent, announced, django_capture_on_commit_callbacks):
    ticket = make_ticket(storefront)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_add_note(ticket=ticket, user=agent, body="Never kept")
        raise RuntimeError("rolled back")
    assert announced == []


def test_a_publish_with_the_channel_layer_away_never_fails_the_write(storefront, agent, settings, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 1}]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        live.live_publish({1: 2})
    finally:
        channel_layers.backends.clear()
    assert "could not announce" in caplog.text
