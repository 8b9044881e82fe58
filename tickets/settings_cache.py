"""Settings-like rows (storefronts and their API keys, teams, routing rules, SLA and return policies) cached in the
process, checked against the database on every use.

Every ticket, return or complaint a storefront posts reads them, and they change a few times a month. A cached copy
is kept with the settings version it was read under (tickets.models.SettingsVersion, moved by a trigger in every
transaction that writes one of those tables) and used only while the version row still holds that value: one
single-row read by primary key instead of the ORM queries that load the rows. So processes never disagree about a
committed change (architecture.md forbids in-process caches that must agree; these never have to), and a rolled-back
change is seen by nobody.

A transaction that has itself changed settings reads them fresh, uncached: it sees its own uncommitted rows, which
nobody else may see, and two changes in one transaction would leave the version as it was after the first. Off
PostgreSQL (the SQLite of `make run`) there are no triggers, and nothing is cached.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.db import connection

from aftersales.db import prepared
from tickets.models import SettingsVersion

T = TypeVar("T")

_entries: dict[str, tuple[int, object]] = {}
_lock = threading.Lock()
# Within `one_version()`: the version read at its start (None: read fresh); outside it: _UNSET.
_UNSET = object()
_pinned: ContextVar[object] = ContextVar("settings_version_pinned", default=_UNSET)


def settings_version() -> int | None:
    """The committed settings version; None when nothing may be cached now (off PostgreSQL, no version row, or this
    transaction has changed settings)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            *prepared(
                f"SELECT value, value = txid_current_if_assigned() FROM {SettingsVersion._meta.db_table} "  # noqa: S608
                "WHERE id = 1"
            )
        )
        row = cursor.fetchone()
    if row is None or row[1]:
        return None
    return row[0]


def cached(name: str, load: Callable[[], T], *, keep_none: bool = True) -> T:
    """`load()`'s result, from the process's copy while the settings have not changed since it was read.

    `load` must read nothing but settings-like rows, and callers must not change what it returns (it is shared).
    With keep_none=False a None is not kept (lookups by a caller's input, such as an API key prefix: unknown ones
    would otherwise fill the cache)."""
    pinned = _pinned.get()
    version = settings_version() if pinned is _UNSET else pinned
    if version is None:
        return load()
    entry = _entries.get(name)
    if entry is not None and entry[0] == version:
        return entry[1]  # type: ignore[return-value]
    value = load()
    if value is not None or keep_none:
        with _lock:
            _entries[name] = (version, value)
    return value


@contextmanager
def one_version() -> Iterator[None]:
    """Every cached read in the block uses the settings version read once at its start.

    For a unit of work that changes no settings itself (a storefront's API call: its key, the routing, the SLA and
    return policies), one check instead of one per read; as if all its settings had been read at that instant."""
    token = _pinned.set(settings_version())
    try:
        yield
    finally:
        _pinned.reset(token)
