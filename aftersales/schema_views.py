"""The schema's view (aftersales.urls). Apart from aftersales.schema, which drf-spectacular's views module imports
while loading (DEFAULT_SCHEMA_CLASS): importing its views from there would be circular."""

import threading
from typing import Any

from django.http import HttpRequest, HttpResponse
from drf_spectacular.views import SpectacularAPIView


class SchemaView(SpectacularAPIView):
    """`/api/schema/`: drf-spectacular's view, one generation at a time per process. Its generator keeps state in
    globals and class attributes (drf-spectacular issues 1122, 1123, 1368): two requests at once in a threaded
    server (gunicorn's gthread workers, runserver, the test suite's live server) could answer 500. A schema request
    is rare and takes well under a second; waiting for the one before it costs nothing."""

    _generating = threading.Lock()

    # dispatch rather than get: drf-spectacular's own `get` carries the decoration that leaves this view out of the
    # schema it serves.
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with self._generating:
            return super().dispatch(request, *args, **kwargs)
