"""How fast `/reports/` answers for a 30-day period at 1,000,000 tickets, and at 10,000 for comparison.

    .venv/bin/python bench/reports_bench.py                    # 1,000,000 then 10,000 tickets
    .venv/bin/python bench/reports_bench.py --sizes 1000000    # one size; kept data is reused (--rebuild)
    BENCH_REPORTS_DATABASE_URL=postgres://... .venv/bin/python bench/reports_bench.py

It works in its own database, `aftersales_bench_reports` (BENCH_REPORTS_DATABASE_URL; created when missing and
migrated, never the development or test databases), and builds the data for each size with set-based SQL
(INSERT ... SELECT generate_series), unless it already holds that many tickets (--rebuild builds anyway). The data
is a year of a large shop with three storefronts and six teams of ten agents, tickets spread evenly over the year:

- tickets: 5 % returns, 2 % complaints, the rest inquiries, over 7 categories and 6 channels; the newest 3 days
  partly open, everything resolved (with first response, pending time), closed after 14 days;
- SLA clocks: acknowledgement, response and resolution, stopped, per resolved ticket (3 per ticket), some late;
- surveys: one per resolution (with the ticket's assignee), a third answered (scores skewed to 4 and 5);
- returns: an order, a line, a return request and an item per return ticket (9 reasons); 60 % refunded (succeeded);
- complaints: one per complaint ticket (6 categories), archived with a root cause after 14 days, a quarter with an
  accepted compensation;
- daily sales: orders and revenue per storefront per day over the year.

Then, as a signed-in supervisor through Django's test client, it times GET /reports/ (the last 30 days), the same
for one storefront and for one team, and GET /api/v1/desk/reports/: the median of RUNS runs after one warm-up, with
the number of queries. Target: under 1 second at 1,000,000 tickets, with the query count the same at both sizes.
"""

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import seed_kpi_thresholds, setup_django, sql, timed, vacuum_analyze  # noqa: E402

BENCH_URL = os.environ.get("BENCH_REPORTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aftersales_bench_reports")
RUNS = 5
STOREFRONTS = 3
TEAMS = 6
AGENTS = 60
NOW = datetime.now(UTC).replace(microsecond=0)
SUPERVISOR = "bench-supervisor"


