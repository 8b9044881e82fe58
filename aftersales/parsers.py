"""Request parsers of the API (settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]).

Kept free of rest_framework.views imports: DRF resolves these classes while importing its views module.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that nesting too deep for Python's decoder is a 400 rather than a RecursionError
    (a 500): malformed input of any kind never yields a 5xx."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None
