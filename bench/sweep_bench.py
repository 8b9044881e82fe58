"""How long one SLA sweep takes at 1,000,000 tickets against 10,000, with the same 1,000 clocks falling due.

    .venv/bin/python bench/sweep_bench.py

builds its own database (aftersales_bench_sla, see bench/sla_data.py), times the sweep five times per size on the
same data (reset in between, after one untimed warm-up run), and prints the median and best run of each and their
ratio. The sweep does its whole production work: marks the clocks, inserts 1,000 breach alerts, 1,000 ticket events
and the notifications of the assignees and team supervisors, and enqueues the e-mail task after commit.
"""

import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import sla_data

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DUE = 1000
RUNS = 5


def time_sweep() -> tuple[list[float], dict[str, int]]:
    from alerts.services import sla_sweep

    timings = []
    result: dict[str, int] = {}
    # One untimed run first: a production sweep runs every minute against warm caches.
    sla_data.reset_due(now=NOW)
    sla_sweep(now=NOW)
    for _ in range(RUNS):
        sla_data.reset_due(now=NOW)
        started = time.perf_counter()
        result = sla_sweep(now=NOW)
        timings.append(time.perf_counter() - started)
    if result != {"warnings": 0, "breaches": DUE, "escalations": 0}:
        raise SystemExit(f"unexpected sweep result {result}")
    return timings, result


def scenario(name: str, *, tickets: int, running: int) -> list[float]:
    built = sla_data.build(tickets=tickets, running=running, due=DUE, now=NOW)
    sizes = sla_data.counts()
    timings, _ = time_sweep()
    print(
        f"{name}: {sizes['tickets']} tickets, {sizes['running_clocks']} running clocks ({sizes['clocks']} clocks), "
        f"{DUE} due -> sweep median {statistics.median(timings):.3f} s, best {min(timings):.3f} s "
        f"(runs: {', '.join(f'{t:.3f}' for t in timings)}; data built in {built:.0f} s)",
        flush=True,
    )
    return timings


def main() -> None:
    sla_data.setup_django()
    small = scenario("small", tickets=10_000, running=2_000)
    large = scenario("large", tickets=1_000_000, running=100_000)
    # The machine is shared: the best run is the one least disturbed by other work, so the ratio compares those.
    print(
        f"ratio large/small: best {min(large) / min(small):.2f}, median "
        f"{statistics.median(large) / statistics.median(small):.2f} (target: large < 1 s, ratio <= 1.5)"
    )


if __name__ == "__main__":
    main()