def build(tickets: int) -> float:
    """Throw the data away and write `tickets` tickets and everything around them. Returns the seconds it took."""
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from tickets import services
    from tickets.models import Storefront, Team

    started = time.perf_counter()
    sql(
        "TRUNCATE returns_refund, returns_returnitem, returns_returnrequest_evidence, returns_returnrequest, "
        "returns_orderline, returns_order, complaints_complaint, tickets_survey, tickets_salesstat, "
        "alerts_notification, alerts_alert, tickets_slaclock, tickets_ticketevent, tickets_message, tickets_ticket, "
        "tickets_team_members, tickets_team, tickets_storefront, tickets_customer, alerts_kpithreshold, "
        "tickets_stafftoken, tickets_staffprofile, auth_user_groups, auth_user RESTART IDENTITY CASCADE"
    )
    with transaction.atomic():
        storefronts = [
            Storefront.objects.create(name=f"Bench shop {i}", webhook_secret="whsec_x") for i in range(STOREFRONTS)
        ]
        teams = [Team.objects.create(name=f"Team {i}", is_default=i == 0) for i in range(TEAMS)]
        agents_group, _ = Group.objects.get_or_create(name="agents")
        agents = []
        for k in range(AGENTS):
            user = User.objects.create(username=f"bench-agent-{k:02d}", first_name="Agent", last_name=f"{k:02d}")
            user.groups.add(agents_group)
            teams[k % TEAMS].members.add(user)
            agents.append(user.pk)
        services.staff_create(username=SUPERVISOR, role="supervisor", password="bench-pass-2026", teams=teams[:1])
        seed_kpi_thresholds()
    params = {
        "n": tickets,
        "now": NOW,
        "year": timedelta(days=365),
        "sf0": storefronts[0].pk,
        "team0": teams[0].pk,
        "agent0": agents[0],
        # The newest tickets: 3 days' worth partly still open, 14 days' worth not closed yet.
        "open_from": tickets - tickets * 3 // 365,
        "closed_before": tickets - tickets * 14 // 365,
    }
    # Ticket i was created (n - i) / n of a year ago.
    sql(
        """
        INSERT INTO tickets_ticket (public_id, kind, category, severity, channel, status, storefront_id,
            subject, order_external_id, team_id, assignee_id, assigned_by_hand, created_at, updated_at,
            acknowledged_at, first_response_at, resolved_at, closed_at, pending_seconds)
        SELECT md5(i::text)::uuid,
            CASE WHEN i %% 20 = 0 THEN 'return' WHEN i %% 50 = 1 THEN 'complaint' ELSE 'inquiry' END,
            (ARRAY['product_quality', 'logistics', 'policy', 'payment', 'account', 'service', 'other'])[1 + i %% 7],
            (ARRAY['minor', 'minor', 'moderate', 'severe'])[1 + i %% 4],
            (ARRAY['web', 'email', 'phone', 'chat', 'social', 'api'])[1 + (i / 7) %% 6],
            s.status, %(sf0)s + i %% 3, 'Ticket ' || i, 'O-' || i,
            %(team0)s + i %% 6, %(agent0)s + i %% 60, false, c.created, c.created,
            c.created + make_interval(mins => (i * 31) %% 120),
            CASE WHEN s.status = 'open' AND i %% 2 = 0 THEN NULL
                 ELSE c.created + make_interval(mins => 5 + ((i::bigint * 7919) %% 360)::int) END,
            CASE WHEN s.status = 'open' THEN NULL
                 ELSE LEAST(%(now)s, c.created + make_interval(hours => 1 + (i * 131) %% 72)) END,
            CASE WHEN s.status = 'closed' THEN c.created + interval '17 days' END,
            CASE WHEN s.status = 'open' THEN 0 ELSE (i %% 5) * 600 END
        FROM generate_series(1, %(n)s) AS i
        CROSS JOIN LATERAL (SELECT %(now)s - %(year)s * (%(n)s - i)::float / %(n)s AS created) c
        CROSS JOIN LATERAL (
            SELECT CASE WHEN i > %(open_from)s AND i %% 3 = 0 THEN 'open'
                        WHEN i > %(closed_before)s THEN 'resolved' ELSE 'closed' END AS status
        ) s
        """,
        params,
    )
    # Stopped clocks of the resolved tickets: acknowledgement (24 h), response (2 h), resolution (24 h).
    sql(
        """
        INSERT INTO tickets_slaclock (ticket_id, team_id, metric, key, target_minutes, started_at, warn_at, due_at,
            escalate2_at, escalate3_at, paused_seconds, stopped_at, escalation_level)
        SELECT t.id, t.team_id, m.metric, '', m.minutes, t.created_at,
            t.created_at + make_interval(mins => m.minutes * 3 / 4), t.created_at + make_interval(mins => m.minutes),
            t.created_at + make_interval(mins => m.minutes * 2), t.created_at + make_interval(mins => m.minutes * 3),
            0, CASE m.metric WHEN 'acknowledgement' THEN t.acknowledged_at WHEN 'response' THEN t.first_response_at
                             ELSE t.resolved_at END, 0
        FROM tickets_ticket t
        CROSS JOIN (VALUES ('acknowledgement', 1440), ('response', 120), ('resolution', 1440)) AS m(metric, minutes)
        WHERE t.resolved_at IS NOT NULL
        """
    )
    # One survey per resolution, a third answered within two days (if that is not in the future yet).
    sql(
        """
        INSERT INTO tickets_survey (
            ticket_id, assignee_id, token, created_at, expires_at, answered_at, overall, comment
        )
        SELECT t.id, t.assignee_id, md5(t.id::text) || md5('s' || t.id), t.resolved_at,
            t.resolved_at + interval '14 days',
            CASE WHEN t.id %% 3 = 0 AND t.resolved_at + make_interval(hours => (t.id %% 48)::int) <= %(now)s
                 THEN t.resolved_at + make_interval(hours => (t.id %% 48)::int) END,
            CASE WHEN t.id %% 3 = 0 AND t.resolved_at + make_interval(hours => (t.id %% 48)::int) <= %(now)s
                 THEN (ARRAY[5, 5, 5, 4, 4, 4, 3, 5, 2, 1])[1 + t.id %% 10] END,
            ''
        FROM tickets_ticket t WHERE t.resolved_at IS NOT NULL
        """,
        params,
    )
    # Returns: an order, one line, the request and one item per return ticket.
    sql(
        """
        INSERT INTO returns_order (storefront_id, external_id, placed_at, delivered_at, currency, created_at)
        SELECT t.storefront_id, t.order_external_id, t.created_at - interval '10 days',
            t.created_at - interval '5 days', 'CNY', t.created_at
        FROM tickets_ticket t WHERE t.kind = 'return'
        """
    )
    sql(
        """
        INSERT INTO returns_orderline (order_id, external_id, sku, name, quantity, unit_price)
        SELECT o.id, 'L1', 'SKU-' || (o.id %% 500), 'Kettle', 1, 99.00 FROM returns_order o
        """
    )
    sql(
        """
        INSERT INTO returns_returnrequest (public_id, storefront_id, order_id, ticket_id, resolution,
            description, status, decision_outcome, decision_rule, decision_explanation, decision_reason, returnless,
            advance_refund, carrier, tracking_number, inspection_notes, replacement_sku, repair_outcome,
            refundable_amount, currency, created_at, updated_at)
        SELECT md5('r' || t.id)::uuid, t.storefront_id, o.id, t.id, 'refund', '',
            'completed', 'auto_approved', 'no_reason', '', '', false, false, '', '', '', '', '', 99.00, 'CNY',
            t.created_at, t.created_at
        FROM tickets_ticket t
        JOIN returns_order o ON o.storefront_id = t.storefront_id AND o.external_id = t.order_external_id
        WHERE t.kind = 'return'
        """
    )
    sql(
        """
        INSERT INTO returns_returnitem (return_request_id, order_line_id, quantity, reason, unused,
            original_packaging, amount)
        SELECT r.id, l.id, 1,
            (ARRAY['quality_issue', 'quality_issue', 'quality_issue', 'not_as_described', 'damaged_in_transit',
                   'wrong_item', 'missing_parts', 'changed_mind', 'changed_mind', 'size_or_fit', 'other'])
                [1 + r.id %% 11], false, false, 99.00
        FROM returns_returnrequest r JOIN returns_orderline l ON l.order_id = r.order_id
        """
    )
    sql(
        """
        INSERT INTO returns_refund (public_id, return_request_id, amount, currency, status, amount_reason, due_at,
            transaction_id, failure_reason, settled_at, created_at, updated_at)
        SELECT md5('f' || r.id)::uuid, r.id, 99.00, 'CNY', 'succeeded', '', r.created_at + interval '3 days',
            'TX-' || r.id, '', LEAST(%(now)s, r.created_at + interval '2 days'), r.created_at + interval '1 day',
            r.created_at + interval '2 days'
        FROM returns_returnrequest r WHERE r.id %% 5 < 3
        """,
        params,
    )
    # Complaints: archived with a root cause after 14 days, a quarter compensated (accepted).
    sql(
        """
        INSERT INTO complaints_complaint (ticket_id, public_id, category, severity, department, status,
            findings, proposed_solution, compensation_amount, currency, customer_response, customer_response_at,
            customer_response_note, execution_note, follow_up_note, root_cause_code, root_cause, lessons,
            created_at, updated_at, archived_at)
        SELECT t.id, md5('c' || t.id)::uuid,
            (ARRAY['product_quality', 'logistics', 'logistics', 'service', 'payment', 'account', 'other'])
                [1 + t.id %% 7],
            t.severity, 'logistics', CASE WHEN old THEN 'archived' ELSE 'investigating' END, '', '',
            CASE WHEN t.id %% 4 = 0 THEN 50.00 END, CASE WHEN t.id %% 4 = 0 THEN 'CNY' ELSE '' END,
            CASE WHEN t.id %% 4 = 0 THEN 'accepted' ELSE '' END,
            CASE WHEN t.id %% 4 = 0 THEN LEAST(%(now)s, t.created_at + interval '2 days') END, '', '', '',
            CASE WHEN old THEN (ARRAY['product_defect', 'supplier', 'carrier', 'carrier', 'warehouse',
                'policy_unclear', 'staff_error', 'system_error', 'fraud', 'other'])[1 + t.id %% 10] ELSE '' END,
            CASE WHEN old THEN 'Found' ELSE '' END, CASE WHEN old THEN 'Learnt' ELSE '' END,
            t.created_at, t.created_at, CASE WHEN old THEN t.created_at + interval '14 days' END
        FROM tickets_ticket t CROSS JOIN LATERAL (SELECT t.created_at < %(now)s - interval '14 days' AS old) a
        WHERE t.kind = 'complaint'
        """,
        params,
    )
    # Daily sales of each storefront over the year, in its own calendar (dates in Shanghai).
    sql(
        """
        INSERT INTO tickets_salesstat (storefront_id, date, orders, revenue, currency, created_at, updated_at)
        SELECT s.id, d::date, 2000 + (extract(doy FROM d)::int %% 7) * 100,
            (2000 + (extract(doy FROM d)::int %% 7) * 100) * 150.00, 'CNY', %(now)s, %(now)s
        FROM tickets_storefront s
        CROSS JOIN generate_series((%(now)s - %(year)s)::date, %(now)s::date, interval '1 day') AS d
        """,
        params,
    )
    vacuum_analyze(
        [
            "tickets_ticket",
            "tickets_slaclock",
            "tickets_survey",
            "returns_order",
            "returns_orderline",
            "returns_returnrequest",
            "returns_returnitem",
            "returns_refund",
            "complaints_complaint",
            "tickets_salesstat",
        ],
        checkpoint=True,
    )
    return time.perf_counter() - started


def counts() -> dict[str, int]:
    from django.db import connection

    tables = {
        "tickets": "tickets_ticket",
        "clocks": "tickets_slaclock",
        "surveys": "tickets_survey",
        "returns": "returns_returnrequest",
        "complaints": "complaints_complaint",
        "sales days": "tickets_salesstat",
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in tables.values()))
        return dict(zip(tables, cursor.fetchone(), strict=True))


def measure() -> dict[str, tuple[float, int]]:
    from django.contrib.auth.models import User
    from django.test import Client

    from tickets.models import Storefront, Team

    supervisor = User.objects.get(username=SUPERVISOR)
    client = Client(SERVER_NAME="localhost")
    client.force_login(supervisor)
    from tickets import services

    _staff_token, token = services.staff_token_issue(user=supervisor)
    storefront = Storefront.objects.order_by("pk").first()
    team = Team.objects.order_by("pk").last()

    def get(path: str, params: dict[str, Any], **headers: str) -> Callable[[], Any]:
        def call() -> None:
            response = client.get(path, params, **headers)
            assert response.status_code == 200, (path, response.status_code)

        return call

    return {
        "GET /reports/ (30 days)": timed(get("/reports/", {"period": "30"}), RUNS),
        "GET /reports/ (30 days, one storefront)": timed(
            get("/reports/", {"period": "30", "storefront": storefront.pk}), RUNS
        ),
        "GET /reports/ (30 days, one team)": timed(get("/reports/", {"period": "30", "team": team.pk}), RUNS),
        "GET /api/v1/desk/reports/ (30 days)": timed(
            get("/api/v1/desk/reports/", {"period": "30"}, HTTP_AUTHORIZATION=f"Token {token}"), RUNS
        ),
        "GET /reports/by_category.csv (30 days)": timed(get("/reports/by_category.csv", {"period": "30"}), RUNS),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000", help="ticket counts to build and time, in order")
    parser.add_argument(
        "--rebuild", action="store_true", help="build even when the database already holds that many tickets"
    )
    args = parser.parse_args()
    setup_django(BENCH_URL, memory_broker=True)

    results: dict[int, dict[str, tuple[float, int]]] = {}
    for size in [int(part) for part in args.sizes.split(",")]:
        if args.rebuild or counts()["tickets"] != size:
            built = f"built in {build(size):.0f} s"
        else:
            built = "kept from the last run"
        sizes = counts()
        print(f"data: {', '.join(f'{value:,} {name}' for name, value in sizes.items())} ({built})", flush=True)
        results[size] = measure()
        for name, (median, queries) in results[size].items():
            print(f"  {name}: {median * 1000:.0f} ms, {queries} queries", flush=True)
    if len(results) > 1:
        largest, smallest = max(results), min(results)
        print(f"ratio {largest:,} / {smallest:,} tickets:")
        for name in results[largest]:
            big, small = results[largest][name], results[smallest][name]
            print(f"  {name}: x{big[0] / small[0]:.1f}, queries {big[1]} vs {small[1]}")
    print("target: GET /reports/ under 1 s at 1,000,000 tickets, the same number of queries at every size")


if __name__ == "__main__":
    main()
