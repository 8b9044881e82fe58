"""Workers, beat and the web survive broker and database outages (operations.md, "Staying up"; issue 13, "Operable").

A private redis-server and a private PostgreSQL cluster (tests/servers.py) stand in for production's. A real Celery
worker and beat (`celery -A aftersales worker|beat`) and a real gunicorn run as child processes against them, with
production settings (no DEBUG). The work is the webhook outbox: rows written in the database, one `deliver_webhook`
task each in Redis, delivered to a local receiver. Each test stops a server while work is queued, starts it again,
and checks that the same processes (no restart) delivered every row, each exactly once.

Child processes write their logs into test-results/logs/, which the suite's log scan reads (tests/logscan.py).
"""

import collections
import http.cookiejar
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.conftest import closed_port
from tests.logscan import LOG_DIR, issue
from tests.receiver import WebhookReceiver
from tests.servers import PrivatePostgres, PrivateRedis

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "outage-" + secrets.token_urlsafe(12)

SETUP = """
from tickets import services
storefront, key = services.storefront_create(name="Outage Shop", webhook_url={url!r}, language="en")
services.staff_create(username="outage-agent", role="supervisor", password={password!r})
print(key)
"""

ENQUEUE = """
from django.db import transaction
from tickets import services
from tickets.models import Storefront
storefront = Storefront.objects.get(name="Outage Shop")
for n in range({count}):
    with transaction.atomic():
        services.webhook_enqueue(storefront=storefront, event_type="outage.test", data={{"batch": {batch!r}, "n": n}})
"""


@dataclass
class Site:
    pg: PrivatePostgres
    broker: PrivateRedis
    receiver: WebhookReceiver
    env: dict[str, str]
    api_key: str
    var: Path

    def manage(self, *args: str, timeout: float = 180) -> str:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def enqueue(self, count: int, batch: str) -> None:
        self.manage("shell", "-c", ENQUEUE.format(count=count, batch=batch))

    def deliveries(self) -> dict[str, int]:
        return dict(self.pg.query("SELECT status, count(*) FROM tickets_webhookdelivery GROUP BY status"))

    def event_ids(self) -> set[str]:
        return {row[0] for row in self.pg.query("SELECT event_id FROM tickets_webhookdelivery")}

    def start(self, name: str, *command: str) -> subprocess.Popen:
        log = (LOG_DIR / f"outage-{name}.log").open("a", encoding="utf-8")
        return subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_for_log(self, name: str, text: str, timeout: float = 90) -> None:
        path = LOG_DIR / f"outage-{name}.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists() and text in path.read_text(encoding="utf-8", errors="replace"):
                return
            time.sleep(0.25)
        raise AssertionError(f"{name} did not log {text!r} within {timeout} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def wait_until(check, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout} s")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("outage")
    pg, broker = PrivatePostgres(), PrivateRedis(directory / "redis")
    receiver = WebhookReceiver().start()
    try:
        pg.init()
        pg.start()
        pg.create_database()
        broker.start()
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        (directory / "var").mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("CELERY_TASK_ALWAYS_EAGER", "DEBUG")}
        env.update(
            DJANGO_SETTINGS_MODULE="aftersales.settings",
            DATABASE_URL=pg.url(),
            REDIS_URL=broker.url(),
            VAR_DIR=str(directory / "var"),
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1",
            # Production settings, served over plain HTTP on the loopback for the test.
            SECURE_SSL_REDIRECT="0",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            SECURE_HSTS_SECONDS="0",
            EMAIL_URL=f"smtp://127.0.0.1:{closed_port()}",
            # Beat sends the sweep every 5 s, so it also has to publish while the broker is away.
            SLA_SWEEP_SECONDS="5",
            PYTHONUNBUFFERED="1",
        )
        site = Site(pg=pg, broker=broker, receiver=receiver, env=env, api_key="", var=directory / "var")
        site.manage("migrate", "--noinput")
        site.api_key = site.manage("shell", "-c", SETUP.format(url=receiver.url, password=PASSWORD)).split()[-1]
        issue("API key", site.api_key)
        issue("password", PASSWORD)
        yield site
    finally:
        receiver.stop()
        broker.stop()
        pg.stop()
        pg.remove()


@pytest.fixture
def processes(site: Site) -> Iterator[dict[str, subprocess.Popen]]:
    started = {
        "worker": site.start("worker", str(BIN / "celery"), "-A", "aftersales", "worker", "--concurrency", "1"),
        "beat": site.start(
            "beat", str(BIN / "celery"), "-A", "aftersales", "beat", "--schedule", str(site.var / "beat-schedule")
        ),
    }
    try:
        site.wait_for_log("worker", " ready.")
        site.wait_for_log("beat", "beat: Starting")
        yield started
    finally:
        for process in started.values():
            _stop(process)


def _delivered_once(site: Site) -> collections.Counter:
    """How many times the receiver accepted each event (it answers 204 unless told otherwise)."""
    return collections.Counter(request.headers["webhook-id"] for request in site.receiver.requests)


