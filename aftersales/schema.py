"""The API's OpenAPI schema generator (settings.REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"])."""

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

from aftersales.money import decimal_pattern

# The security schemes of the schema's components, by who calls: storefronts with their API key; staff with a token
# or the browser's session.
STOREFRONT_AUTH = ("ApiKeyAuth",)
STAFF_AUTH = ("tokenAuth", "cookieAuth")
# Text patterns ([^\s] in Python's sense, which the fuzzer and DRF's trimming share: str.isspace()).
NO_NUL_PATTERN = r"^[^\u0000]*$"
NOT_EMPTY_PATTERN = r"^[^\u0000]+$"
NOT_BLANK_PATTERN = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's, with what it leaves out or says loosely, so that the schema says exactly what is served.

    - A list of nested objects states its bounds (`minItems` for `allow_empty=False` or `min_length`, `maxItems` for
      `max_length`), as validation enforces them.
    - An amount's pattern is the exact text validation accepts (aftersales.money.decimal_pattern): drf-spectacular's
      own lets "", "-" and "." through.
    - Text in a request says that it may hold no NUL character, and where it may not be blank, that it may not be
      blanks only: DRF refuses both.
    - A request body whose serializer refuses unknown fields (`refuses_unknown_fields`) says so:
      `additionalProperties: false`; an empty one is then kept as an empty object instead of being dropped.
    - A request body with fields of which exactly one must be given (`exactly_one_of`) says so with oneOf/required.
    - An operation lists only the credentials its view accepts (`openapi_auth`, a tuple of scheme names): every view
      runs every authenticator, so that a storefront's key on a staff endpoint is answered 403 (known, not allowed)
      rather than 401, but a generated client must not be told it may call a staff endpoint with a key, or a
      storefront endpoint with a staff token.
    """

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        accepted = getattr(self.view, "openapi_auth", None)
        if accepted is None:
            return auths
        return [auth for auth in auths if set(auth) <= set(accepted)]

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.DecimalField) and "pattern" in schema:
            schema["pattern"] = getattr(field, "pattern", None) or decimal_pattern(
                whole_digits=field.max_whole_digits, places=field.decimal_places, least=field.min_value
            )
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & set(schema)
            and not any(isinstance(validator, RegexValidator) for validator in field.validators)
        ):
            # DRF refuses a NUL character in any text (PostgreSQL's text cannot hold one), and text that is only
            # blanks where blank is not allowed (it trims them first): the schema says so too. drf-spectacular offers
            # a blank field's "" as a second alternative (oneOf), so there the pattern must not match "" as well.
            if field.allow_blank:
                schema["pattern"] = NOT_EMPTY_PATTERN
            elif field.trim_whitespace:
                schema["pattern"] = NOT_BLANK_PATTERN
            else:
                schema["pattern"] = NO_NUL_PATTERN
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            least = field.min_length if field.min_length is not None else (0 if field.allow_empty else 1)
            if least:
                schema["minItems"] = least
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        return schema

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        if direction == "request":
            # Fields of which exactly one must be given (`exactly_one_of`, groups of names), as the serializer's
            # validate() refuses both or neither.
            groups = getattr(serializer, "exactly_one_of", ())
            if groups:
                schema["allOf"] = [{"oneOf": [{"required": [name]} for name in group]} for group in groups]
        return schema
