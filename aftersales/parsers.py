"""Request parsers of the API (settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]).

Kept free of rest_framework.views imports: DRF resolves these classes while importing its views module.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _has_lone_surrogate(value: Any) -> bool:
    """Whether a string anywhere in the parsed document (keys included) holds half of a UTF-16 surrogate pair, which
    JSON's \\u escapes can spell (\\ud800) but no text can be: it could be neither stored nor hashed."""
    if isinstance(value, str):
        if value.isascii():
            return False
        try:
            value.encode()
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(key) or _has_lone_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that what Python's decoder accepts but is still malformed is a 400 rather than a
    500 later on: nesting too deep for it (a RecursionError), and text with a lone surrogate. Malformed input of
    any kind never yields a 5xx."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            lone_surrogate = _has_lone_surrogate(data)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None
        if lone_surrogate:
            raise ParseError(_("JSON parse error - the text holds an unpaired surrogate (a \\ud800 escape)."))
        return data
