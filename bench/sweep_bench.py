"""How long one SLA sweep takes at 1,000,000 tickets against 10,000, with the same 1,000 clocks falling due.

    .venv/bin/python bench/sweep_bench.py            # builds its own database (aftersales_bench_sla) and prints:
    large: 1000000 tickets, 100000 running clocks, 1000 due -> sweep 0.123 s
    small: 10000 tickets, 2000 running clocks, 1000 due -> sweep 0.110 s
    ratio large/small: 1.12 (target: large < 1 s, ratio <= 1.5)

Each sweep is timed three times on the same data (reset in between) and the median is reported. The sweep does
its whole production work: marks the clocks, inserts 1,000 breach alerts, 1,000 ticket events and the
notifications of assignees and team supervisors, and enqueues the e-mail task after commit.
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
RUNS = 3


def time_sweep() -> tuple[float, dict[str, int]]:
    from alerts.services import sla_sweep

    timings = []
    result: dict[str, int] = {}
    for _ in range(RUNS):
        sla_data.reset_due(now=NOW)
        started = time.perf_counter()
        result = sla_sweep(now=NOW)
        timings.append(time.perf_counter() - started)
    if result != {"warnings": 0, "breaches": DUE, "escalations": 0}:
        raise SystemExit(f"unexpected sweep result {result}")
    return statistics.median(timings), result


def scenario(name: str, *, tickets: int, running: int) -> float:
    built = sla_data.build(tickets=tickets, running=running, due=DUE, now=NOW)
    sizes = sla_data.counts()
    seconds, _ = time_sweep()
    print(
        f"{name}: {sizes['tickets']} tickets, {sizes['running_clocks']} running clocks ({sizes['clocks']} clocks), "
        f"{DUE} due -> sweep {seconds:.3f} s (data built in {built:.0f} s)",
        flush=True,
    )
    return seconds


def main() -> None:
    sla_data.setup_django()
    small = scenario("small", tickets=10_000, running=2_000)
    large = scenario("large", tickets=1_000_000, running=100_000)
    ratio = large / small
    print(f"ratio large/small: {ratio:.2f} (target: large < 1 s, ratio <= 1.5)")


if __name__ == "__main__":
    main()
