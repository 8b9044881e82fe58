"""Domain errors and the one place that turns errors into the API's JSON error format.

Format: {"type": "<code>", "detail": "<sentence>", "errors": {"<field path>": ["<message>"]}}
(`errors` only for validation).
"""

import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A business rule refused the request. Shown to API clients and desk users as is."""

    status_code = status.HTTP_400_BAD_REQUEST
    type = "invalid"
    # More members of the error body, for errors that carry what the client needs to decide (e.g. `new_events`).
    extra: dict[str, Any] | None = None

    def __init__(self, message: Any, *, field: str | None = None, errors: dict[str, list[str]] | None = None):
        super().__init__(str(message))
        self.message = message
        self.errors = errors or ({field: [str(message)]} if field else None)


class InvalidInput(ApplicationError):
    type = "validation_error"


class IllegalStateChange(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    type = "illegal_state_change"


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    type = "conflict"


class NotPermitted(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    type = "permission_denied"


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    type = "not_found"


class PayloadTooLarge(ApplicationError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    type = "payload_too_large"


class UnsupportedMediaType(ApplicationError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    type = "unsupported_media_type"


class IdempotencyKeyReused(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    type = "idempotency_key_reused"


class IdempotencyInFlight(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    type = "idempotency_in_flight"


_DRF_TYPES = {
    exceptions.ParseError: "parse_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "validation_error",
}


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"field.path": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = str(key) if not prefix else f"{prefix}.{key}"
            if key == "non_field_errors":
                path = prefix or "non_field_errors"
            for sub_path, messages in flatten_errors(value, path).items():
                out.setdefault(sub_path, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item in ({}, []):
                    continue
                for sub_path, messages in flatten_errors(item, f"{prefix}[{index}]").items():
                    out.setdefault(sub_path, []).extend(messages)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def error_body(type_: str, detail: Any, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type_, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    return body


def _body_too_large() -> dict[str, Any]:
    return error_body(PayloadTooLarge.type, _("The request body is too large."))


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        # api.md: `errors` for validation only (400). Other refusals name their field too, for the desk's forms,
        # but an API client reads the type and the sentence.
        errors = exc.errors if exc.status_code == status.HTTP_400_BAD_REQUEST else None
        return Response({**error_body(exc.type, exc.message, errors), **(exc.extra or {})}, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(_body_too_large(), status=PayloadTooLarge.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    type_ = next((code for cls, code in _DRF_TYPES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        response.data = error_body(type_, _("Invalid input."), errors)
    else:
        response.data = error_body(type_, getattr(exc, "detail", str(exc)))
    return response


def json_404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def json_500(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("server_error", _("Internal server error.")), status=500)


def bad_request_handler(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400 (a request Django refuses before any view: a bad Host header, a body over the upload limit read by
    a middleware): the JSON error format under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(_body_too_large(), status=PayloadTooLarge.status_code)
        return JsonResponse(error_body("bad_request", _("Bad request.")), status=400)
    return defaults.bad_request(request, exception)


def not_found_handler(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the JSON error format under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return json_404(request, exception)
    return defaults.page_not_found(request, exception)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After while the database is away: the JSON error format under /api/, a short page in both
    languages elsewhere. Built without the database: no session, no user, no context processors."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            error_body("service_unavailable", _("The service is briefly unavailable. Please retry later.")),
            status=503,
        )
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(settings.RETRY_AFTER_SECONDS)
    return response


def _database_unavailable() -> bool:
    # Django calls handler500 inside its `except` block: the exception being handled is the cause.
    _type, exc, _tb = sys.exc_info()
    return isinstance(exc, (OperationalError, InterfaceError))


def server_error_handler(request: HttpRequest) -> HttpResponse:
    """handler500: 503 when the database could not be reached (see `service_unavailable`); otherwise the JSON error
    format under /api/, Django's page elsewhere. The process needs no restart when the database is back: Django drops
    a broken connection at the end of the request and checks a kept one before the next (CONN_HEALTH_CHECKS)."""
    if _database_unavailable():
        return service_unavailable(request)
    if request.path.startswith("/api/"):
        return json_500(request)
    return defaults.server_error(request)
