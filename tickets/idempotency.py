"""Idempotency keys for POST endpoints (api.md, "Idempotency").

The first completed answer to a request with an `Idempotency-Key` is stored per (storefront or staff user, key) for
IDEMPOTENCY_TTL. A retry with the same body gets the stored status and body back with `Idempotent-Replayed: true`;
the same key with another body gets 422.

Concurrency: the record row is inserted *before* the view runs, in the same transaction as the view's writes. A
duplicate arriving meanwhile blocks on the uncommitted unique-index entry of (owner, key) until the first commits,
then writes nothing (INSERT ... ON CONFLICT DO NOTHING), reads the committed answer and replays it. So 20
identical requests at once create one object and all get the same answer; only a wait longer than
IDEMPOTENCY_WAIT_SECONDS (the PostgreSQL `lock_timeout`) yields 409. If the first request fails with a 5xx,
everything rolls back, including the record, and a waiting duplicate runs the view itself.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import OperationalError, connection, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from aftersales.db import insert_unless_exists_sql, prepared
from aftersales.errors import IdempotencyInFlight, IdempotencyKeyReused, InvalidInput
from tickets.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# PostgreSQL: lock_not_available, raised when lock_timeout expires.
LOCK_NOT_AVAILABLE = "55P03"

ViewMethod = Callable[..., Response]


class _KeyTaken(Exception):
    """Another request with the same owner and key committed first."""


class _StillRunning(Exception):
    """Another request with the same owner and key has not finished within IDEMPOTENCY_WAIT_SECONDS."""


class _ServerError(Exception):
    """The view answered 5xx: roll everything back (the record too) so a retry runs again."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def request_owner(request: Request) -> str:
    storefront = getattr(request.user, "storefront", None)
    if storefront is not None:
        return f"storefront:{storefront.pk}"
    return f"user:{request.user.pk}"


def _canonical(value: Any) -> Any:
    """A JSON-serializable form of request data; files are replaced by a hash of their content."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest(), "size": value.size}
    if isinstance(value, QueryDict):
        return {key: [_canonical(item) for item in items] for key, items in value.lists()}
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    return value


def request_fingerprint(request: Request) -> str:
    """SHA-256 of method, path and the body's canonical form (key order and whitespace do not matter)."""
    try:
        canonical = json.dumps(
            [request.method, request.path, _canonical(request.data)],
            sort_keys=True,
            cls=JSONEncoder,
            ensure_ascii=False,
        )
    except RecursionError:
        # The parser accepted it, but it is too deep to hash within Python's stack: malformed input, not a 500.
        raise ParseError(_("The request body is nested too deeply.")) from None
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stored_body(data: Any) -> str:
    """The body as JSON text. Stored as a string because PostgreSQL's jsonb reorders object keys, and a replay must
    be byte-for-byte the first answer."""
    return json.dumps(data, cls=JSONEncoder, ensure_ascii=False)


def _loaded_body(body: Any) -> Any:
    return json.loads(body) if isinstance(body, str) else body


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was already used with a different request."), field="Idempotency-Key"
        )
    return Response(_loaded_body(record.body), status=record.status_code, headers={REPLAYED_HEADER: "true"})


def _lock_timeout_sql(value: str) -> str:
    return f"SET LOCAL lock_timeout = '{value}'"


def _set_lock_timeout(value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_lock_timeout_sql(value))


def _in_flight() -> IdempotencyInFlight:
    return IdempotencyInFlight(_("A request with this Idempotency-Key is still in progress."))


def _take_key(*, owner: str, key: str, fingerprint: str, now: datetime) -> IdempotencyRecord:
    """Write the key's record (no answer yet) in the caller's transaction, or raise _KeyTaken when a record exists
    (_StillRunning when the request holding it has not finished within IDEMPOTENCY_WAIT_SECONDS). A request with the
    same key still running holds its uncommitted row: this INSERT waits for it to end, then writes nothing if it
    committed, or writes this one if it rolled back. One round trip on PostgreSQL, the lock timeout set in it."""
    record = IdempotencyRecord(owner=owner, key=key, fingerprint=fingerprint, status_code=0, body=None, created_at=now)
    sql, params = prepared(*insert_unless_exists_sql(record, conflict="owner, key"))
    if connection.vendor == "postgresql":
        sql = f"{_lock_timeout_sql(f'{int(settings.IDEMPOTENCY_WAIT_SECONDS * 1000)}ms')}; {sql}"
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            inserted = cursor.fetchone()
    except OperationalError as exc:
        # Only the wait for the key's row counts as "in flight"; a lock error in the view is its own.
        if getattr(exc.__cause__, "pgcode", None) == LOCK_NOT_AVAILABLE:
            raise _StillRunning() from None
        raise
    if inserted is None:
        raise _KeyTaken()
    record.pk = inserted[0]
    record._state.adding = False
    return record


def _run_view(view: Any, method: ViewMethod, request: Request, args: tuple, kwargs: dict) -> Response:
    """Run the view in a savepoint; an API error becomes its error response so that it is stored as well."""
    try:
        with transaction.atomic():
            return method(view, request, *args, **kwargs)
    except Exception as exc:  # handle_exception re-raises what it does not know
        return view.handle_exception(exc)


def idempotent(method: ViewMethod) -> ViewMethod:
    """Decorate an APIView's `post`: honour `Idempotency-Key` as api.md describes. Without the header: no effect."""

    @functools.wraps(method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return method(view, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH or any(ord(char) < 32 or ord(char) == 127 for char in key):
            raise InvalidInput(
                _("The Idempotency-Key must be 1 to %(max)d printable characters.") % {"max": MAX_KEY_LENGTH},
                field=HEADER,
            )
        owner = request_owner(request)
        fingerprint = request_fingerprint(request)
        for _attempt in range(2):
            now = timezone.now()
            try:
                with transaction.atomic():
                    record = _take_key(owner=owner, key=key, fingerprint=fingerprint, now=now)
                    _set_lock_timeout("0")
                    response = _run_view(view, method, request, args, kwargs)
                    if response.status_code >= 500:
                        raise _ServerError(response)
                    body = _stored_body(response.data)
                    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=response.status_code, body=body)
            except _ServerError as error:
                return error.response
            except _KeyTaken:
                record = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
                if record is None:
                    raise _in_flight() from None
                if record.created_at > now - settings.IDEMPOTENCY_TTL:
                    return _replay(record, fingerprint)
                # Expired: the key may be used again.
                IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).delete()
                continue
            except _StillRunning:
                raise _in_flight() from None
            break
        else:
            raise _in_flight()
        # The first answer is sent in its stored form, so it is byte-for-byte the same as every replay.
        response.data = _loaded_body(body)
        return response

    return wrapper


def idempotency_purge_expired(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Delete records older than IDEMPOTENCY_TTL, in batches; safe to re-run."""
    cutoff = (now or timezone.now()) - settings.IDEMPOTENCY_TTL
    deleted = 0
    while True:
        ids = list(IdempotencyRecord.objects.filter(created_at__lte=cutoff).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]
