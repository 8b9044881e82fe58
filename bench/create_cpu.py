"""Where one ticket create and one return create spend their CPU: Python per part of the request, and PostgreSQL.

    .venv/bin/python bench/create_cpu.py               # 300 creates of each kind after 30 warm-up ones
    .venv/bin/python bench/create_cpu.py --creates 1000

In-process, on a copy of the 10,000-ticket snapshot (bench/desk_data.py) in `aftersales_bench_cpu`, with the
production settings of bench/create_vs_peer.py: each create goes through Django's whole request handling (the test
client's WSGI handler, every middleware, DRF's authentication, throttle, validation and output) as under gunicorn,
without the HTTP parsing. CPU time (`time.process_time`), not wall time, so the figures hold on a busy machine
better than requests per second do.

The parts are timed by wrapping, in this process only, the functions that do them (the API-key authentication,
the throttle, input validation, customer_upsert, routing's route and least_loaded_agent, the SLA clocks, the
return policy's decision, ticket_create and return_create, the response body that reads the new object back): each
part's own CPU, its inner parts taken out. Across them: the CPU Django spends compiling querysets to SQL
(`SQLCompiler.as_sql`), and in the driver's calls (sending, receiving, converting rows; the wait for PostgreSQL
is not CPU). PostgreSQL's CPU per create is read from /proc for the connection's backend.
"""

import argparse
import functools
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import desk_data
from bench.create_vs_peer import PATHS, sanity_body, server_env

RUN_DB = "aftersales_bench_cpu"

own: dict[str, float] = defaultdict(float)  # a part's CPU, its inner parts taken out
calls: dict[str, int] = defaultdict(int)
stack: list[list[float]] = []  # per active part: [CPU of its inner parts]


def timed(name: str, function: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        stack.append([0.0])
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent = time.process_time() - started
            inner = stack.pop()[0]
            own[name] += spent - inner
            calls[name] += 1
            if stack:
                stack[-1][0] += spent

    return wrapper


def patch(owner: Any, attribute: str, name: str) -> None:
    setattr(owner, attribute, timed(name, getattr(owner, attribute)))


def instrument() -> None:
    import returns.api.storefront
    import returns.services
    import returns.services.returns
    import tickets.api.storefront
    import tickets.services
    from tickets.authentication import ApiKeyAuthentication
    from tickets.services import routing, webhooks
    from tickets.services.clocks import TicketClocks
    from tickets.throttling import ClientRateThrottle

    patch(ApiKeyAuthentication, "authenticate", "authentication (API key)")
    patch(ClientRateThrottle, "allow_request", "throttle (cache: Redis)")
    patch(tickets.api.storefront, "validated", "input validation")
    patch(returns.api.storefront, "validated", "input validation")
    patch(tickets.services, "customer_upsert", "customer_upsert")
    patch(routing, "route", "routing: route (rules)")
    patch(routing, "least_loaded_agent", "routing: least_loaded_agent")
    for method in ("start", "stop", "save", "pause", "resume"):
        if hasattr(TicketClocks, method):
            patch(TicketClocks, method, "SLA clocks (TicketClocks)")
    patch(returns.services.returns, "decide", "return policy decision")
    patch(tickets.services, "ticket_create", "ticket_create, the rest (rows written)")
    patch(returns.services, "return_create", "return_create, the rest (order, return, items, moves)")
    patch(tickets.api.storefront, "storefront_ticket_body", "response: ticket read back and serialized")
    patch(webhooks, "_enqueue_send", "webhook hand-over after commit (Celery publish to Redis)")
    patch(returns.api.storefront, "storefront_return", "response: return read back and serialized")


def measure(kind: str, creates: int, warm_up: int, client: Any) -> None:
    from django.db import connection
    from django.db.models.sql import compiler

    for _ in range(warm_up):
        response = client.post(PATHS[kind], sanity_body(kind), content_type="application/json")
        assert response.status_code == 201, response.content[:500]
    bodies = [sanity_body(kind) for _ in range(creates)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    own.clear()
    calls.clear()
    across = {"compile": 0.0, "driver": 0.0}
    depth = [0]

    def compiling(function: Any) -> Any:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    across["compile"] += time.process_time() - started

        return wrapper

    originals = {
        cls: cls.as_sql for cls in (compiler.SQLCompiler, compiler.SQLInsertCompiler, compiler.SQLUpdateCompiler)
    }
    for cls, original in originals.items():
        cls.as_sql = compiling(original)

    def driver(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.process_time()
        try:
            return execute(sql, params, many, context)
        finally:
            across["driver"] += time.process_time() - started

    backend_before = _backend_cpu(backend)
    started = time.process_time()
    wall = time.perf_counter()
    with connection.execute_wrapper(driver):
        for body in bodies:
            client.post(PATHS[kind], body, content_type="application/json")
    total = time.process_time() - started
    wall = time.perf_counter() - wall
    backend_cpu = _backend_cpu(backend) - backend_before
    for cls, original in originals.items():
        cls.as_sql = original
    per = 1000 / creates
    print(
        f"{kind} create, {creates} in a row: Python {total * per:.2f} ms CPU per create, PostgreSQL backend "
        f"{backend_cpu * per:.2f} ms CPU; wall {wall * per:.2f} ms (load average {os.getloadavg()[0]:.2f})"
    )
    parts = sorted(own.items(), key=lambda item: -item[1])
    rest = total - sum(own.values())
    for name, spent in [*parts, ("the rest: Django, DRF, middleware, the view, commit", rest)]:
        print(f"  {spent * per:6.2f} ms  {100 * spent / total:5.1f} %  {name}")
    print("  across those parts:")
    print(
        f"  {across['compile'] * per:6.2f} ms  {100 * across['compile'] / total:5.1f} %  Django compiling SQL (as_sql)"
    )
    print(
        f"  {across['driver'] * per:6.2f} ms  {100 * across['driver'] / total:5.1f} %  "
        "the cursor's execute (driver, rows; not the wait)"
    )


def _backend_cpu(pid: int) -> float:
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--warm-up", type=int, default=30)
    args = parser.parse_args()
    snapshot = desk_data.ensure_snapshot(10_000)
    desk_data.copy_database(snapshot, RUN_DB)
    meta = desk_data.snapshot_meta(snapshot)
    os.environ.update(server_env(RUN_DB))
    import django

    django.setup()
    from django.db import connection
    from rest_framework.test import APIClient

    from aftersales.celery import app

    # The webhook hand-over publishes to Redis as in production (database 9, emptied by create_vs_peer.py's runs).
    app.conf.task_always_eager = False
    instrument()
    client = APIClient(SERVER_NAME="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {meta['api_key']}")
    for kind in ("ticket", "return"):
        measure(kind, args.creates, args.warm_up, client)
    connection.close()
    desk_data.drop_database(RUN_DB)


if __name__ == "__main__":
    main()
