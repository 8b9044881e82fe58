"""The set-up the benches share: their own database (created and migrated), production-like settings, raw SQL, the
vacuum after a build, and the timing loops. The snapshot databases and their copies are bench/desk_data.py's.

Nothing here touches the development or test databases: every database it creates, drops or migrates is one a bench
names (`aftersales_bench_*`).
"""

import importlib
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import desk_data

ROOT = Path(__file__).resolve().parent.parent


def setup_django(url: str, *, memory_broker: bool = False) -> None:
    """Point Django at the bench database `url` (created when missing), set it up and migrate it.

    With `memory_broker`, the tasks the services enqueue after commit go to an in-memory broker: no worker runs
    beside a bench, and publishing stays part of what is timed without waiting on a broker that may not be there.
    """
    import psycopg2

    parts = urllib.parse.urlparse(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
    if memory_broker:
        os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if memory_broker:
        from aftersales.celery import app

        app.conf.broker_url = "memory://"
        app.conf.task_always_eager = False


def production_env(database: str, **settings: str) -> dict[str, str]:
    """The settings of a bench that runs as production does (DEBUG=0) on the bench database `database` and the
    bench's Redis database (BENCH_REDIS_URL, default 9); `settings` adds to them or overrides them."""
    return {
        "DATABASE_URL": desk_data.database_url(database),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-not-for-production",
        # Without DEBUG a real mail backend must be named; the benches send no mail.
        "EMAIL_URL": "smtp://127.0.0.1:2525",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "aftersales.settings",
        **settings,
    }


def fresh_database(name: str) -> None:
    """Drop the bench database `name`, create it empty and migrate it (in a process of its own, with this process's
    environment pointed at it)."""
    desk_data.drop_database(name)
    connection = desk_data.admin_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    subprocess.run(
        [sys.executable, "-W", "ignore", "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": desk_data.database_url(name)},
        check=True,
    )


def sql(statement: str, params: dict[str, Any] | None = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})


def vacuum_analyze(tables: list[str], *, checkpoint: bool = False) -> None:
    """`VACUUM ANALYZE` the tables a build wrote, as autovacuum would (off on this machine); with `checkpoint`, flush
    the build's dirty pages too, so a checkpoint does not land in the middle of a timed run. Outside any
    transaction: Django's connection is in autocommit there, and VACUUM cannot run in a transaction block."""
    for table in tables:
        sql(f"VACUUM ANALYZE {table}")
    if checkpoint:
        sql("CHECKPOINT")


def seed_kpi_thresholds() -> None:
    """Put back the default KPI warning lines (analytics.md) through the migration that first wrote them: a build's
    TRUNCATE ... CASCADE empties them."""
    from django.apps import apps

    importlib.import_module("alerts.migrations.0005_default_kpi_thresholds").seed(apps, None)


def median_ms(call: Callable[[], Any], runs: int) -> float:
    """The median milliseconds of `runs` calls after one warm-up."""
    call()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def timed(call: Callable[[], Any], runs: int) -> tuple[float, int]:
    """The median seconds of `runs` calls after one warm-up, and the queries of one call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()
    timings = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            timings.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    return statistics.median(timings), queries


@contextmanager
def counting_queries() -> Iterator[dict[str, int]]:
    """Count the queries run inside (a database execute wrapper: no query log kept, so nothing grows with them)."""
    from django.db import connection

    counter = {"queries": 0}

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        counter["queries"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter
