"""How long a time-rule run takes at 1,000,000 tickets, with 1,000 tickets to act on and with none.

    .venv/bin/python bench/automation_bench.py              # builds the data once, then times the runs
    .venv/bin/python bench/automation_bench.py --rebuild    # throws the data away and builds it again
    BENCH_AUTOMATION_DATABASE_URL=postgres://... .venv/bin/python bench/automation_bench.py

It works in its own database, `aftersales_bench_automation` (it sets DATABASE_URL to that before Django starts,
creates the database when missing and migrates it), never in the development or test databases.

The data, written with set-based SQL (INSERT ... SELECT generate_series): 1,000,000 tickets of one storefront, the
newest 50,000 still being worked on (new, open, pending, on hold), the rest closed. 1,000 of the pending ones have
waited about two weeks, the other pending ones less than a day. One active time rule, the shipped "remind after 48
business hours pending" (a reply in the customer's language), in the default business calendar.

Timed, each the median of RUNS runs after one warm-up, every run inside a transaction rolled back afterwards (so
each finds the same 1,000 tickets): `time_rules_run` as beat calls it, (a) with the rule's 48 business hours, when
the 1,000 are due, and (b) with its threshold raised above every ticket's wait (10,000 business hours), when none is:
the same selection query, with nothing to act on. The queries per run are counted; the selection's plan is printed
(EXPLAIN ANALYZE).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django, sql, vacuum_analyze

BENCH_URL = os.environ.get(
    "BENCH_AUTOMATION_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aftersales_bench_automation"
)
TICKETS = 1_000_000
ACTIVE = 50_000
DUE = 1_000
RUNS = 5
# A Wednesday 10:00 in Shanghai, outside any Chinese holiday week.
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
RULE = "Remind the customer after 48 business hours pending"


def build() -> float:
    from tickets.models import Storefront

    started = time.perf_counter()
    sql("TRUNCATE tickets_ticket, tickets_timerulefiring RESTART IDENTITY CASCADE")
    storefront, _ = Storefront.objects.get_or_create(
        name="Bench shop", defaults={"webhook_secret": "whsec_x", "language": "zh-hans"}
    )
    # Status slots of the newest ACTIVE tickets: 0-1 new/open, 2 pending (recent or, for DUE of them, long), 3 on
    # hold; older tickets closed. Pending tickets have pending_since = status_changed_at, as the mover writes them.
    sql(
        """
        INSERT INTO tickets_ticket (public_id, kind, category, severity, channel, status, storefront_id, subject,
            order_external_id, assigned_by_hand, created_at, updated_at, pending_seconds, status_changed_at,
            pending_since)
        SELECT gen_random_uuid(), 'inquiry', 'other', 'minor', 'api', x.status, %(storefront)s, 'Ticket ' || x.i, '',
            false, x.created, x.created, 0, x.since, CASE WHEN x.status = 'pending' THEN x.since END
        FROM (
            SELECT i, created,
                CASE WHEN i <= %(n)s - %(active)s THEN 'closed'
                     ELSE (ARRAY['new', 'open', 'pending', 'on_hold'])[1 + i %% 4] END AS status,
                CASE WHEN i > %(n)s - %(active)s AND i %% 4 = 2 AND i <= %(n)s - %(active)s + 4 * %(due)s
                          THEN %(now)s - interval '14 days'
                     WHEN i > %(n)s - %(active)s THEN %(now)s - interval '6 hours'
                     ELSE created + interval '3 days' END AS since
            FROM (SELECT i, %(now)s - (%(n)s - i) * interval '30 seconds' AS created
                  FROM generate_series(1, %(n)s) AS i) t
        ) x
        """,
        {"n": TICKETS, "active": ACTIVE, "due": DUE, "now": NOW, "storefront": storefront.pk},
    )
    vacuum_analyze(["tickets_ticket"])
    return time.perf_counter() - started


def due_count() -> int:
    from tickets.models import Status, Ticket

    return Ticket.objects.filter(status=Status.PENDING, status_changed_at__lte=NOW - timedelta(days=7)).count()


def timed_run(threshold: int) -> tuple[float, dict[str, int], int]:
    """One time_rules_run, rolled back afterwards: seconds, its answer, its queries."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from tickets.models import TimeRule
    from tickets.services.automation import time_rules_run

    class Rollback(Exception):
        pass

    outcome: dict[str, Any] = {}
    try:
        with transaction.atomic():
            rule = TimeRule.objects.get(name=RULE)
            rule.conditions["all"][1]["value"] = threshold
            TimeRule.objects.filter(is_active=True).update(is_active=False)
            rule.is_active = True
            rule.save()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                outcome["answer"] = time_rules_run(now=NOW)
                outcome["seconds"] = time.perf_counter() - started
            outcome["queries"] = len(queries)
            raise Rollback
    except Rollback:
        pass
    return outcome["seconds"], outcome["answer"], outcome["queries"]


def explain(threshold: int) -> str:
    from django.db import connection

    from tickets.models import TimeRule
    from tickets.services.automation import time_rule_matches

    rule = TimeRule.objects.get(name=RULE)
    rule.conditions["all"][1]["value"] = threshold
    query, params = time_rule_matches(rule, now=NOW).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + query, params)
        return "\n".join(row[0] for row in cursor.fetchall()[:12])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    setup_django(BENCH_URL)
    from tickets.models import Ticket

    if args.rebuild or Ticket.objects.count() != TICKETS:
        print(f"building {TICKETS:,} tickets ...", flush=True)
        print(f"built in {build():.0f} s", flush=True)
    print(f"tickets: {Ticket.objects.count():,}; pending for two weeks: {due_count():,}")
    results = {}
    for label, threshold in (("1,000 matches", 48), ("no match", 10_000)):
        timed_run(threshold)  # warm-up
        runs = [timed_run(threshold) for _ in range(RUNS)]
        seconds = statistics.median(run[0] for run in runs)
        results[label] = seconds
        print(f"{label}: {seconds:.3f} s (median of {RUNS}), answer {runs[0][1]}, {runs[0][2]} queries")
    print(f"ratio: x{results['1,000 matches'] / results['no match']:.0f}")
    print("plan of the selection, no match:\n" + explain(10_000))


if __name__ == "__main__":
    main()
