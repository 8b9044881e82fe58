"""A fresh installation (operations.md): `migrate` alone leaves a working desk, and `check --deploy` is clean with the
README's production settings. Run for real, as an operator would, in child processes on a database of their own."""

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

from tests.conftest import closed_port
from tests.logscan import issue

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "fresh-" + secrets.token_urlsafe(12)

FIRST_TICKET = """
from django.test import Client
from tickets.models import Ticket
api = Client(HTTP_AUTHORIZATION="Api-Key {key}")
created = api.post(
    "/api/v1/tickets/",
    {{
        "subject": "Where is my parcel?",
        "body": "Nothing has arrived.",
        "category": "logistics",
        "customer": {{"external_id": "C-1", "name": "Li Lei", "email": "li.lei@example.com"}},
    }},
    content_type="application/json",
    secure=True,
)
assert created.status_code == 201, created.content
ticket = Ticket.objects.get(public_id=created.json()["id"])
desk = Client()
signed_in = desk.post("/accounts/login/", {{"username": "ann", "password": {password!r}}}, secure=True)
assert signed_in.status_code == 302, signed_in.status_code
queue = desk.get("/desk/?scope=team", secure=True).content.decode()
print(ticket.team.name, ticket.team.name_zh, ticket.reference, ticket.reference in queue)
"""


def _server() -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {"host": db["HOST"] or "127.0.0.1", "port": str(db["PORT"] or 5432), "user": db["USER"] or "postgres"}


def _admin(sql: str) -> None:
    server = _server()
    conn = psycopg2.connect(host=server["host"], port=server["port"], user=server["user"], dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql)
    conn.close()


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty database beside the test database, on the same server; dropped afterwards."""
    name = f"{settings.DATABASES['default']['NAME']}_fresh"
    _admin(f'DROP DATABASE IF EXISTS "{name}"')
    _admin(f'CREATE DATABASE "{name}"')
    server = _server()
    yield f"postgres://{server['user']}@{server['host']}:{server['port']}/{name}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-W", "ignore::RuntimeWarning", "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


def _production_env(**extra: str) -> dict[str, str]:
    """The README's production settings: no DEBUG, a secret key, the hosts, PostgreSQL, Redis and an SMTP server."""
    # Not DJANGO_ALLOW_ASYNC_UNSAFE either: the browser tests set it in this process, no deployment may.
    unset = ("DEBUG", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="desk.example.com",
        CSRF_TRUSTED_ORIGINS="https://desk.example.com",
        EMAIL_URL="smtp+tls://desk:mail-password@mail.example.com:587",
        DEFAULT_FROM_EMAIL="after-sales@example.com",
        SITE_URL="https://desk.example.com",
        METRICS_TOKEN=secrets.token_urlsafe(24),
    )
    env.update(extra)
    return env


@pytest.mark.timeout(300)
def test_migrate_alone_leaves_a_desk_that_routes_a_storefronts_first_ticket_to_an_agent(fresh_database, tmp_path):
    env = _production_env(DATABASE_URL=fresh_database, VAR_DIR=str(tmp_path), ALLOWED_HOSTS="testserver")
    env["EMAIL_URL"] = f"smtp://127.0.0.1:{closed_port()}"
    (tmp_path / "static").mkdir()

    _run(env, "migrate", "--noinput")
    key = _run(env, "create_storefront", "Fresh Shop").split()[-1]
    issue("API key", key)
    issue("password", PASSWORD)
    _run(env, "create_staff", "ann", "--role", "agent", "--team", "Customer service", "--password", PASSWORD)
    output = _run(env, "shell", "-c", FIRST_TICKET.format(key=key, password=PASSWORD)).strip().splitlines()[-1]

    # no rule routed it: the default team the migrations created took it, and the agent sees it in the team queue
    team, reference, in_queue = output.rsplit(" ", 2)
    assert team == "Customer service 客服"
    assert reference.startswith("T-") and in_queue == "True"


@pytest.mark.timeout(120)
def test_check_deploy_is_clean_with_the_production_settings_of_the_readme(tmp_path):
    env = _production_env(VAR_DIR=str(tmp_path))

    output = _run(env, "check", "--deploy", "--fail-level", "WARNING")

    assert "System check identified no issues" in output
