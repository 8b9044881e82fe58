from base64 import b64decode
from typing import Any
from urllib import parse

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from aftersales.errors import InvalidInput

# What DRF's CursorPagination.encode_cursor writes: offset, reverse, position.
CURSOR_KEYS = {"o", "r", "p"}


def _invalid() -> InvalidInput:
    return InvalidInput(_("Invalid cursor."), field="cursor")


class StrictCursorPagination(CursorPagination):
    """DRF's cursor pagination, except that a cursor it cannot decode is malformed input: 400 on the `cursor`
    parameter, as on every list of the API, not DRF's 404 (the list exists; the parameter is wrong). So is a cursor
    that decodes but holds a position no row could have (base64 anyone can write): not a 500 from the query."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Request) -> Any:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise _invalid() from None
        if cursor is not None:
            # DRF takes any base64 text for a cursor and skips what it does not know in it: "bm9uc2Vuc2U=" (that is,
            # "nonsense") would be the first page again. A cursor it made holds its own keys and nothing else.
            encoded = request.query_params[self.cursor_query_param]
            tokens = parse.parse_qs(b64decode(encoded.encode("ascii")).decode("ascii"), keep_blank_values=True)
            if not tokens or not set(tokens) <= CURSOR_KEYS:
                raise _invalid()
        return cursor

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValidationError, ValueError, OverflowError):
            raise _invalid() from None


class CreatedCursorPagination(StrictCursorPagination):
    """Newest first; the cursor is stable while rows are added."""

    ordering = ("-created_at", "-id")


class DueCursorPagination(CreatedCursorPagination):
    """Soonest deadline first (finance's refunds): the cursor is stable while rows are added."""

    ordering = ("due_at", "id")
