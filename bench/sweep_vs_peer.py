"""The SLA sweep at 200,000 tickets, beside the peer's `escalate_tickets` at 200,000 (issue 13).

    .venv/bin/python bench/sweep_vs_peer.py            # ours: three scenarios
    .venv/bin/python bench/sweep_vs_peer.py --peer     # and the peer's own bench/run_escalate.sh 200000 first

The data is the snapshot of bench/desk_data.py (200,000 tickets, 15 % of them in open statuses with running or
paused clocks), on which the sweep already ran at the snapshot's instant T0, as production's every-minute sweep
would have. Each scenario sweeps a fresh copy (`aftersales_bench_sweep`) as if the clock read T0 plus:

- 1 minute: the normal case, what one run of the every-minute beat task finds;
- 1 hour: catching up after the beat was down for an hour;
- 1 day: catching up a whole day, the peer's rhythm (its escalation command typically runs daily from cron).

For each it prints the clock steps owed (warnings, breaches, escalations to level 2 and 3), then the wall time of
`alerts.services.sla_sweep` in-process on the copy and of an immediate second sweep at the same instant (nothing
left to do), and, on a fresh copy, of a whole `manage.py sweep_sla --at ...` process (Python start-up and Django
set-up included), as the peer's script also times its command as a process. Production settings (DEBUG=0), the
broker on the bench's Redis database 9: the alerts' notification tasks are published as in production; no worker
runs.

With `--peer` it first runs the peer's `bench/run_escalate.sh 200000` (its snapshot peer_helpdesk_n200000, from
`../shared/peer-bench/setup.sh 200000`) and prints the ratios of its times to ours.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import desk_data
from bench.common import production_env

ROOT = Path(__file__).resolve().parent.parent
PEER = Path(os.environ.get("PEER_DIR", "/tmp/peer"))
TICKETS = 200_000
RUN_DB = "aftersales_bench_sweep"
SCENARIOS = [("1 minute", timedelta(minutes=1)), ("1 hour", timedelta(hours=1)), ("1 day", timedelta(days=1))]

OWED = """
SELECT count(*) FILTER (WHERE warned_at IS NULL AND warn_at <= %(at)s),
       count(*) FILTER (WHERE breached_at IS NULL AND due_at <= %(at)s),
       count(*) FILTER (WHERE escalation_level < 2 AND escalate2_at <= %(at)s),
       count(*) FILTER (WHERE escalation_level < 3 AND escalate3_at <= %(at)s),
       count(*)
FROM tickets_slaclock WHERE stopped_at IS NULL AND paused_at IS NULL
"""


def env() -> dict[str, str]:
    return {
        **os.environ,
        **production_env(RUN_DB, CONN_MAX_AGE="60", CELERY_TASK_ALWAYS_EAGER="0", LOG_LEVEL="WARNING"),
    }


def sweep_twice(at: datetime) -> None:
    """In a process of its own, on RUN_DB: the first sweep at `at`, then a second one at once."""
    os.environ.update(env())
    import django

    django.setup()
    from django.db import connection

    from alerts.services import sla_sweep

    connection.ensure_connection()  # the connection is not the sweep's cost
    for label in ("first sweep", "second sweep"):
        started = time.perf_counter()
        counts = sla_sweep(now=at)
        print(f"    {label:<13} wall={time.perf_counter() - started:7.3f}s {counts}", flush=True)


def peer() -> dict[str, float]:
    started = time.strftime("%H:%M:%S")
    load = os.getloadavg()[0]
    completed = subprocess.run(
        ["bench/run_escalate.sh", str(TICKETS)], cwd=PEER, capture_output=True, text=True, check=True
    )
    print(f"peer: bench/run_escalate.sh {TICKETS} ({started}, load average {load:.2f})")
    print("\n".join(f"  {line}" for line in completed.stdout.splitlines()), flush=True)
    walls = [float(x) for x in re.findall(r"wall=([0-9.]+)s", completed.stdout)]
    return {"first": walls[0], "second": walls[1], "process": walls[2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", action="store_true", help="run the peer's bench/run_escalate.sh 200000 first")
    parser.add_argument("--sweep-at", help=argparse.SUPPRESS)  # one scenario's in-process sweeps
    args = parser.parse_args()
    if args.sweep_at:
        sweep_twice(datetime.fromisoformat(args.sweep_at))
        return
    peer_walls = peer() if args.peer else None
    snapshot = desk_data.ensure_snapshot(TICKETS)
    t0 = datetime.fromisoformat(desk_data.snapshot_meta(snapshot)["t0"])
    import psycopg2

    for label, delta in SCENARIOS:
        at = t0 + delta
        desk_data.copy_database(snapshot, RUN_DB)
        with psycopg2.connect(desk_data.database_url(RUN_DB)) as connection, connection.cursor() as cursor:
            cursor.execute(OWED, {"at": at})
            warn, due, esc2, esc3, running = cursor.fetchone()
        print(
            f"ours, T0 + {label} ({time.strftime('%H:%M:%S')}, load average {os.getloadavg()[0]:.2f}): "
            f"{running} running clocks; owed: {warn} warnings, {due} breaches, {esc2} level-2 and {esc3} level-3 "
            "escalations",
            flush=True,
        )
        swept = subprocess.run(
            [sys.executable, __file__, "--sweep-at", at.isoformat()], check=True, capture_output=True, text=True
        ).stdout
        print(swept, end="", flush=True)
        first, second = (float(x) for x in re.findall(r"wall=\s*([0-9.]+)s", swept))
        desk_data.copy_database(snapshot, RUN_DB)
        started = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "sweep_sla", "--at", at.isoformat()],
            cwd=ROOT,
            env=env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        process = time.perf_counter() - started
        print(f"    process       wall={process:7.3f}s (manage.py sweep_sla --at, fresh copy)", flush=True)
        if peer_walls:
            print(
                f"    the peer / ours: first run {peer_walls['first'] / first:.0f}x, second run "
                f"{peer_walls['second'] / second:.0f}x, process {peer_walls['process'] / process:.0f}x",
                flush=True,
            )
    desk_data.drop_database(RUN_DB)


if __name__ == "__main__":
    main()
