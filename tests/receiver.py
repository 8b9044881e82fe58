"""A real local HTTP server in a thread that plays a storefront's webhook endpoint.

Tests point a storefront's `webhook_url` at `receiver.url`, then read what arrived in `receiver.requests`.
`respond_with(500)` simulates an outage; `verify_signature` checks a request the way a storefront would,
following the Standard Webhooks specification, independently of the code under test.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]  # lower-case names
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    status: int = 204
    requests: list[ReceivedRequest] = field(default_factory=list)
    # Called in the server's thread with each request before it is answered (e.g. to look at the database then).
    on_request: Callable[[ReceivedRequest], None] | None = None
    # When set, the answer to each request: (status, JSON body), e.g. a chat robot's {"errcode": 0}.
    answer: Callable[[ReceivedRequest], tuple[int, str]] | None = None
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        assert self._server is not None, "the receiver is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/webhooks"

    def respond_with(self, status: int) -> None:
        """Answer every following request with this status (e.g. 500 to simulate an outage)."""
        self.status = status

    def wait_for(self, count: int, timeout: float = 5) -> list[ReceivedRequest]:
        """Block until at least `count` requests arrived; fails the test on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} webhook request(s), got {len(self.requests)}")
                self._lock.wait(remaining)
            return list(self.requests)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def _record(self, request: ReceivedRequest) -> int:
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()
            return self.status

    def start(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                headers = {name.lower(): value for name, value in self.headers.items()}
                request = ReceivedRequest(path=self.path, headers=headers, body=body)
                if receiver.on_request is not None:
                    receiver.on_request(request)
                status = receiver._record(request)
                answer = b""
                if receiver.answer is not None:
                    status, text = receiver.answer(request)
                    answer = text.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                if answer:
                    self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (keep test output quiet)
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def verify_signature(secret: str, request: ReceivedRequest, *, tolerance_seconds: int | None = None) -> bool:
    """Standard Webhooks verification: HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` with the
    base64-decoded secret (after `whsec_`), compared to each space-separated `v1,<base64>` signature."""
    msg_id = request.headers.get("webhook-id", "")
    timestamp = request.headers.get("webhook-timestamp", "")
    signatures = request.headers.get("webhook-signature", "")
    if not (msg_id and timestamp.isdigit() and signatures):
        return False
    if tolerance_seconds is not None and abs(time.time() - int(timestamp)) > tolerance_seconds:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{timestamp}.{request.body}".encode(), hashlib.sha256).digest()
    ).decode()
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False
