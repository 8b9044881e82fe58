import contextlib
import logging
import math
import weakref
from typing import Any

from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

# One Redis client per connection pool of Django's Redis cache. Its `get_client` builds a new client object on every
# call (each with its own table of some 200 reply handlers, about a tenth of a storefront call's Python work); clients
# are thread-safe and hold no connection of their own, so one per pool serves every call.
_clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _writer(backend: Any) -> Any:
    pool = backend._get_connection_pool(write=True)
    client = _clients.get(pool)
    if client is None:
        client = _clients[pool] = backend._client(connection_pool=pool)
    return client


class ClientRateThrottle(SimpleRateThrottle):
    """One budget per storefront (across its keys) and per staff user; anonymous calls by address.

    A sliding-window counter: one counter per client and window in the cache, the previous window's count weighted by
    how much of it still overlaps the last `duration` seconds. DRF's own throttle keeps every request's timestamp in
    one cached list that each request reads, rewrites and pickles whole: at the default 6000/min that is a list of up
    to 6000 floats per request, on the hot path of every storefront call. Here a request costs an increment and a read.

    It fails open: when its cache (Redis) is unreachable the request goes through. A storefront's ticket, return or
    complaint posted while Redis is down must still be taken, its webhooks waiting in the outbox until Redis is back;
    a throttle is a guard against floods, not a reason to lose a customer's request.
    """

    scope = "client"

    def get_cache_key(self, request: Request, view: Any) -> str:
        storefront = getattr(request.user, "storefront", None)
        if storefront is not None:
            ident = f"storefront:{storefront.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        now = self.timer()
        window, into = divmod(now, self.duration)
        try:
            count, previous = self._counts(f"{key}:{int(window)}", f"{key}:{int(window) - 1}")
        except (RedisError, OSError):
            logger.warning("Throttle cache unreachable; letting the request through.")
            return True
        estimate = previous * (1 - into / self.duration) + count
        if estimate <= self.num_requests:
            return True
        with contextlib.suppress(ValueError, RedisError, OSError):
            self.cache.decr(f"{key}:{int(window)}")  # a refused call spends no budget
        # Until enough of the previous window has slid out (or, with none, until this window ends).
        if previous:
            needed = (estimate - self.num_requests) / previous * self.duration
            self._wait = max(1.0, min(self.duration - into, needed))
        else:
            self._wait = max(1.0, self.duration - into)
        return False

    def _counts(self, current: str, previous: str) -> tuple[int, int]:
        """This window's count with this call, and the previous window's."""
        backend = getattr(self.cache, "_cache", None)
        if not hasattr(backend, "get_client"):  # not Redis (the file cache of `make run`): the cache's own calls
            return self._increment(current), self.cache.get(previous, 0)
        # Django's Redis cache: the increment, its expiry and the read in one round trip. Django stores integers
        # as plain Redis integers, so INCR and GET see the same values as cache.incr / cache.get.
        current_key = self.cache.make_and_validate_key(current)
        pipeline = _writer(backend).pipeline(transaction=False)
        pipeline.incr(current_key)
        pipeline.expire(current_key, math.ceil(self.duration * 2))  # kept for two windows: the next one weighs it
        pipeline.get(self.cache.make_and_validate_key(previous))
        count, _expiry, earlier = pipeline.execute()
        return int(count), int(earlier or 0)

    def _increment(self, key: str) -> int:
        try:
            return self.cache.incr(key)
        except ValueError:  # the window's first request
            # Kept for two windows: the next window weighs this one.
            if self.cache.add(key, 1, math.ceil(self.duration * 2)):
                return 1
            return self.cache.incr(key)

    def wait(self) -> float:
        return self._wait
