"""Settings-like rows that every storefront call reads (API keys, routing rules, SLA policies, the agents a team may
give tickets to, return policies), kept in Django's cache: Redis in production, shared by every process.

Every committed change to a settings-like row moves the settings generation, a value in the cache (after commit: the
signal handlers connected in `connect()`, and `settings_changed()` called by the services that write those rows with
QuerySet.update). An entry is stored with the generation that was current before its rows were read, and used only
while the generation is still that one; entry and generation come back in one cache round trip. So once a change has
committed and moved the generation, no process uses a copy read before it, and a copy read while the change was
committing is stored under the old generation, where nobody takes it.

A transaction that has changed settings itself reads them from the database until it ends: it sees its own
uncommitted rows, which must reach no cache (it may yet roll back). Within one web request each entry is fetched once:
a request works with the settings as they were when it first needed them.

Writes that bypass Django's models (SQL by hand) are seen when the entries expire, after SETTINGS_CACHE_SECONDS. With
the cache unreachable, the rows are read from the database.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")
GENERATION = "settings:generation"
_MISSING = object()
# Per thread: `changing` while its transaction has changed settings, until that transaction ends; `memo`, the entries
# the current web request has fetched.
_local = threading.local()
# What a cache that cannot be reached raises (Redis), or a file cache that cannot be written.
CACHE_ERRORS = (RedisError, OSError)


def cached(name: str, load: Callable[[], T], *, keep_none: bool = True) -> T:
    """`load()`'s result, from the cache while no setting has changed since it was stored. `load` reads settings-like
    rows only, and callers do not change what it returns. With keep_none=False a None is not stored (a lookup by the
    caller's input, such as an API key's prefix: unknown ones would fill the cache)."""
    if getattr(_local, "changing", False):
        if connection.in_atomic_block:
            return load()
        _local.changing = False  # that transaction has ended: committed (the generation moved) or rolled back
    memo = getattr(_local, "memo", None)
    if memo is not None and name in memo:
        return memo[name]
    value = _fetch(name, load, keep_none=keep_none)
    if memo is not None:
        memo[name] = value
    return value


# The entries a storefront's call is likely to need, fetched with its API key (other apps add theirs in ready()).
STOREFRONT_CALL = ["routing", "sla_policies", "triggers"]


def prefetch(*names: str) -> None:
    """Fetch these entries for the current request in one cache round trip (a storefront call fetches what its
    create will need with its API key); a later `cached()` of one of them then takes it from the request's memo,
    or loads it if it was missing or out of date."""
    memo = getattr(_local, "memo", None)
    if memo is None or getattr(_local, "changing", False):
        return
    wanted = [name for name in names if name not in memo]
    try:
        found = cache.get_many([GENERATION, *(f"settings:{name}" for name in wanted)])
    except CACHE_ERRORS:
        return
    generation = found.get(GENERATION)
    for name in wanted:
        entry = found.get(f"settings:{name}", _MISSING)
        if generation is not None and entry is not _MISSING and entry[0] == generation:
            memo[name] = entry[1]


def _fetch(name: str, load: Callable[[], T], *, keep_none: bool) -> T:
    key = f"settings:{name}"
    try:
        found = cache.get_many([GENERATION, key])
    except CACHE_ERRORS:
        logger.warning("Settings cache unreachable; reading %s from the database.", name)
        return load()
    generation = found.get(GENERATION)
    if generation is None:
        generation = _new_generation()
    entry = found.get(key, _MISSING)
    if entry is not _MISSING and entry[0] == generation:
        return entry[1]
    value = load()
    if value is not None or keep_none:
        with contextlib.suppress(*CACHE_ERRORS):
            cache.set(key, (generation, value), settings.SETTINGS_CACHE_SECONDS)
    return value


def _new_generation() -> Any:
    # A value no earlier generation had (the cache may have evicted the key): entries stored before never match it.
    generation = time.time_ns()
    with contextlib.suppress(*CACHE_ERRORS):
        cache.set(GENERATION, generation, None)
    return generation


def settings_changed() -> None:
    """A settings-like row is being changed in this transaction: once it commits, every cached copy is out of date.
    (Nothing happens if it rolls back.)"""
    _local.changing = True
    _local.memo = None
    transaction.on_commit(_new_generation)


def _changed(sender: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in, not a change of who may be given tickets
    settings_changed()


def _members_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        settings_changed()


def _request_started(**kwargs: Any) -> None:
    _local.memo = {}


def _request_finished(**kwargs: Any) -> None:
    _local.memo = None


def connect(*models: Any, memberships: tuple[Any, ...] = ()) -> None:
    """Move the generation whenever one of `models` is saved or deleted, or one of the `memberships` (many-to-many
    relations) changes. Called from the apps' ready()."""
    from django.core.signals import request_finished, request_started
    from django.db.models.signals import m2m_changed, post_delete, post_save

    request_started.connect(_request_started, dispatch_uid="settings_cache.request_started")
    request_finished.connect(_request_finished, dispatch_uid="settings_cache.request_finished")

    for model in models:
        post_save.connect(_changed, sender=model, dispatch_uid=f"settings_cache.save.{model._meta.label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"settings_cache.delete.{model._meta.label}")
    for through in memberships:
        m2m_changed.connect(_members_changed, sender=through, dispatch_uid=f"settings_cache.m2m.{through._meta.label}")
