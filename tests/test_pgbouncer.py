"""The application behind PgBouncer in transaction mode (architecture.md): Debian's pgbouncer, started by the test in
front of the test database with fewer server connections than the web has clients, so consecutive transactions of
one client land on different server sessions. Anything kept in a session (prepared statements, session settings,
advisory locks) would break here; storefront and desk calls, and a sweep, all work."""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import closed_port
from tests.returns.test_api import recent_body
from tickets.models import Status, Ticket

ROOT = Path(__file__).resolve().parent.parent
PGBOUNCER = "/usr/sbin/pgbouncer"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pgbouncer():
    """PgBouncer on a free port, transaction pooling, two server connections to the test database's server."""
    assert Path(PGBOUNCER).exists(), "pgbouncer is missing: `make test` installs it (apt-get install pgbouncer)"
    port = closed_port()
    # Its own directory outside pytest's (private to root): run as root, PgBouncer switches to the postgres user.
    workdir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    (workdir / "users.txt").write_text('"postgres" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={connection.settings_dict["HOST"] or "127.0.0.1"} port={connection.settings_dict["PORT"] or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir}/users.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = 2
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
logfile = {workdir}/pgbouncer.log
pidfile = {workdir}/pgbouncer.pid
"""
    )
    os.chmod(workdir, 0o777)
    # PgBouncer refuses to run as root: switch to the postgres user then.
    command = [PGBOUNCER, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(workdir / "pgbouncer.ini")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        _wait_for_port(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 20) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}: {process.stdout.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def _call(method: str, url: str, token: str, body: dict | None = None, key: str | None = None) -> tuple[int, dict]:
    headers = {"Authorization": token, "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_storefront_and_desk_calls_and_a_sweep_work_behind_pgbouncer_in_transaction_mode(
    pgbouncer, storefront, team, agent, seeded_sla_policy
):
    database = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pgbouncer}/{database}",
        "DEBUG": "1",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "API_THROTTLE_RATE": "100000/min",
    }
    web_port = closed_port()
    web = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "aftersales.wsgi",
            "-b",
            f"127.0.0.1:{web_port}",
            "-w",
            "2",
            "--threads",
            "4",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{web_port}"
    shop, staff = f"Api-Key {storefront.plain_key}", f"Token {agent.token}"
    failures: list[str] = []
    try:
        _wait_for_port(web_port, web)

        def work(client: int) -> None:
            # each client: tickets (one retried with its key), a return, a reply and a status change, the queue
            for round_ in range(5):
                key = f"pgb-{client}-{round_}-{uuid.uuid4().hex}"
                body = {"subject": f"Parcel {client}/{round_}", "body": "Where is it?", "category": "logistics"}
                created = [_call("POST", f"{base}/api/v1/tickets/", shop, body, key) for _ in range(2)]
                status, ticket = created[0]
                if status != 201 or created[1] != created[0]:
                    failures.append(f"ticket: {created}")
                    continue
                order = {"order__external_id": f"SO-{client}-{round_}-{uuid.uuid4().hex[:8]}"}
                status, answer = _call("POST", f"{base}/api/v1/returns/", shop, recent_body(**order))
                if status != 201:
                    failures.append(f"return: {status} {answer}")
                desk = f"{base}/api/v1/desk/tickets/{ticket['reference']}"
                for path, payload, expected in (
                    ("reply/", {"body": "On its way."}, 201),
                    ("status/", {"status": "resolved"}, 200),
                ):
                    status, answer = _call("POST", f"{desk}/{path}", staff, payload)
                    if status != expected:
                        failures.append(f"{path}: {status} {answer}")
                status, answer = _call("GET", f"{base}/api/v1/desk/tickets/?scope=all", staff)
                if status != 200:
                    failures.append(f"queue: {status} {answer}")

        threads = [threading.Thread(target=work, args=(client,)) for client in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # one ticket left open: its three clocks are overdue by the sweep's time
        still_open = {"subject": "Still open", "body": "Hello?", "category": "logistics"}
        assert _call("POST", f"{base}/api/v1/tickets/", shop, still_open)[0] == 201
        sweep = subprocess.run(  # noqa: S603
            [str(ROOT / ".venv/bin/python"), "manage.py", "sweep_sla", "--at", "2035-01-01T00:00:00Z"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        web.terminate()
        output = web.communicate(timeout=30)[0].decode()

    assert failures == [], failures[:5]
    assert "Error" not in output and "Traceback" not in output, output[-3000:]
    assert Ticket.objects.filter(kind="inquiry", status=Status.RESOLVED).count() == 30
    assert Ticket.objects.filter(kind="return").count() == 30
    assert sweep.returncode == 0, sweep.stderr[-3000:]
    assert json.loads(sweep.stdout.strip().splitlines()[-1])["breaches"] == 3
    # and PgBouncer really multiplexed: many transactions over its two server connections
    stats = subprocess.run(  # noqa: S603
        ["psql", "-h", "127.0.0.1", "-p", str(pgbouncer), "-U", "postgres", "-At", "pgbouncer", "-c", "SHOW STATS"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    transactions = next(int(line.split("|")[1]) for line in stats.splitlines() if line.startswith(f"{database}|"))
    assert transactions > 200
