"""How long the desk queue takes at 1,000,000 tickets.

    .venv/bin/python bench/queue_bench.py              # builds the data once, then times the queries
    .venv/bin/python bench/queue_bench.py --rebuild    # throws the data away and builds it again
    BENCH_DATABASE_URL=postgres://... .venv/bin/python bench/queue_bench.py

It works in its own database, `aftersales_bench` (BENCH_DATABASE_URL; it sets DATABASE_URL to that before Django
starts, creates the database when missing and migrates it), never in the development or test databases.

The data, written with set-based SQL (INSERT ... SELECT generate_series), is a year of a large shop: 1,000,000
tickets, 200,000 customers, one customer message per ticket, 10 teams of 10 agents. The last 50,000 tickets (about
18 days) are still being worked on: new, open, pending, on hold or resolved; everything older is closed. Tickets with
a running SLA clock (new, open) have `next_due_at` between 4 hours ago (breached) and 44 hours ahead; paused (pending,
on hold) and finished ones have none, which is what the SLA services write.

Each query is built by `tickets.selectors.ticket_queue`, exactly as the queue page builds it, and evaluated the way
the page does (`tickets.views._queue_page`): one page of rows (LIMIT 26 at an OFFSET) and the capped count
(`COUNT(*)` over at most 1,001 rows). A search that is not a reference runs one more query when the queryset is
built (the probe: is the term common?), timed as `probe ms`; the `search` column says which way it searched
(reference, union, or walk for a common term). Every figure is the median of RUNS runs after one warm-up, with the
plan's top nodes from EXPLAIN.
"""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median_ms, setup_django, sql, vacuum_analyze

BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aftersales_bench")
TICKETS = 1_000_000
CUSTOMERS = 200_000
TEAMS = 10
AGENTS_PER_TEAM = 10
ACTIVE = 50_000  # the newest tickets, still being worked on
RUNS = 7
NOW = datetime.now(UTC).replace(microsecond=0)


def ticket_count() -> int:
    from tickets.models import Ticket

    return Ticket.objects.count()