@pytest.mark.timeout(420)
def test_worker_and_beat_come_back_after_a_broker_outage_and_deliver_everything_once(site, processes):
    site.receiver.clear()
    site.receiver.respond_with(204)
    # A slow storefront: the queue fills faster than the worker empties it.
    site.receiver.on_request = lambda request: time.sleep(0.3)
    try:
        site.enqueue(20, "before")
        site.receiver.wait_for(2, timeout=60)
        queued = redis.Redis.from_url(site.broker.url()).llen("celery")
        site.broker.stop()
        # Work was waiting in the broker when it went away.
        assert queued >= 5

        # While Redis is down the application still takes work: the rows are committed, only the publish fails.
        site.enqueue(5, "during")
        time.sleep(5)
        assert processes["worker"].poll() is None, "the worker exited when the broker went away"
        assert processes["beat"].poll() is None, "beat exited when the broker went away"

        time.sleep(6)  # beat tries at least one sweep while Redis is down
        beat_log = LOG_DIR / "outage-beat.log"
        beat_seen = beat_log.stat().st_size
        site.broker.start()
        # Every row delivered: the tasks queued before the outage (kept by Redis), the ones that never reached it
        # (sent again by beat's dispatch of due rows), and whatever was in the worker's hands.
        wait_until(lambda: site.deliveries() == {"delivered": 25}, "all 25 deliveries delivered", timeout=150)
    finally:
        site.receiver.on_request = None

    # The same worker consumes again at once (not only beat's catch-up): a new row goes out within seconds.
    site.enqueue(1, "after")
    wait_until(lambda: site.deliveries() == {"delivered": 26}, "a delivery after the outage", timeout=30)

    # The worker lost the broker and connected again by itself; beat went on sending after the restart.
    worker_log = (LOG_DIR / "outage-worker.log").read_text(encoding="utf-8", errors="replace")
    assert worker_log.rindex("Connected to redis://") > worker_log.index("Connection to broker lost")
    with beat_log.open(encoding="utf-8", errors="replace") as log:
        log.seek(beat_seen)
        assert "Sending due task sweep-sla" in log.read()

    counts = _delivered_once(site)
    assert set(counts) == site.event_ids()
    assert max(counts.values()) == 1, [event for event, n in counts.items() if n > 1]
    assert processes["worker"].poll() is None and processes["beat"].poll() is None


def _get(url: str, opener: urllib.request.OpenerDirector | None = None, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _sign_in(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    _status, _headers, page = _get(f"{base}/accounts/login/", opener)
    csrf = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    body = urllib.parse.urlencode({"username": "outage-agent", "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    request = urllib.request.Request(f"{base}/accounts/login/", data=body.encode(), headers={"Referer": base + "/"})
    with opener.open(request, timeout=15) as response:
        assert response.url.endswith("/desk/"), response.url
    return opener


@pytest.mark.timeout(420)
def test_during_a_database_outage_the_web_answers_503_and_everything_recovers_by_itself(site, processes):
    port = closed_port()
    base = f"http://127.0.0.1:{port}"
    web = site.start("web", str(BIN / "gunicorn"), "aftersales.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1")
    try:
        wait_until(lambda: _reachable(base), "gunicorn", timeout=60)
        desk = _sign_in(base)
        api = {"Authorization": f"Api-Key {site.api_key}"}
        before = site.deliveries().get("delivered", 0)
        assert _get(f"{base}/api/v1/returns/", **api)[0] == 200

        # Deliveries that failed once (the storefront answered 503) wait in the outbox for their retry.
        site.receiver.clear()
        site.receiver.respond_with(503)
        site.enqueue(5, "retry")
        site.receiver.wait_for(5, timeout=60)
        site.receiver.respond_with(204)
        site.receiver.clear()

        site.pg.stop()

        status, headers, body = _get(f"{base}/readyz")
        assert (status, json.loads(body)) == (
            503,
            {"status": "unavailable", "database": "down", "broker": "ok", "cache": "ok"},
        )
        assert _get(f"{base}/healthz")[:1] == (200,)
        status, headers, body = _get(f"{base}/api/v1/returns/", **api)
        assert status == 503 and headers["Retry-After"] == "30"
        assert json.loads(body)["type"] == "service_unavailable"
        status, headers, body = _get(f"{base}/api/v1/returns/", **api, **{"Accept-Language": "zh-hans"})
        assert json.loads(body)["detail"] == "服务暂时不可用，请稍后重试。"
        status, headers, page = _get(f"{base}/desk/", desk)
        assert status == 503 and headers["Retry-After"] == "30" and headers["Content-Type"].startswith("text/html")
        assert "Briefly unavailable" in page and "暂时无法使用" in page

        time.sleep(3)
        assert all(process.poll() is None for process in (*processes.values(), web)), "a process exited"

        site.pg.start()
        # The same gunicorn answers again without a restart.
        wait_until(lambda: _get(f"{base}/readyz")[0] == 200, "/readyz back to 200", timeout=30)
        assert _get(f"{base}/api/v1/returns/", **api)[0] == 200
        assert _get(f"{base}/desk/", desk)[0] == 200

        # The worker reaches the database again: new rows go out at once, the waiting ones at their retry.
        site.enqueue(3, "after")
        wait_until(
            lambda: site.deliveries().get("delivered", 0) >= before + 3,
            "the new deliveries after the outage",
            timeout=60,
        )
        wait_until(lambda: site.deliveries() == {"delivered": before + 8}, "the retried deliveries", timeout=150)
        counts = _delivered_once(site)
        assert len(counts) == 8 and max(counts.values()) == 1
        assert all(process.poll() is None for process in (*processes.values(), web))
    finally:
        _stop(web)
        if not (site.pg.data / "postmaster.pid").exists():
            site.pg.start()


def _reachable(base: str) -> bool:
    try:
        return _get(f"{base}/healthz")[0] == 200
    except OSError:
        return False
