"""Private servers for outage tests: a redis-server and a PostgreSQL cluster that a test starts, stops and starts
again on free local ports, in its own temporary directory, and removes afterwards. The machine's own PostgreSQL and
Redis are never touched.

Redis runs with its append-only file (fsync on every write), as a broker in production must: what was queued is
still queued after a restart. PostgreSQL runs with fsync off (a throwaway cluster; restarts are clean shutdowns).
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2
import redis

from tests.conftest import closed_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _wait(check, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {timeout} s")


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = closed_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--save", "",
                "--logfile", str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(self._answers, "redis-server")

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits; clients see the connection drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None


class PrivatePostgres:
    """initdb + pg_ctl in a temporary directory of its own (`remove()` deletes it). As root (CI, these machines) the
    server runs as `postgres`, which PostgreSQL requires, in a directory that user owns."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="aftersales-pg-"))
        self.data = self.directory / "data"
        self.sockets = self.directory / "sockets"
        self.port = closed_port()
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def url(self, name: str = "aftersales") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self._as_postgres, *args], capture_output=True, text=True, timeout=120)  # noqa: S603
        assert result.returncode == 0, f"{args[0]}: {result.stdout[-2000:]} {result.stderr[-2000:]}"

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def init(self) -> None:
        self.sockets.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.directory, "postgres")
            shutil.chown(self.sockets, "postgres")
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.directory / "pg.log"),
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        """Fast shutdown: open sessions are cut, as when the database server goes away."""
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str = "aftersales") -> None:
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        conn.close()

    def query(self, sql: str, params: tuple = (), name: str = "aftersales") -> list[tuple]:
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=name, connect_timeout=3)
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            conn.close()
