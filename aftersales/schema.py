"""The API's OpenAPI schema generator (settings.REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"])."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

# The security schemes of the schema's components, by who calls: storefronts with their API key; staff with a token
# or the browser's session.
STOREFRONT_AUTH = ("ApiKeyAuth",)
STAFF_AUTH = ("tokenAuth", "cookieAuth")


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, with two things it leaves out. A list of nested objects states its bounds (`minItems` for
    `allow_empty=False` or `min_length`, `maxItems` for `max_length`), as validation enforces them. And an operation
    lists only the credentials its view accepts (`openapi_auth`, a tuple of scheme names): every view runs every
    authenticator, so that a storefront's key on a staff endpoint is answered 403 (known, not allowed) rather than
    401, but a generated client must not be told it may call a staff endpoint with a key, or a storefront endpoint
    with a staff token."""

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        accepted = getattr(self.view, "openapi_auth", None)
        if accepted is None:
            return auths
        return [auth for auth in auths if set(auth) <= set(accepted)]

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            least = field.min_length if field.min_length is not None else (0 if field.allow_empty else 1)
            if least:
                schema["minItems"] = least
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        return schema
