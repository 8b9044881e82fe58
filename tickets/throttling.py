from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    """One budget per storefront (across its keys) and per staff user; anonymous calls by address."""

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
