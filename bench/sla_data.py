"""Shared set-up of the SLA benchmarks: a separate PostgreSQL database filled with generate_series SQL.

Used by bench/sweep_bench.py and bench/dashboard_bench.py. The database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/aftersales_bench_sla) is created and migrated when missing; the data is rebuilt
by `build()`. Nothing here touches the development or test databases.
"""

import os
import time
from datetime import datetime, timedelta

from bench.common import setup_django as setup_django_on
from bench.common import sql, vacuum_analyze

BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aftersales_bench_sla")


def setup_django() -> None:
    """Point Django at the bench database (created if missing), migrate it, and set it up."""
    # A sweep publishes its notification tasks after commit, as in production; no worker runs here, so an in-memory
    # broker takes them.
    setup_django_on(BENCH_URL, memory_broker=True)


def build(*, tickets: int, running: int, due: int, now: datetime, history_alerts: int = 0) -> float:
    """Rebuild the data: `tickets` tickets over the past year, every (tickets / running)-th of them open with a
    running resolution clock, `due` of those falling due within the minute before `now` (already warned, not yet
    breached); the rest resolved with stopped acknowledgement and resolution clocks. Returns the seconds it took."""
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from tickets.models import SlaPolicy, Storefront, Team

    started = time.perf_counter()
    sql(
        "TRUNCATE alerts_notification, alerts_alert, tickets_slaclock, tickets_ticketevent, tickets_message, "
        "tickets_ticket, tickets_team_members, tickets_team, tickets_storefront, tickets_customer "
        "RESTART IDENTITY CASCADE"
    )
    with transaction.atomic():
        storefront = Storefront.objects.create(name="Bench shop", webhook_secret="whsec_x")
        supervisors, _ = Group.objects.get_or_create(name="supervisors")
        agents, _ = Group.objects.get_or_create(name="agents")
        User.objects.filter(username__startswith="bench-").delete()
        Team.objects.filter(is_default=True).update(is_default=False)  # the one `migrate` made
        teams = [Team.objects.create(name=f"Team {i}", is_default=i == 0) for i in range(5)]
        staff = []
        for i in range(50):
            user = User.objects.create(username=f"bench-agent-{i}", email=f"agent{i}@example.com")
            user.groups.add(agents)
            teams[i % 5].members.add(user)
            staff.append(user.pk)
        for i in range(4):
            user = User.objects.create(username=f"bench-supervisor-{i}", email=f"sup{i}@example.com")
            user.groups.add(supervisors)
            teams[i % 5].members.add(user)
        # TRUNCATE ... CASCADE through storefronts empties the policies too: seed the Standard one again.
        policy, _ = SlaPolicy.objects.get_or_create(
            name="Standard",
            defaults={"acknowledgement_minutes": 1440, "response_minutes": 120, "resolution_minutes": 1440},
        )
    params = {
        "now": now,
        "n": tickets,
        "running": running,
        "due": due,
        "storefront": storefront.pk,
        "team0": teams[0].pk,
        "agent0": staff[0],
        "policy": policy.pk,
        "year": timedelta(days=365),
    }
    # Ticket i was created (n - i) / n of a year ago; the newest `running` are open.
    sql(
        """
        INSERT INTO tickets_ticket (public_id, kind, category, severity, channel, status, storefront_id,
            subject, order_external_id, team_id, assignee_id, assigned_by_hand, created_at, updated_at,
            acknowledged_at, first_response_at, resolved_at, closed_at, next_due_at, next_warn_at, pending_seconds)
        SELECT md5(i::text)::uuid, 'inquiry', 'logistics', 'minor', 'api',
            CASE WHEN i %% (%(n)s / %(running)s) = 0 THEN 'open' ELSE 'closed' END, %(storefront)s,
            'Where is my parcel ' || i, '', %(team0)s + (i %% 5), %(agent0)s + (i %% 50), false,
            %(now)s - %(year)s * (%(n)s - i)::float / %(n)s - interval '30 minutes',
            %(now)s - %(year)s * (%(n)s - i)::float / %(n)s,
            %(now)s - %(year)s * (%(n)s - i)::float / %(n)s,
            %(now)s - %(year)s * (%(n)s - i)::float / %(n)s,
            CASE WHEN i %% (%(n)s / %(running)s) = 0 THEN NULL ELSE %(now)s - %(year)s * (%(n)s - i)::float / %(n)s END,
            CASE WHEN i %% (%(n)s / %(running)s) = 0 THEN NULL ELSE %(now)s - %(year)s * (%(n)s - i)::float / %(n)s END,
            NULL, NULL, 0
        FROM generate_series(1, %(n)s) AS i
        """,
        params,
    )
    # Stopped clocks of the resolved tickets: acknowledgement and resolution, mostly met.
    sql(
        """
        INSERT INTO tickets_slaclock (ticket_id, team_id, metric, key, policy_id, target_minutes, started_at, warn_at,
            due_at, escalate2_at, escalate3_at, paused_seconds, stopped_at, warned_at, breached_at, escalation_level)
        SELECT t.id, t.team_id, m.metric, '', %(policy)s, 1440, t.created_at, t.created_at + interval '18 hours',
            t.created_at + interval '24 hours', t.created_at + interval '48 hours', t.created_at + interval '72 hours',
            0, t.created_at + CASE WHEN t.id %% 20 = 0 THEN interval '25 hours' ELSE interval '30 minutes' END,
            NULL, NULL, 0
        FROM tickets_ticket t CROSS JOIN (VALUES ('acknowledgement'), ('resolution')) AS m(metric)
        WHERE t.status = 'closed'
        """,
        params,
    )
    # Running resolution clocks: `due` of them fall due in the minute before now (warned already), the others
    # later (spread over the next 24 hours).
    sql(
        """
        INSERT INTO tickets_slaclock (ticket_id, team_id, metric, key, policy_id, target_minutes, started_at, warn_at,
            due_at, escalate2_at, escalate3_at, paused_seconds, warned_at, escalation_level)
        SELECT t.id, t.team_id, 'resolution', '', %(policy)s, 1440, d.due - interval '24 hours',
            d.due - interval '6 hours', d.due,
            d.due + interval '24 hours', d.due + interval '48 hours', 0,
            CASE WHEN d.due - interval '6 hours' <= %(now)s THEN d.due - interval '6 hours' END, 0
        FROM (
            SELECT t.id, t.team_id, row_number() OVER (ORDER BY t.id) AS k FROM tickets_ticket t WHERE t.status = 'open'
        ) t
        CROSS JOIN LATERAL (
            SELECT CASE WHEN t.k <= %(due)s THEN %(now)s - interval '59 seconds' * t.k / %(due)s
                        ELSE %(now)s + interval '6 hours 1 minute' + interval '18 hours' * t.k / %(running)s END AS due
        ) d
        """,
        params,
    )
    sql(
        """
        UPDATE tickets_ticket t SET next_due_at = c.due_at, next_warn_at = c.warn_at
        FROM tickets_slaclock c WHERE c.ticket_id = t.id AND c.stopped_at IS NULL
        """
    )
    if history_alerts:
        # Past breaches, mostly resolved: the dashboard's chart and lists read these.
        sql(
            """
            INSERT INTO alerts_alert (kind, metric, level, clock_id, ticket_id, team_id, key, message, occurred_at,
                created_at, resolved_at)
            SELECT 'breach', c.metric, 1, c.id, c.ticket_id, t.team_id, '', '', c.due_at, c.due_at, c.stopped_at
            FROM tickets_slaclock c JOIN tickets_ticket t ON t.id = c.ticket_id
            WHERE c.stopped_at > c.due_at
            ORDER BY c.id DESC LIMIT %(limit)s
            """,
            {"limit": history_alerts},
        )
    vacuum_analyze(["tickets_ticket", "tickets_slaclock", "alerts_alert", "alerts_notification"], checkpoint=True)
    return time.perf_counter() - started


def reset_due(*, now: datetime) -> None:
    """Undo what a sweep did at `now`, so the same sweep can be timed again on the same data."""
    sql("DELETE FROM alerts_notification WHERE created_at = %(now)s", {"now": now})
    sql("DELETE FROM tickets_ticketevent WHERE created_at = %(now)s AND actor_type = 'system'", {"now": now})
    sql("DELETE FROM alerts_alert WHERE created_at = %(now)s", {"now": now})
    sql(
        """
        UPDATE tickets_slaclock SET breached_at = NULL, escalation_level = 0
        WHERE stopped_at IS NULL AND breached_at IS NOT NULL AND due_at <= %(now)s
        """,
        {"now": now},
    )


def counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM tickets_ticket), "
            "(SELECT count(*) FROM tickets_slaclock WHERE stopped_at IS NULL), "
            "(SELECT count(*) FROM tickets_slaclock)"
        )
        tickets, running, clocks = cursor.fetchone()
    return {"tickets": tickets, "running_clocks": running, "clocks": clocks}
