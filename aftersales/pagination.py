from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from aftersales.errors import InvalidInput


class StrictCursorPagination(CursorPagination):
    """DRF's cursor pagination, except that a cursor it cannot decode is malformed input: 400 on the `cursor`
    parameter, as on every list of the API, not DRF's 404 (the list exists; the parameter is wrong). So is a cursor
    that decodes but holds a position no row could have (base64 anyone can write): not a 500 from the query."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise InvalidInput(_("Invalid cursor."), field="cursor") from None

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValidationError, ValueError, OverflowError):
            raise InvalidInput(_("Invalid cursor."), field="cursor") from None


class CreatedCursorPagination(StrictCursorPagination):
    """Newest first; the cursor is stable while rows are added."""

    ordering = ("-created_at", "-id")


class DueCursorPagination(CreatedCursorPagination):
    """Soonest deadline first (finance's refunds): the cursor is stable while rows are added."""

    ordering = ("due_at", "id")
