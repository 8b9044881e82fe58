"""Logging: one line per request and per task, times in the configured zone, text or JSON, and a filter on every
handler that takes out what must never reach a log (operations.md): passwords, API keys, staff tokens, webhook
secrets, survey links and anyone's e-mail address or phone number.

The filter works on the finished text (message with its arguments, the traceback, string extras), so it holds
whatever a log call passes in: a customer's address inside an IntegrityError, a survey link in Django's
"Not Found: /s/<token>/", a key in a repr.
"""

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REDACTED = "[redacted]"

# Order matters: the specific shapes first (a survey link before the long-token rule eats its token).
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Survey links: /s/<token>/ (the token is the customer's only key to their survey).
    (re.compile(r"/s/[^/\s\"'?#]+"), "/s/" + REDACTED),
    # Credentials in headers or text: "Api-Key <key>", "Token <token>", "Bearer <token>", "Basic <b64>".
    (re.compile(r"\b(Api-Key|Token|Bearer|Basic)(\s+|=)[^\s\"',;]+", re.IGNORECASE), r"\1\2" + REDACTED),
    # key=value / "key": "value" for anything named like a secret.
    (
        re.compile(
            r"""(?P<name>[\w-]*(?:password|passwd|secret|token|api[_-]?key|authorization|otp)[\w-]*)"""
            r"""(?P<sep>["']?\s*[:=]\s*["']?)(?P<value>[^\s"'&,;}]+)""",
            re.IGNORECASE,
        ),
        r"\g<name>\g<sep>" + REDACTED,
    ),
    # Passwords in URLs: scheme://user:password@host.
    (re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/\s@]*:)[^@\s/]+@"), r"\1" + REDACTED + "@"),
    # Webhook signing secrets.
    (re.compile(r"whsec_[A-Za-z0-9+/=]+"), "whsec_" + REDACTED),
    # Storefront API keys: 8 hex, a dot, 43 URL-safe characters.
    (re.compile(r"\b[0-9a-f]{8}\.[A-Za-z0-9_-]{20,}"), REDACTED),
    # Long opaque strings: staff tokens (40 hex), survey tokens and key secrets (43), hashes (64). UUIDs (hyphenated)
    # and 32-hex ids stay readable.
    (re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])"), REDACTED),
    # E-mail addresses, anyone's (a domain ending in letters: `user:pass@127.0.0.1` in a URL is not one).
    (re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b"), "[email]"),
    # Phone numbers: international (+86 138 0013 8000, +8613800138000) and Chinese mobile numbers (13800138000,
    # 138-0013-8000). Plain dates, times and ids do not have these shapes.
    (re.compile(r"\+\d{1,3}[ -]?\d{2,4}(?:[ -]?\d{2,5}){1,4}\b"), "[phone]"),
    (re.compile(r"(?<![\d.:-])1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![\d:])"), "[phone]"),
]

# LogRecord's own attributes; anything else on a record is an `extra` and is redacted too.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def printable(text: str) -> str:
    """Control characters escaped: a path with a newline must not forge a second log line."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record in place before any formatter sees it; never drops a record."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True  # the same record passes every handler's filter: once is enough
        try:
            message = record.getMessage()
        except Exception:  # a broken log call still logs, as logging itself would report it
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info:
            record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _RECORD_ATTRS and isinstance(value, str):
                setattr(record, name, redact(value))
        record._redacted = True
        return True


def _format_time(record: logging.LogRecord) -> str:
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime.fromtimestamp(record.created, tz=zone).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """`2026-12-06T20:15:03.123+08:00 INFO tickets.services message`: ISO 8601 in settings.TIME_ZONE."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _format_time(record)


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time (in settings.TIME_ZONE), level, logger, message and the record's extras."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _format_time(record)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.pop("_redacted", None)


def logging_config(*, level: str, log_format: str) -> dict[str, Any]:
    """settings.LOGGING: every record through the redacting filter to stderr, as text or JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "aftersales.logs.RedactingFilter"}},
        "formatters": {
            "text": {"()": "aftersales.logs.TextFormatter"},
            "json": {"()": "aftersales.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["redact"],
                "formatter": "json" if log_format == "json" else "text",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The request line below says method, path, status and time for every request; Django's own warning
            # for each 4xx would be a second line. Errors (5xx, with their traceback) still come through.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
            # Celery's "Task ... received" line; aftersales.celery writes the one line per task.
            "celery.worker.strategy": {"level": "WARNING"},
            "celery.app.trace": {"level": "WARNING"},
            # django-axes' "AXES: BEGIN version ..." at every start of every process and command.
            "axes.apps": {"level": "WARNING"},
        },
    }


request_logger = logging.getLogger("aftersales.request")


def _who(request: HttpRequest) -> tuple[int | None, int | None]:
    """The staff user's id, or the storefront's for an API key. Only a user already loaded is named: evaluating the
    lazy session user here would query a database that may be down."""
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None, None
    if not getattr(user, "is_authenticated", False):
        return None, None
    storefront = getattr(user, "storefront", None)
    return getattr(user, "pk", None), getattr(storefront, "pk", None)


class RequestLogMiddleware:
    """One line per request: method, path (never the query string, which carries searches for names and e-mail
    addresses), status, duration, and the staff user's id when signed in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        user_id, storefront_id = _who(request)
        path = printable(redact(request.path))
        request_logger.info(
            "%s %s %s %.1fms",
            request.method,
            path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user_id,
                "storefront_id": storefront_id,
            },
        )
        return response
