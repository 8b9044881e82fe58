import logging
from typing import Any

from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class ClientRateThrottle(SimpleRateThrottle):
    """One budget per storefront (across its keys) and per staff user; anonymous calls by address.

    A fixed-window counter in Django's cache, as small as a rate limiter gets: the window's counter is counted
    (`cache.incr`), created with its expiry by the window's first request (`cache.add`), so a request costs one cache
    call whatever the rate. DRF's
    own SimpleRateThrottle keeps a list of every request's timestamp instead, which at thousands a minute is a large
    value read and rewritten on every storefront call.

    It fails open: when its cache (Redis) is unreachable the request goes through. A storefront's ticket, return or
    complaint posted while Redis is down must still be taken; a throttle guards against floods, it is no reason to
    lose a customer's request.
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
        now = self.timer()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request, view)}:{window}"
        try:
            count = self._count(key)
        except (RedisError, OSError):
            logger.warning("Throttle cache unreachable; letting the request through.")
            return True
        self._wait = max(1.0, (window + 1) * self.duration - now)
        return count <= self.num_requests

    def _count(self, key: str) -> int:
        # The window's first request creates its counter (with the expiry); every other one only counts.
        for _attempt in range(2):
            try:
                return self.cache.incr(key)
            except ValueError:
                self.cache.add(key, 0, self.duration + 1)
        return 1

    def wait(self) -> float:
        return self._wait