def build() -> float:
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from tickets.models import Storefront, Team

    started = time.perf_counter()
    sql(
        "TRUNCATE tickets_message, tickets_ticketevent, tickets_slaclock, tickets_ticket, tickets_customer, "
        "tickets_team_members, tickets_team, tickets_storefront RESTART IDENTITY CASCADE"
    )
    with transaction.atomic():
        User.objects.filter(username__startswith="bench-").delete()
        agents_group, _ = Group.objects.get_or_create(name="agents")
        supervisors_group, _ = Group.objects.get_or_create(name="supervisors")
        storefronts = [Storefront.objects.create(name=f"Bench shop {i}", webhook_secret="whsec_x") for i in range(3)]
        Team.objects.filter(is_default=True).update(is_default=False)  # the one `migrate` made
        teams = [Team.objects.create(name=f"Bench team {i}", is_default=i == 0) for i in range(TEAMS)]
        agents = []
        for i in range(TEAMS * AGENTS_PER_TEAM):
            user = User.objects.create(username=f"bench-agent-{i}")
            user.groups.add(agents_group)
            teams[i // AGENTS_PER_TEAM].members.add(user)
            agents.append(user)
        # The timed agent works in two teams, as some do: the Team scope then covers more than one team.
        teams[1].members.add(agents[0])
        supervisor = User.objects.create(username="bench-supervisor")
        supervisor.groups.add(supervisors_group)
        for team in teams:
            team.members.add(supervisor)
    params = {
        "now": NOW,
        "n": TICKETS,
        "customers": CUSTOMERS,
        "active": ACTIVE,
        "teams": TEAMS,
        "per_team": AGENTS_PER_TEAM,
        "storefront0": storefronts[0].pk,
        "team0": teams[0].pk,
        "agent0": agents[0].pk,
    }
    sql(
        """
        INSERT INTO tickets_customer (storefront_id, external_id, name, email, phone, created_at)
        SELECT %(storefront0)s + c %% 3, 'C-' || c, 'Customer ' || c, 'customer' || c || '@example.com',
            '+86138' || lpad(c::text, 8, '0'), %(now)s - interval '400 days'
        FROM generate_series(1, %(customers)s) AS c
        """,
        params,
    )
    # s = the ticket's status slot: the newest ACTIVE tickets spread over the working statuses, older ones closed.
    sql(
        """
        INSERT INTO tickets_ticket (public_id, kind, category, severity, channel, status, storefront_id,
            customer_id, subject, order_external_id, team_id, assignee_id, assigned_by_hand, created_at, updated_at,
            acknowledged_at, first_response_at, resolved_at, closed_at, next_due_at, next_warn_at, pending_seconds)
        SELECT md5(i::text)::uuid,
            (ARRAY['inquiry', 'inquiry', 'inquiry', 'return', 'complaint'])[1 + i %% 5],
            (ARRAY['product_quality', 'logistics', 'policy', 'payment', 'account', 'service', 'other'])[1 + i %% 7],
            (ARRAY['minor', 'minor', 'moderate', 'severe'])[1 + i %% 4],
            (ARRAY['web', 'email', 'phone', 'chat', 'social', 'api'])[1 + i %% 6],
            s.status, %(storefront0)s + i %% 3, 1 + i %% %(customers)s,
            'Question about order SO-' || i, 'SO-' || i, %(team0)s + i %% %(teams)s,
            CASE WHEN s.status = 'new' AND i %% 2 = 0 THEN NULL
                 ELSE %(agent0)s + (i %% %(teams)s) * %(per_team)s + (i / %(teams)s) %% %(per_team)s END,
            false, c.at, c.at + interval '1 hour',
            CASE WHEN s.status = 'new' THEN NULL ELSE c.at + interval '20 minutes' END,
            CASE WHEN s.status = 'new' THEN NULL ELSE c.at + interval '40 minutes' END,
            CASE WHEN s.status IN ('resolved', 'closed') THEN c.at + interval '1 day' END,
            CASE WHEN s.status = 'closed' THEN c.at + interval '8 days' END,
            d.due, d.due - interval '30 minutes', 0
        FROM generate_series(1, %(n)s) AS i
        CROSS JOIN LATERAL (
            SELECT CASE WHEN i <= %(n)s - %(active)s THEN 'closed'
                        ELSE (ARRAY['new', 'new', 'open', 'open', 'open', 'open', 'open', 'pending', 'pending',
                                    'on_hold', 'resolved', 'resolved'])[1 + i %% 12] END AS status
        ) s
        CROSS JOIN LATERAL (
            SELECT %(now)s - interval '365 days' * (%(n)s - i)::float / %(n)s AS at
        ) c
        CROSS JOIN LATERAL (
            SELECT CASE WHEN s.status IN ('new', 'open')
                        THEN %(now)s + interval '1 minute' * ((i::bigint * 7919) %% 2880 - 240) END AS due
        ) d
        """,
        params,
    )
    sql(
        """
        INSERT INTO tickets_message (ticket_id, kind, body, author_id, channel, created_at)
        SELECT t.id, 'customer', 'Hello, my order ' || t.order_external_id || ' has a problem, please help.',
            NULL, t.channel, t.created_at
        FROM tickets_ticket t
        """
    )
    vacuum_analyze(["tickets_customer", "tickets_ticket", "tickets_message"])
    return time.perf_counter() - started


def plan_summary(queryset: Any) -> str:
    """The plan's nodes from the top down to the first scan of tickets_ticket, e.g.
    `Limit > Nested Loop Left Join > Index Scan using ticket_assignee_due_idx`."""
    plan = json.loads(queryset.explain(format="json"))[0]["Plan"]
    chain: list[str] = []

    def walk(node: dict[str, Any]) -> bool:
        label = node["Node Type"]
        if node.get("Index Name"):
            label += f" using {node['Index Name']}"
        elif node.get("Relation Name"):
            label += f" on {node['Relation Name']}"
        chain.append(label)
        if node.get("Relation Name") == "tickets_ticket":
            return True
        return any(walk(child) for child in node.get("Plans", []))

    walk(plan)
    return " > ".join(chain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="drop the bench data and build it again")
    args = parser.parse_args()
    setup_django(BENCH_URL)

    from django.contrib.auth.models import User

    from tickets import selectors
    from tickets.views import QUEUE_COUNT_CAP, QUEUE_PAGE_SIZE

    if args.rebuild or ticket_count() != TICKETS:
        print(f"building {TICKETS:,} tickets in {BENCH_URL} ...", flush=True)
        print(f"built in {build():.0f} s", flush=True)

    from tickets.models import Ticket

    open_count = Ticket.objects.filter(status__in=["new", "open", "pending", "on_hold"]).count()
    print(f"{ticket_count():,} tickets, {open_count:,} open; page size {QUEUE_PAGE_SIZE}, count cap {QUEUE_COUNT_CAP}")

    agent = User.objects.get(username="bench-agent-0")
    supervisor = User.objects.get(username="bench-supervisor")
    cases = [
        ("Mine (agent)", agent, "mine", {}, "", 1),
        ("Team (agent, 2 teams)", agent, "team", {}, "", 1),
        ("Unassigned (agent)", agent, "unassigned", {}, "", 1),
        ("All (supervisor)", supervisor, "all", {}, "", 1),
        ("All, page 40", supervisor, "all", {}, "", 40),
        ("All, status=pending", supervisor, "all", {"status": "pending"}, "", 1),
        ("All, status=closed", supervisor, "all", {"status": "closed"}, "", 1),
        ("Team, severity=severe", agent, "team", {"severity": "severe"}, "", 1),
        # Search: one case per way of searching, within the agent's open tickets and over all closed tickets.
        # "kettle" is in no ticket; "Customer 4242" is the name of 11 customers (4242, 42420-42429); "SO-99" is in the
        # subject and message of 11,111 tickets (SO-99, SO-990..., SO-99000...); "problem" is in every message.
        ("Team, search reference", agent, "team", {}, "T-990001", 1),
        ("Team, search a word", agent, "team", {}, "kettle", 1),
        ("Team, search order id", agent, "team", {}, "SO-990001", 1),
        ("Team, search e-mail", agent, "team", {}, "CUSTOMER190001@example.com", 1),
        ("Team, search phone", agent, "team", {}, "+8613800190001", 1),
        ("Team, search a name", agent, "team", {}, "Customer 4242", 1),
        ("Team, search SO-99", agent, "team", {}, "SO-99", 1),
        ("Team, search common word", agent, "team", {}, "problem", 1),
        ("All, closed, search ref.", supervisor, "all", {"status": "closed"}, "T-0001234", 1),
        ("All, closed, search word", supervisor, "all", {"status": "closed"}, "kettle", 1),
        ("All, closed, search name", supervisor, "all", {"status": "closed"}, "Customer 4242", 1),
        ("All, closed, search e-mail", supervisor, "all", {"status": "closed"}, "customer1234@example.com", 1),
        ("All, closed, common word", supervisor, "all", {"status": "closed"}, "problem", 1),
    ]
    header = f"{'query':<26} {'probe ms':>8} {'rows ms':>8} {'count ms':>9} {'count':>6}  {'search':<9}"
    print(f"\n{header} plan of the rows query")
    for name, user, scope, filters, search, page in cases:

        def queue(user: Any = user, scope: str = scope, filters: dict[str, Any] = filters, search: str = search) -> Any:
            # For a search that is not a reference this runs the probe query (is the term common?).
            return selectors.ticket_queue(user=user, scope=scope, filters=filters, search=search)

        queryset = queue()
        start = (page - 1) * QUEUE_PAGE_SIZE

        def rows(queryset: Any = queryset, start: int = start) -> list[Any]:
            return list(queryset[start : start + QUEUE_PAGE_SIZE + 1])

        def count(queryset: Any = queryset) -> int:
            return queryset.order_by()[: QUEUE_COUNT_CAP + 1].count()

        probe_ms = median_ms(queue, RUNS) if search else 0.0
        rows_ms, count_ms = median_ms(rows, RUNS), median_ms(count, RUNS)
        shown = count()
        shown_text = f"{QUEUE_COUNT_CAP}+" if shown > QUEUE_COUNT_CAP else str(shown)
        plan = plan_summary(queryset[start : start + QUEUE_PAGE_SIZE + 1])
        kind = search_kind(queryset, search)
        print(
            f"{name:<26} {probe_ms:>8.1f} {rows_ms:>8.1f} {count_ms:>9.1f} {shown_text:>6}  {kind:<9} {plan}",
            flush=True,
        )


def search_kind(queryset: Any, search: str) -> str:
    """Which way `selectors._search_q` searched: the reference, a UNION of indexed lookups, or the queue walked in
    order with each ticket tested (a common term)."""
    if not search:
        return "-"
    sql_text = str(queryset.query)
    if "EXISTS" in sql_text:
        return "walk"
    return "union" if "UNION" in sql_text else "reference"


if __name__ == "__main__":
    main()
