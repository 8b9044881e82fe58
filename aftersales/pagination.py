from rest_framework.pagination import CursorPagination


class CreatedCursorPagination(CursorPagination):
    """Newest first; the cursor is stable while rows are added."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class DueCursorPagination(CreatedCursorPagination):
    """Soonest deadline first (finance's refunds): the cursor is stable while rows are added."""

    ordering = ("due_at", "id")
