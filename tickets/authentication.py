import hmac
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tickets import settings_cache
from tickets.keys import hash_key
from tickets.models import ApiKey, StaffToken, Storefront


class StorefrontPrincipal:
    """The request.user of a storefront's API call: authenticated, not a staff user."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, storefront: Storefront, api_key: ApiKey) -> None:
        self.storefront = storefront
        self.api_key = api_key

    def __str__(self) -> str:
        return f"storefront:{self.storefront.pk}"

    def get_username(self) -> str:
        return str(self)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>`; keys are looked up by prefix and compared by hash."""

    keyword = "Api-Key"

    def authenticate(self, request: Request) -> tuple[StorefrontPrincipal, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(self.keyword + " "):
            return None
        key = header[len(self.keyword) + 1 :].strip()
        prefix, dot, _secret = key.partition(".")
        if not dot or not prefix:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        # The key and the settings the call will read, in one round trip to the cache.
        settings_cache.prefetch(f"api_key:{prefix}", *settings_cache.STOREFRONT_CALL)
        api_key = settings_cache.cached(
            f"api_key:{prefix}",
            lambda: (
                ApiKey.objects.select_related("storefront")
                .filter(prefix=prefix, revoked_at__isnull=True, storefront__is_active=True)
                .first()
            ),
            keep_none=False,
        )
        if api_key is None or not hmac.compare_digest(api_key.hashed_key, hash_key(key)):
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        return StorefrontPrincipal(api_key.storefront, api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class StaffTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <token>` for staff scripts. DRF's header parsing, with the token looked up by its prefix
    and compared by hash (tickets.models.StaffToken) instead of stored in clear. Revocation counts from the next
    request: every call reads the row (with its user, in one query)."""

    model = StaffToken

    def authenticate_credentials(self, key: str) -> tuple[Any, StaffToken]:
        prefix, dot, _secret = key.partition(".")
        staff_token = None
        if dot and prefix:
            staff_token = (
                StaffToken.objects.select_related("user").filter(prefix=prefix, revoked_at__isnull=True).first()
            )
        if staff_token is None or not hmac.compare_digest(staff_token.hashed_key, hash_key(key)):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not staff_token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return staff_token.user, staff_token
