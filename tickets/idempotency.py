"""Idempotency keys for POST endpoints (api.md, "Idempotency").

The first completed answer to a request with an `Idempotency-Key` is stored per (storefront or staff user, key) for
IDEMPOTENCY_TTL. A retry with the same body gets the stored status and body back with `Idempotent-Replayed: true`;
the same key with another body gets 422.

How (the design Stripe describes for its own keys): the request first claims its key by inserting the record, with
no answer yet, and commits that at once; a duplicate then finds the claim. The view runs, and its writes and the
answer stored on the record commit together, so a key's answer exists exactly when the view's changes do. A duplicate
arriving while the first runs waits for its answer (up to IDEMPOTENCY_WAIT_SECONDS) and replays it, else gets 409.
If the first request fails with a 5xx or an exception, its writes roll back and its claim is released, so a retry
runs the view itself; a claim left by a process that died is taken over once it is older than any request can run
(IDEMPOTENCY_STALE_AFTER).
"""

import functools
import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from aftersales.errors import IdempotencyInFlight, IdempotencyKeyReused, InvalidInput
from tickets.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# How often a duplicate looks again for the first request's answer.
WAIT_STEP_SECONDS = 0.05

ViewMethod = Callable[..., Response]


class _ServerError(Exception):
    """The view answered 5xx: its writes roll back and its claim is released, so a retry runs the view again."""

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


def _in_flight() -> IdempotencyInFlight:
    return IdempotencyInFlight(_("A request with this Idempotency-Key is still in progress."))


def _claim(*, owner: str, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """The key's record and whether this request now holds it: a new claim (committed at once, before the view
    runs), a stale claim taken over, or False and the record of another request (answered, or still running)."""
    while True:
        now = timezone.now()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    owner=owner, key=key, fingerprint=fingerprint, status_code=0, body=None, created_at=now
                )
            return record, True
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if record is None:
            continue  # released or purged meanwhile: claim it again
        expired = record.created_at <= now - settings.IDEMPOTENCY_TTL
        stale = record.status_code == 0 and record.created_at <= now - settings.IDEMPOTENCY_STALE_AFTER
        if expired or stale:
            # An old answer the key may be used again after, or a claim its request never finished: take it over,
            # one taker only (the update matches the record as it was read).
            taken = IdempotencyRecord.objects.filter(
                pk=record.pk, status_code=record.status_code, created_at=record.created_at
            ).update(fingerprint=fingerprint, status_code=0, body=None, created_at=now)
            if taken:
                record.fingerprint, record.status_code, record.body, record.created_at = fingerprint, 0, None, now
                return record, True
            continue
        return record, False


def _release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, status_code=0, created_at=record.created_at).delete()


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
        deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
        while True:
            record, mine = _claim(owner=owner, key=key, fingerprint=fingerprint)
            if mine:
                break
            if record.status_code:
                return _replay(record, fingerprint)
            if record.fingerprint != fingerprint:
                raise IdempotencyKeyReused(
                    _("This Idempotency-Key was already used with a different request."), field=HEADER
                )
            if time.monotonic() >= deadline:
                raise _in_flight()
            time.sleep(WAIT_STEP_SECONDS)
        try:
            with transaction.atomic():
                response = _run_view(view, method, request, args, kwargs)
                if response.status_code >= 500:
                    raise _ServerError(response)
                body = _stored_body(response.data)
                answered = IdempotencyRecord.objects.filter(
                    pk=record.pk, status_code=0, created_at=record.created_at
                ).update(status_code=response.status_code, body=body)
                if not answered:  # the claim was taken over as stale: this request's writes must not count
                    raise _in_flight()
        except _ServerError as error:
            _release(record)
            return error.response
        except BaseException:
            _release(record)
            raise
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
