"""The desk's ticket lists at 10,000 and 200,000 tickets: query counts and times, beside the peer's (issue 13).

    .venv/bin/python bench/lists_vs_peer.py                  # ours at 10,000 and 200,000 tickets
    .venv/bin/python bench/lists_vs_peer.py --peer           # and the peer's own bench/list_bench.py at both sizes
    .venv/bin/python bench/lists_vs_peer.py --sizes 10000 --reps 9

Each size's snapshot (bench/desk_data.py; built first if missing) is copied into `aftersales_bench_lists`, and each
list is requested in-process through Django's test client, signed in (force_login) as the peer's bench does, with
production settings (DEBUG=0): the desk queue page `/desk/?scope=all` as a supervisor, an agent's Team scope
(bench-agent-1, in Customer service and Logistics) and Mine, the desk API list `/api/v1/desk/tickets/?scope=all`
(first page of 50, and the page after it through the cursor) and the agent's `scope=team`. One warm-up, then the
median and best of `--reps` requests, the SQL statements of one request and their time, and the answer's size.
The query counts must be the same at both sizes (a list's cost must not grow with the table).

`--peer` runs `PEER_DB=peer_helpdesk_n<N> ./venv/bin/python bench/list_bench.py --api` in /tmp/peer for each size
(its snapshots come from ../shared/peer-bench/setup.sh; the 200,000 one from `setup.sh 200000`).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import desk_data
from bench.common import production_env

PEER = Path(os.environ.get("PEER_DIR", "/tmp/peer"))
RUN_DB = "aftersales_bench_lists"


def measure(size: int, reps: int) -> None:
    """In a process of its own (Django is set up for one database): time the lists on a copy of one snapshot."""
    snapshot = desk_data.ensure_snapshot(size)
    desk_data.copy_database(snapshot, RUN_DB)
    os.environ.update(production_env(RUN_DB, ALLOWED_HOSTS="testserver", SECURE_SSL_REDIRECT="0", CONN_MAX_AGE="60"))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from tickets.models import OPEN_STATUSES, Ticket

    users = get_user_model().objects
    supervisor = Client()
    supervisor.force_login(users.get(username="bench-supervisor-1"))
    agent = Client()
    agent.force_login(users.get(username="bench-agent-1"))
    total = Ticket.objects.count()
    open_total = Ticket.objects.filter(status__in=OPEN_STATUSES).count()
    print(f"ours: {RUN_DB} (copy of {snapshot}): {total} tickets, {open_total} open", flush=True)

    first_page = supervisor.get("/api/v1/desk/tickets/?scope=all").json()
    cases: list[tuple[str, Client, str]] = [
        ("desk queue, supervisor, All", supervisor, "/desk/?scope=all"),
        ("desk queue, agent, Team", agent, "/desk/?scope=team"),
        ("desk queue, agent, Mine", agent, "/desk/"),
        ("API list, supervisor, scope=all", supervisor, "/api/v1/desk/tickets/?scope=all"),
        ("API list, supervisor, scope=all, page 2", supervisor, first_page["next"]),
        ("API list, agent, scope=team", agent, "/api/v1/desk/tickets/?scope=team"),
    ]
    for label, client, url in cases:
        run(label, client, url, reps, connection)
    connection.close()
    desk_data.drop_database(RUN_DB)


def run(label: str, client: Any, url: str, reps: int, connection: Any) -> None:
    response = client.get(url)
    assert response.status_code == 200, (label, response.status_code, response.content[:300])
    times = []
    stat = {"n": 0, "t": 0.0}
    for _ in range(reps):
        stat = {"n": 0, "t": 0.0}

        def wrap(execute: Any, sql: str, params: Any, many: bool, context: Any, stat: dict = stat) -> Any:
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                stat["n"] += 1
                stat["t"] += time.perf_counter() - started

        with connection.execute_wrapper(wrap):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200
    print(
        f"  {label:<42} median={1000 * statistics.median(times):7.1f}ms min={1000 * min(times):7.1f}ms "
        f"queries={stat['n']:3d} sql_time={1000 * stat['t']:6.1f}ms bytes={len(response.content)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,200000")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--peer", action="store_true", help="also run the peer's bench/list_bench.py --api")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)  # one size, in a process of its own
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.reps)
        return
    for size in map(int, args.sizes.split(",")):
        desk_data.ensure_snapshot(size)
        print(f"== {size} tickets ({time.strftime('%H:%M:%S')}, load average {os.getloadavg()[0]:.2f})", flush=True)
        subprocess.run([sys.executable, __file__, "--measure", str(size), "--reps", str(args.reps)], check=True)
        if args.peer:
            print(f"peer ({time.strftime('%H:%M:%S')}, load average {os.getloadavg()[0]:.2f}):", flush=True)
            subprocess.run(
                ["./venv/bin/python", "bench/list_bench.py", "--api", "--reps", str(args.reps)],
                cwd=PEER,
                env={**os.environ, "PEER_DB": f"peer_helpdesk_n{size}"},
                check=True,
            )
        print(f"   load average after: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
