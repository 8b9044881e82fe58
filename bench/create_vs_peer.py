"""Ticket create and return create under gunicorn, side by side with the peer's ticket create (issue 13).

    .venv/bin/python bench/create_vs_peer.py                       # 4 pairs of 20 s runs, 8 connections
    .venv/bin/python bench/create_vs_peer.py --pairs 2 --seconds 10
    .venv/bin/python bench/create_vs_peer.py --queries             # only the queries of one create of each kind

Needs the peer at /tmp/peer (`../shared/peer-bench/setup.sh`), wrk (`apt-get install -y wrk`), PostgreSQL and Redis.

Each pair runs, one after the other: the peer's own `bench/api_bench.sh 10000 20 8` (django-helpdesk 2.6.1, its
snapshot of 10,000 tickets restored, gunicorn with 2 sync workers, `wrk -t2 -c8 -d20s`), then ours for a ticket
create and for a return create, each the same way: the 10,000-ticket snapshot of bench/desk_data.py copied into
`aftersales_bench_api` (`CREATE DATABASE ... TEMPLATE`), gunicorn `aftersales.wsgi --workers 2` (sync workers, no
threads) with production settings (DEBUG=0, a SECRET_KEY, ALLOWED_HOSTS, SECURE_SSL_REDIRECT=0 for plain HTTP on the
loopback, REDIS_URL on the bench's own Redis database 9, CONN_MAX_AGE=60 as the README's production default, and
an API throttle rate high enough not to refuse the load), one sanity request as the peer's script sends, and wrk
with bench/wrk/ticket_create.lua or bench/wrk/return_create.lua (a new order id per request). No Celery worker
runs: the webhook hand-overs wait in Redis, as they would while workers lag (db 9 is emptied before each run).

It prints every run's RESULT line (requests/s, p50, p99, errors: non-2xx answers, timeouts, connection errors), the
rows each run created, the load average before and after, the CPU time per request of our gunicorn workers and
their PostgreSQL backends, each pair's ratios (ours / the peer's requests per second) and the medians of the pairs
against issue 13's targets: ticket create >= 2x the peer's, return create >= 1.5x the peer's ticket create.
Before the pairs it prints the SQL statements of one ticket create and one return create, made in-process through
the same views on another copy of the snapshot (`aftersales_bench_queries`).
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import desk_data

ROOT = Path(__file__).resolve().parent.parent
PEER = Path(os.environ.get("PEER_DIR", "/tmp/peer"))
TICKETS = 10_000
RUN_DB = "aftersales_bench_api"
QUERIES_DB = "aftersales_bench_queries"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
PORT = int(os.environ.get("BENCH_PORT", "8766"))
TARGETS = {"ticket": 2.0, "return": 1.5}
PATHS = {"ticket": "/api/v1/tickets/", "return": "/api/v1/returns/"}
RESULT = re.compile(r"RESULT (.*)")


def server_env(database: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": desk_data.database_url(database),
        "REDIS_URL": REDIS_URL,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-not-for-production",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        # Plain HTTP on the loopback: production terminates TLS in front of gunicorn.
        "SECURE_SSL_REDIRECT": "0",
        "CONN_MAX_AGE": "60",
        # The per-storefront throttle (6000/min by default) would cap the single bench storefront at 100/s.
        "API_THROTTLE_RATE": "100000000/min",
        "DJANGO_SETTINGS_MODULE": "aftersales.settings",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # Without DEBUG a real mail backend must be named; the bench sends no mail.
        "EMAIL_URL": "smtp://127.0.0.1:2525",
    }


def parse_result(text: str) -> dict[str, float]:
    match = RESULT.search(text)
    if match is None:
        raise SystemExit(f"no RESULT line in:\n{text}")
    return {key: float(value) for key, value in (part.split("=") for part in match.group(1).split())}


def load() -> float:
    return os.getloadavg()[0]


def show(label: str, result: dict[str, float], extra: str) -> None:
    errors = int(result["errors_status"] + result["errors_timeout"] + result["errors_connect"])
    print(
        f"  {label:<14} RESULT req_per_s={result['req_per_s']:7.1f} p50_ms={result['p50_ms']:7.1f} "
        f"p99_ms={result['p99_ms']:7.1f} requests={int(result['requests'])} non2xx={int(result['errors_status'])} "
        f"errors={errors} {extra}",
        flush=True,
    )


# --- The peer ------------------------------------------------------------------------------------------------------


def run_peer(seconds: int, connections: int) -> dict[str, float]:
    before = load()
    completed = subprocess.run(
        ["bench/api_bench.sh", str(TICKETS), str(seconds), str(connections)],
        cwd=PEER,
        capture_output=True,
        text=True,
        check=True,
    )
    result = parse_result(completed.stdout)
    created = re.search(r"tickets created during run: (\d+)", completed.stdout)
    sanity = re.search(r"sanity POST status=(\d+)", completed.stdout)
    result["created"] = float(created.group(1)) if created else -1
    result["load"] = before
    if sanity is None or sanity.group(1) != "201":
        print(f"  peer sanity request: {sanity.group(1) if sanity else 'none'}", flush=True)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", completed.stdout)
    if non2xx:
        result["errors_status"] = max(result["errors_status"], float(non2xx.group(1)))
    show("peer ticket", result, f"created={int(result['created'])} load={before:.2f}->{load():.2f}")
    return result


# --- Ours ----------------------------------------------------------------------------------------------------------


def _pg(database: str) -> Any:
    import psycopg2

    return psycopg2.connect(desk_data.database_url(database))


def _count(database: str, table: str) -> int:
    with _pg(database) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def _backends(database: str) -> list[int]:
    with _pg(database) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'",
            [database],
        )
        return [row[0] for row in cursor.fetchall()]


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            if int(text[text.rindex(")") + 2 :].split()[1]) == parent:
                found.append(int(entry.name))
    return found


def _flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # the bench's own database (9): the broker's queue and the throttle's counters
    client.close()


def _request(method: str, path: str, body: str | None, key: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
    connection.request(method, path, body, headers)
    response = connection.getresponse()
    return response.status, response.read()


def _wait_for_server(key: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _request("GET", "/api/v1/returns/?page_size=1", None, key)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def sanity_body(kind: str) -> str:
    if kind == "ticket":
        return json.dumps(
            {
                "subject": "Sanity",
                "body": "Unit stopped working after update.",
                "category": "logistics",
                "customer": {"external_id": "C-1", "name": "Customer 1", "email": "customer1@example.com"},
            }
        )
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    return json.dumps(
        {
            "order": {
                "external_id": f"SANITY-{time.time_ns()}",
                "placed_at": (now - timedelta(days=4)).isoformat(),
                "delivered_at": (now - timedelta(days=2)).isoformat(),
                "currency": "CNY",
                "lines": [
                    {
                        "external_id": "L1",
                        "sku": "KET-01",
                        "name": "Electric kettle",
                        "quantity": 2,
                        "unit_price": "199",
                    }
                ],
            },
            "customer": {"external_id": "C-2", "name": "Customer 2", "email": "customer2@example.com"},
            "items": [
                {"line": "L1", "quantity": 1, "reason": "quality_issue", "unused": False, "original_packaging": True}
            ],
            "resolution": "refund",
            "description": "The kettle leaks from the base.",
        }
    )


def run_ours(kind: str, snapshot: str, meta: dict[str, str], seconds: int, connections: int) -> dict[str, float]:
    key = meta["api_key"]
    table = "tickets_ticket" if kind == "ticket" else "returns_returnrequest"
    desk_data.copy_database(snapshot, RUN_DB)
    _flush_redis()
    gunicorn = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "aftersales.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env(RUN_DB),
    )
    try:
        _wait_for_server(key)
        status, answer = _request("POST", PATHS[kind], sanity_body(kind), key)
        if status != 201:
            raise SystemExit(f"sanity {kind} create: {status} {answer[:500]!r}")
        before_rows = _count(RUN_DB, table)
        workers = _children(gunicorn.pid)
        backends = _backends(RUN_DB)
        cpu_before = (_cpu_seconds(workers), _cpu_seconds(backends))
        load_before = load()
        completed = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(ROOT / f"bench/wrk/{kind}_create.lua"),
                f"http://127.0.0.1:{PORT}{PATHS[kind]}",
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "API_KEY": key, "CUSTOMERS": meta["customers"]},
        )
        load_after = load()
        new_backends = [pid for pid in _backends(RUN_DB) if pid not in backends]
        cpu_after = (_cpu_seconds(workers), _cpu_seconds(backends) + _cpu_seconds(new_backends))
        time.sleep(0.5)  # the last requests wrk gave up on finish
        created = _count(RUN_DB, table) - before_rows
    finally:
        gunicorn.terminate()
        gunicorn.wait(20)
    result = parse_result(completed.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", completed.stdout)
    if non2xx:
        result["errors_status"] = max(result["errors_status"], float(non2xx.group(1)))
    result["created"] = created
    result["load"] = load_before
    requests = max(result["requests"], 1)
    app_ms, db_ms = ((after - before) * 1000 / requests for before, after in zip(cpu_before, cpu_after, strict=True))
    show(
        f"ours {kind}",
        result,
        f"created={created} load={load_before:.2f}->{load_after:.2f} "
        f"cpu_ms_per_request=gunicorn {app_ms:.1f} + postgres {db_ms:.1f} db_connections_opened={len(new_backends)}",
    )
    return result


# --- Queries of one create (in-process, --queries) -----------------------------------------------------------------


PG_LOG = Path(os.environ.get("BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log"))


def count_queries(snapshot: str) -> None:
    """The statements of one ticket create and one return create (after a warm-up create of each), each with its
    wall time seen from Django and, when PostgreSQL's log is readable here, PostgreSQL's own time for it: the copy
    gets `log_min_duration_statement = 0` (a setting of that database only), and the `duration:` lines of its
    backend are read back from the log in order."""
    desk_data.copy_database(snapshot, QUERIES_DB)
    meta = desk_data.snapshot_meta(snapshot)
    admin = desk_data.admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{QUERIES_DB}" SET log_min_duration_statement = 0')
    admin.close()
    os.environ.update(server_env(QUERIES_DB))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from aftersales.celery import app

    app.conf.broker_url = "memory://"
    client = APIClient(SERVER_NAME="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {meta['api_key']}")
    for kind in ("ticket", "return"):
        client.post(PATHS[kind], sanity_body(kind), content_type="application/json")  # warm-up
        log_start = PG_LOG.stat().st_size if os.access(PG_LOG, os.R_OK) else None
        walls: list[float] = []

        def timing(execute: Any, sql: str, params: Any, many: bool, context: Any, walls: list = walls) -> Any:
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                walls.append((time.perf_counter() - started) * 1000)

        with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(timing):
            response = client.post(PATHS[kind], sanity_body(kind), content_type="application/json")
        assert response.status_code == 201, (response.status_code, response.content[:500])
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        server = _server_times(log_start, pid) if log_start is not None else []
        if len(server) < len(queries.captured_queries):
            server = [None] * len(queries.captured_queries)
        # BEGIN and COMMIT are not sent through a cursor (no execute wrapper sees them): Django's own timing for those.
        pending = iter(walls)
        walls = [
            float(query["time"]) * 1000 if query["sql"] in ("BEGIN", "COMMIT") else next(pending)
            for query in queries.captured_queries
        ]
        client_ms = sum(walls)
        server_ms = sum(x for x in server[: len(queries.captured_queries)] if x is not None)
        print(
            f"{kind} create: {len(queries.captured_queries)} SQL statements; their wall time seen from Django "
            f"{client_ms:.1f} ms, PostgreSQL's time for them {server_ms:.1f} ms"
        )
        for number, (query, wall, ms) in enumerate(zip(queries.captured_queries, walls, server, strict=False), 1):
            sql = " ".join(query["sql"].split())
            pg = f"{ms:6.2f}" if ms is not None else "   n/a"
            print(f"  {number:2d}. django {wall:6.2f} ms, postgres {pg} ms  {sql[:130]}")
    connection.close()
    desk_data.drop_database(QUERIES_DB)


def _server_times(offset: int, pid: int) -> list[float | None]:
    """PostgreSQL's `duration:` of each statement of backend `pid` logged after `offset`, in order."""
    time.sleep(0.2)
    with PG_LOG.open("rb") as log:
        log.seek(offset)
        lines = log.read().decode(errors="replace").splitlines()
    found: list[float | None] = []
    for line in lines:
        match = re.search(rf"\[{pid}\] .*duration: ([0-9.]+) ms", line)
        if match:
            found.append(float(match.group(1)))
    return found[:-1]  # the last one is pg_backend_pid()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--queries", action="store_true", help="only the SQL of one create of each kind")
    args = parser.parse_args()
    snapshot = desk_data.ensure_snapshot(TICKETS)
    if args.queries:
        count_queries(snapshot)
        return
    # As a deploy does (WhiteNoise serves var/static); the queries first, on their own copy.
    manage = [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v0"]
    subprocess.run(manage, cwd=ROOT, env=server_env(RUN_DB), check=True)
    subprocess.run([sys.executable, __file__, "--queries"], check=True)
    meta = desk_data.snapshot_meta(snapshot)
    runs: list[dict[str, dict[str, float]]] = []
    for number in range(1, args.pairs + 1):
        print(f"pair {number} ({time.strftime('%H:%M:%S')}, load average {' '.join(map(str, os.getloadavg()))})")
        pair = {"peer": run_peer(args.seconds, args.connections)}
        for kind in ("ticket", "return"):
            pair[kind] = run_ours(kind, snapshot, meta, args.seconds, args.connections)
        runs.append(pair)
        print(
            f"  ratios: ticket create {pair['ticket']['req_per_s'] / pair['peer']['req_per_s']:.2f}x the peer's, "
            f"return create {pair['return']['req_per_s'] / pair['peer']['req_per_s']:.2f}x the peer's ticket create",
            flush=True,
        )
    desk_data.drop_database(RUN_DB)
    print("\nsummary (median of the pairs)")
    for label in ("peer", "ticket", "return"):
        failed = sum(
            int(r[label]["errors_status"] + r[label]["errors_timeout"] + r[label]["errors_connect"]) for r in runs
        )
        print(
            f"  {label:<7} req_per_s {statistics.median(r[label]['req_per_s'] for r in runs):7.1f}  "
            f"p50_ms {statistics.median(r[label]['p50_ms'] for r in runs):6.1f}  "
            f"p99_ms {statistics.median(r[label]['p99_ms'] for r in runs):6.1f}  "
            f"failed requests (all runs) {failed}"
        )
    for kind, target in TARGETS.items():
        ratios = [r[kind]["req_per_s"] / r["peer"]["req_per_s"] for r in runs]
        median = statistics.median(ratios)
        pairs = ", ".join(f"{x:.2f}" for x in ratios)
        print(
            f"  {kind} create / peer ticket create: pairs {pairs}; median {median:.2f}x "
            f"(target >= {target}x: {'met' if median >= target else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
