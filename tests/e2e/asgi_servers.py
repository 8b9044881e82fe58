"""Live ASGI servers for the live page's browser tests: daphne processes serving aftersales.asgi (pages and
websockets) against the test database and the tests' Redis, as `make run` and production's live processes do.

pytest-django's live server is WSGI (no websockets), so these run the real server as child processes instead. Every
process shares one Redis: an event written through one reaches the websockets connected to any other.
"""

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from tests.conftest import closed_port

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = ROOT / ".venv" / "bin" / "daphne"


class AsgiServer:
    def __init__(self, port: int, process: subprocess.Popen, log: Path) -> None:
        self.port = port
        self.process = process
        self.log = log
        self.url = f"http://127.0.0.1:{port}"

    def rss_kib(self) -> int:
        """The process's resident memory (KiB), from /proc."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def _test_database_url() -> str:
    settings = connection.settings_dict
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def asgi_servers(
    count: int, log_dir: Path, timeout: float = 60, env: dict[str, str] | None = None
) -> Iterator[list[AsgiServer]]:
    """`count` daphne processes on free ports, ready to serve; stopped afterwards. They run with `env` when given (a
    bench's production settings), else with the tests' own: the test database, eager Celery."""
    if env is None:
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": _test_database_url(),
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "DJANGO_SETTINGS_MODULE": "aftersales.settings",
        }
    assert env.get("REDIS_URL"), "the live servers share one Redis (REDIS_URL)"
    servers: list[AsgiServer] = []
    try:
        for index in range(count):
            port = closed_port()
            log = log_dir / f"daphne-{index}.log"
            process = subprocess.Popen(  # noqa: S603
                [
                    str(DAPHNE),
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--access-log",
                    os.devnull,
                    "aftersales.asgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            servers.append(AsgiServer(port, process, log))
        deadline = time.monotonic() + timeout
        for server in servers:
            while not _answers(server.url):
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"daphne did not start:\n{server.log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield servers
    finally:
        for server in servers:
            if server.process.poll() is None:
                os.killpg(server.process.pid, signal.SIGTERM)
        for server in servers:
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.process.pid, signal.SIGKILL)
