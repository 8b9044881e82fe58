"""Kombu's Redis transport, with one Redis client per channel for its commands.

Kombu's Redis channel builds a new client object for every message it publishes (`conn_or_acquire`), and building
one fills a table of some 200 reply handlers: about a twentieth of a storefront create's Python work. A client holds
no connection of its own (each command takes one from the pool and gives it back) and is thread-safe, so keeping one
per channel, built the same way and renewed whenever the channel's pool is, sends exactly the same commands.
Selected by `CELERY_BROKER_TRANSPORT` when the broker is Redis.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis


class Channel(redis.Channel):
    _kept_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        kept = self._kept_client
        if kept is None or kept.connection_pool is not self.pool:
            kept = self._kept_client = self._create_client()
        yield kept


class Transport(redis.Transport):
    Channel = Channel
