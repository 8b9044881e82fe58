"""The benches' desk: N tickets as the ticket services write them, kept in a snapshot database to copy from.

    .venv/bin/python bench/desk_data.py 10000              # builds aftersales_bench_n10000 unless it exists
    .venv/bin/python bench/desk_data.py 200000 --rebuild   # builds it again

Used by bench/create_vs_peer.py, create_cpu.py, lists_vs_peer.py and sweep_vs_peer.py, which copy the snapshot into a
database of their own (`CREATE DATABASE ... TEMPLATE`, as the peer's bench does) before each run. Nothing here
touches the development or test databases: it builds in `aftersales_bench_build` and keeps `aftersales_bench_n<N>`.

The desk: one storefront ("Bench shop", with a webhook URL, so replies, resolutions and returns write outbox rows),
the six teams and four routing rules of `seed_demo`, 20 agents (Customer service 6, Technical support 4, Logistics
4, Finance, Product and Security 2 each; bench-agent-1 also works in Logistics), 2 supervisors, N / 2 customers and
the Standard SLA policy of the migrations (24 x 7: acknowledgement 24 h, response 2 h, resolution 24 h).

The tickets are copies of 77 template tickets made through the services themselves (ticket_create,
ticket_acknowledge, ticket_reply, ticket_add_note, ticket_add_customer_message, ticket_change_status), so their
messages, events, SLA clocks, surveys and deadlines are what real use writes. Each copy gets its own id (in order of
creation), reference, public id, customer, order id and an agent of its team, and all its instants are moved back
by the copy's offset. Of the N tickets: 80 % closed (spread over the past year), 5 % resolved within the last week,
5 % pending and 1 % on hold (last 3 days), 6 % open and 3 % new (last day and last 4 hours): 15 % open statuses, with
running or paused clocks. The template rows themselves are then deleted, and the outbox emptied (delivered).

The SLA sweep is then run once at the snapshot's instant T0 (stored in the table bench_snapshot with the API key), so
every warning, breach and escalation due before T0 is raised, as the every-minute sweep of production would have
done. Last, `VACUUM ANALYZE` of the whole database: this machine's PostgreSQL runs with autovacuum off, and the
queue's and auto-assignment's index-only scans need the visibility map that autovacuum keeps in production.
"""

import argparse
import os
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
BUILD_DB = "aftersales_bench_build"

# (name, default team, agents); the names and routing rules are seed_demo's.
TEAMS = [
    ("Customer service", True, 6),
    ("Technical support", False, 4),
    ("Logistics", False, 4),
    ("Finance", False, 2),
    ("Product", False, 2),
    ("Security", False, 2),
]
ROUTING = [(10, "product_quality", "Technical support"), (20, "logistics", "Logistics")]
ROUTING += [(30, "payment", "Finance"), (40, "account", "Security")]
CATEGORIES = ["product_quality", "logistics", "policy", "payment", "account", "service", "other"]
SEVERITIES = ["minor", "minor", "moderate", "severe"]
CHANNELS = ["web", "email", "phone", "chat", "api"]

# A template's history: (hours after creation, action, argument). Actions: ack, reply (argument: the status to move
# to with the reply, or ""), note, customer (a customer message), status (a move by the agent), close (by the system,
# as auto-close does). Closed ones met their targets, as most tickets do.
HISTORIES: dict[str, list[tuple[float, str, str]]] = {
    "closed-quick": [(1, "reply", "resolved"), (8 * 24, "close", "")],
    "closed-pending": [
        (0.2, "ack", ""),
        (1.5, "reply", "pending"),
        (6, "customer", ""),
        (7, "reply", "resolved"),
        (8 * 24, "close", ""),
    ],
    "closed-reopened": [
        (0.5, "reply", "resolved"),
        (2, "customer", ""),
        (3, "reply", "resolved"),
        (30, "customer", ""),
        (31, "reply", "resolved"),
        (9 * 24, "close", ""),
    ],
    "closed-on-hold": [
        (0.1, "ack", ""),
        (0.5, "note", ""),
        (1, "reply", ""),
        (1.2, "status", "on_hold"),
        (20, "status", "open"),
        (22, "reply", "resolved"),
        (9 * 24, "close", ""),
    ],
    "resolved": [(1, "reply", "resolved")],
    "pending": [(0.5, "reply", "pending")],
    "on-hold": [(0.3, "reply", ""), (0.5, "status", "on_hold")],
    "open": [(0.5, "reply", "")],
    "open-answered-again": [(0.5, "reply", "pending"), (3, "customer", "")],
    "new": [],
}
# (class, share of the tickets, template age in hours at T0, the copies' extra age: up to this many hours)
CLASSES = [
    ("closed", 0.80, 10 * 24, 355 * 24, ["closed-quick", "closed-pending", "closed-reopened", "closed-on-hold"]),
    ("resolved", 0.05, 1.5, 5 * 24, ["resolved"]),
    ("pending", 0.05, 1, 3 * 24, ["pending"]),
    ("on_hold", 0.01, 1, 3 * 24, ["on-hold"]),
    ("open", 0.06, 3.5, 24, ["open", "open", "open-answered-again"]),
    ("new", 0.03, 0.05, 4, ["new"]),
]


def snapshot_name(tickets: int) -> str:
    return f"aftersales_bench_n{tickets}"


def database_url(name: str) -> str:
    return f"{SERVER}/{name}"


def admin_connection() -> Any:
    import psycopg2

    parts = urllib.parse.urlparse(SERVER)
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    connection.autocommit = True
    return connection


def database_exists(name: str) -> bool:
    with admin_connection() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def copy_database(source: str, target: str) -> None:
    """Drop `target` (a bench database) and create it again as a copy of `source`."""
    assert target.startswith("aftersales_bench_"), target
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    connection.close()


def drop_database(name: str) -> None:
    assert name.startswith("aftersales_bench_"), name
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


def ensure_snapshot(tickets: int) -> str:
    """The snapshot's name, built first (in a process of its own: Django is set up for one database) if missing."""
    name = snapshot_name(tickets)
    if not database_exists(name):
        subprocess.run([sys.executable, str(Path(__file__).resolve()), str(tickets)], check=True)
    return name


def snapshot_meta(name: str) -> dict[str, str]:
    """What the build stored: t0 (ISO), api_key, tickets, customers."""
    import psycopg2

    parts = urllib.parse.urlparse(SERVER)
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname=name
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, value FROM bench_snapshot")
        meta = dict(cursor.fetchall())
    connection.close()
    return meta


# --- The build (in its own process) --------------------------------------------------------------------------------


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url(BUILD_DB)
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ.setdefault("EMAIL_URL", "smtp://127.0.0.1:2525")  # named, as production must; no mail is sent
    os.environ["REDIS_URL"] = ""
    os.environ["DJANGO_SETTINGS_MODULE"] = "aftersales.settings"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from aftersales.celery import app

    # No worker runs: the tasks the services enqueue after commit (webhook deliveries, survey e-mails, alert
    # notifications) go to an in-memory broker and are dropped.
    app.conf.broker_url = "memory://"
    app.conf.task_always_eager = False


def _sql(statement: str, params: dict[str, Any] | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})
        return cursor.rowcount


def _desk() -> tuple[Any, str, dict[str, Any]]:
    """Storefront (with its API key), teams with their agents, routing rules, supervisors."""
    from django.contrib.auth import get_user_model

    from tickets import services
    from tickets.models import RoutingRule, Team

    storefront, key = services.storefront_create(
        name="Bench shop", webhook_url="http://127.0.0.1:9/webhooks", language="en"
    )
    # The default team exists already: `migrate` creates it.
    teams = {
        name: Team.objects.update_or_create(name=name, defaults={"is_default": default})[0]
        for name, default, _agents in TEAMS
    }
    number = 0
    for name, _default, agents in TEAMS:
        for _ in range(agents):
            number += 1
            services.staff_create(
                username=f"bench-agent-{number}",
                role="agent",
                teams=(teams[name],),
                email=f"agent{number}@example.com",
                first_name="Agent",
                last_name=str(number),
            )
    # One agent works in two teams (the list bench's Team scope covers both).
    teams["Logistics"].members.add(get_user_model().objects.get(username="bench-agent-1"))
    for number in (1, 2):
        services.staff_create(
            username=f"bench-supervisor-{number}", role="supervisor", teams=(teams["Customer service"],)
        )
    for position, category, team in ROUTING:
        RoutingRule.objects.create(position=position, category=category, team=teams[team])
    return storefront, key, teams


def _templates(storefront: Any, t0: datetime) -> dict[str, list[int]]:
    """The template tickets of each class, made through the services at instants before T0."""
    from tickets import services
    from tickets.models import Ticket

    made: dict[str, list[int]] = {}
    number = 0
    for cls, _share, age_hours, _spread, histories in CLASSES:
        # Every category (so every routing rule and team) for each history of the class.
        for history in histories:
            for index, category in enumerate(CATEGORIES):
                number += 1
                created = t0 - timedelta(hours=age_hours) - timedelta(minutes=7 * index)
                customer = services.customer_upsert(
                    storefront=storefront,
                    external_id=f"C-T{number}",
                    name=f"Template customer {number}",
                    email=f"template{number}@example.com",
                )
                ticket = services.ticket_create(
                    storefront=storefront,
                    subject=f"Question about my order ({category.replace('_', ' ')})",
                    body="Hello, my order has a problem, please help. The parcel arrived but something is wrong.",
                    category=category,
                    severity=SEVERITIES[number % len(SEVERITIES)],
                    channel=CHANNELS[number % len(CHANNELS)],
                    customer=customer,
                    order_external_id=f"SO-T{number}",
                    now=created,
                )
                for hours, action, argument in HISTORIES[history]:
                    _act(Ticket.objects.get(pk=ticket.pk), action, argument, created + timedelta(hours=hours))
                made.setdefault(cls, []).append(ticket.pk)
    return made


def _act(ticket: Any, action: str, argument: str, now: datetime) -> None:
    from tickets import services

    agent = ticket.assignee
    if action == "ack":
        services.ticket_acknowledge(ticket=ticket, user=agent, now=now)
    elif action == "reply":
        body = "Hello, thank you for your patience. We checked your order and here is what we found."
        services.ticket_reply(ticket=ticket, user=agent, body=body, status=argument or None, now=now)
    elif action == "note":
        services.ticket_add_note(ticket=ticket, user=agent, body="Asked the warehouse to check the stock.", now=now)
    elif action == "customer":
        services.ticket_add_customer_message(
            ticket=ticket, body="Thanks, but it is still not right.", storefront=ticket.storefront, now=now
        )
    elif action == "status":
        services.ticket_change_status(ticket=ticket, status=argument, user=agent, now=now)
    elif action == "close":
        services.ticket_change_status(ticket=ticket, status="closed", now=now)
    else:
        raise ValueError(action)


def _columns(model: Any) -> list[str]:
    return [field.column for field in model._meta.concrete_fields]


def _select(model: Any, alias: str, overrides: dict[str, str]) -> tuple[str, str]:
    """The column list and the SELECT expressions copying `model`'s rows from `alias`: every datetime moved back by
    the copy's shift (c.shift), the overrides as given."""
    from django.db import models

    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.generated:  # written by PostgreSQL (the references)
            continue
        columns.append(f'"{field.column}"')
        if field.column in overrides:
            expressions.append(overrides[field.column])
        elif isinstance(field, models.DateTimeField):
            expressions.append(f'{alias}."{field.column}" - c.shift')
        else:
            expressions.append(f'{alias}."{field.column}"')
    return ", ".join(columns), ", ".join(expressions)


def _copy(templates: dict[str, list[int]], tickets: int, customers: int) -> None:
    """Copy the templates into `tickets` tickets with set-based SQL (see the module's docstring)."""
    from django.db import connection
    from django.db.models import Max

    from tickets.models import Message, SlaClock, Survey, Ticket, TicketEvent

    _sql("SELECT setseed(0.42)")
    _sql("CREATE TEMP TABLE tmpl (cls text, k int, ticket_id bigint, spread_hours float)")
    for cls, _share, _age, spread, _histories in CLASSES:
        for k, ticket_id in enumerate(templates[cls]):
            _sql(
                "INSERT INTO tmpl VALUES (%(cls)s, %(k)s, %(id)s, %(spread)s)",
                {"cls": cls, "k": k, "id": ticket_id, "spread": spread},
            )
    bounds, total = [], 0.0
    for cls, share, *_rest in CLASSES:
        total += share
        bounds.append(f"WHEN f < {total:.4f} THEN '{cls}'")
    # One row per ticket to make: its template, its shift back in time, its customer and (below) its agent.
    _sql(
        f"""
        CREATE TEMP TABLE copy0 AS
        SELECT i, cls, f2
        FROM (SELECT i, random() AS f, random() AS f2 FROM generate_series(1, %(n)s) AS i) x
        CROSS JOIN LATERAL (SELECT CASE {" ".join(bounds)} ELSE 'new' END AS cls) y
        """,
        {"n": tickets},
    )
    # Ticket ids follow creation order, as they do in production.
    base = Ticket.objects.aggregate(top=Max("id"))["top"] or 0
    _sql(
        """
        CREATE TEMP TABLE copies AS
        SELECT row_number() OVER (ORDER BY t.created_at - s.shift, x.i) + %(base)s AS new_ticket, x.i,
               tm.ticket_id AS old_ticket, s.shift, t.assignee_id AS assignee_old,
               1 + (x.i * 7919) %% %(customers)s AS customer_number
        FROM copy0 x
        JOIN LATERAL (SELECT count(*) AS n FROM tmpl WHERE tmpl.cls = x.cls) cnt ON true
        JOIN tmpl tm ON tm.cls = x.cls AND tm.k = x.i %% cnt.n
        JOIN tickets_ticket t ON t.id = tm.ticket_id
        CROSS JOIN LATERAL (SELECT x.f2 * tm.spread_hours * interval '1 hour' AS shift) s
        """,
        {"base": base, "customers": customers},
    )
    # Each copy's agent: one of its team's agents, in turn.
    _sql(
        """
        CREATE TEMP TABLE team_agents AS
        SELECT m.team_id, array_agg(u.id ORDER BY u.id) AS ids, array_agg(u.username ORDER BY u.id) AS names
        FROM tickets_team_members m JOIN auth_user u ON u.id = m.user_id
        JOIN auth_user_groups ug ON ug.user_id = u.id JOIN auth_group g ON g.id = ug.group_id AND g.name = 'agents'
        GROUP BY m.team_id
        """
    )
    _sql(
        """
        ALTER TABLE copies ADD COLUMN assignee_new int, ADD COLUMN assignee_name text, ADD COLUMN customer_id bigint;
        UPDATE copies c SET assignee_new = a.ids[1 + c.i %% cardinality(a.ids)],
                            assignee_name = a.names[1 + c.i %% cardinality(a.ids)]
        FROM tickets_ticket t JOIN team_agents a ON a.team_id = t.team_id
        WHERE t.id = c.old_ticket AND t.assignee_id IS NOT NULL;
        CREATE INDEX ON copies (old_ticket);
        ANALYZE copies;
        """
    )
    storefront_id = Ticket.objects.values_list("storefront_id", flat=True).first()
    first_customer = _insert_customers(storefront_id, customers)
    _sql("UPDATE copies SET customer_id = customer_number - 1 + %(first)s", {"first": first_customer})

    def user(column: str, alias: str) -> str:
        return f'CASE WHEN {alias}."{column}" = c.assignee_old THEN c.assignee_new ELSE {alias}."{column}" END'

    new_reference = "'T-' || lpad(c.new_ticket::text, 6, '0')"
    columns, select = _select(
        Ticket,
        "t",
        {
            "id": "c.new_ticket",
            "public_id": "md5('bench' || c.new_ticket)::uuid",
            "customer_id": "c.customer_id",
            "assignee_id": "coalesce(c.assignee_new, t.assignee_id)",
            "order_external_id": "CASE WHEN t.order_external_id <> '' THEN 'SO-' || (100000 + c.new_ticket) END",
            "previous_ticket_id": "NULL",
        },
    )
    _sql(
        f"INSERT INTO tickets_ticket ({columns}) SELECT {select} "
        f"FROM copies c JOIN tickets_ticket t ON t.id = c.old_ticket"
    )

    base_message = Message.objects.aggregate(top=Max("id"))["top"] or 0
    _sql(
        """
        CREATE TEMP TABLE message_map AS
        SELECT c.i, m.id AS old_message, %(base)s + row_number() OVER (ORDER BY c.new_ticket, m.id) AS new_message
        FROM copies c JOIN tickets_message m ON m.ticket_id = c.old_ticket;
        CREATE INDEX ON message_map (i, old_message);
        ANALYZE message_map;
        """,
        {"base": base_message},
    )
    columns, select = _select(
        Message,
        "m",
        {
            "id": "mm.new_message",
            "ticket_id": "c.new_ticket",
            "author_id": user("author_id", "m"),
            "body": f"replace(m.body, t.reference, {new_reference})",
        },
    )
    _sql(
        f"""
        INSERT INTO tickets_message ({columns}) SELECT {select}
        FROM copies c JOIN tickets_message m ON m.ticket_id = c.old_ticket JOIN tickets_ticket t ON t.id = c.old_ticket
        JOIN message_map mm ON mm.i = c.i AND mm.old_message = m.id
        """
    )
    columns, select = _select(
        TicketEvent,
        "e",
        {
            "id": "DEFAULT",
            "ticket_id": "c.new_ticket",
            "actor_user_id": user("actor_user_id", "e"),
            "message_id": "mm.new_message",
            "data": "CASE WHEN e.data ? 'assignee' AND e.data->>'assignee' IS NOT NULL AND c.assignee_name IS NOT NULL "
            "THEN jsonb_set(e.data, '{assignee}', to_jsonb(c.assignee_name)) ELSE e.data END",
        },
    )
    columns, select = _drop_id(columns, select)
    _sql(
        f"""
        INSERT INTO tickets_ticketevent ({columns}) SELECT {select}
        FROM copies c JOIN tickets_ticketevent e ON e.ticket_id = c.old_ticket
        LEFT JOIN message_map mm ON mm.i = c.i AND mm.old_message = e.message_id
        ORDER BY e.created_at - c.shift
        """
    )
    columns, select = _drop_id(*_select(SlaClock, "k", {"id": "DEFAULT", "ticket_id": "c.new_ticket"}))
    _sql(
        f"INSERT INTO tickets_slaclock ({columns}) SELECT {select} "
        f"FROM copies c JOIN tickets_slaclock k ON k.ticket_id = c.old_ticket"
    )
    columns, select = _drop_id(
        *_select(
            Survey,
            "s",
            {
                "id": "DEFAULT",
                "ticket_id": "c.new_ticket",
                "assignee_id": user("assignee_id", "s"),
                "token": "md5('bench-a-' || c.new_ticket || '-' || s.id) "
                "|| md5('bench-b-' || c.new_ticket || '-' || s.id)",
            },
        )
    )
    _sql(
        f"INSERT INTO tickets_survey ({columns}) SELECT {select} "
        f"FROM copies c JOIN tickets_survey s ON s.ticket_id = c.old_ticket"
    )

    # The templates go (their ids and instants do not fit the copies'), and the outbox is empty: delivered.
    template_ids = [pk for ids in templates.values() for pk in ids]
    for table in ("tickets_ticketevent", "tickets_slaclock", "tickets_survey", "tickets_message"):
        _sql(f"DELETE FROM {table} WHERE ticket_id = ANY(%(ids)s)", {"ids": template_ids})
    _sql("DELETE FROM tickets_ticket WHERE id = ANY(%(ids)s)", {"ids": template_ids})
    _sql("DELETE FROM tickets_webhookdelivery")
    with connection.cursor() as cursor:
        for table in ("tickets_ticket", "tickets_message", "tickets_ticketevent", "tickets_slaclock", "tickets_survey"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def _drop_id(columns: str, select: str) -> tuple[str, str]:
    """Leave the id to its sequence (rows nothing else points to)."""
    names = columns.split(", ")
    expressions = select.split(", ")
    if names[0] == '"id"' and expressions[0] == "DEFAULT":
        return ", ".join(names[1:]), ", ".join(expressions[1:])
    raise ValueError("id first")


def _insert_customers(storefront_id: int, customers: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_customer (storefront_id, external_id, name, email, phone, created_at)
            SELECT %(storefront)s, 'C-' || c, 'Customer ' || c, 'customer' || c || '@example.com',
                   '+86138' || lpad(c::text, 8, '0'), now() - interval '400 days'
            FROM generate_series(1, %(n)s) AS c
            RETURNING id
            """,
            {"storefront": storefront_id, "n": customers},
        )
        return min(row[0] for row in cursor.fetchall())


def build(tickets: int) -> None:
    started = time.perf_counter()
    connection = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{BUILD_DB}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{BUILD_DB}"')
    connection.close()
    _setup_django()
    from django.db import connection as db
    from django.db import transaction

    from alerts.services import sla_sweep
    from tickets.models import Ticket

    t0 = datetime.now(UTC).replace(microsecond=0)
    customers = max(tickets // 2, 100)
    storefront, key, _teams = _desk()
    templates = _templates(storefront, t0)
    print(f"{sum(map(len, templates.values()))} template tickets made through the services", flush=True)
    with transaction.atomic():
        _copy(templates, tickets, customers)
    print(f"{Ticket.objects.count()} tickets copied ({time.perf_counter() - started:.0f} s)", flush=True)
    swept = sla_sweep(now=t0)
    print(f"sweep at T0: {swept}", flush=True)
    _sql("CREATE TABLE bench_snapshot (name text PRIMARY KEY, value text NOT NULL)")
    for name, value in {"t0": t0.isoformat(), "api_key": key, "tickets": tickets, "customers": customers}.items():
        _sql("INSERT INTO bench_snapshot VALUES (%(name)s, %(value)s)", {"name": name, "value": str(value)})
    db.ensure_connection()
    raw = db.connection
    raw.autocommit = True
    with raw.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would (off on this machine)
        cursor.execute("CHECKPOINT")
        cursor.execute("SELECT status, count(*) FROM tickets_ticket GROUP BY 1 ORDER BY 2 DESC")
        statuses = cursor.fetchall()
        cursor.execute(
            "SELECT (SELECT count(*) FROM tickets_message), (SELECT count(*) FROM tickets_ticketevent), "
            "(SELECT count(*) FROM tickets_slaclock), "
            "(SELECT count(*) FROM tickets_slaclock WHERE stopped_at IS NULL), "
            "(SELECT count(*) FROM alerts_alert), (SELECT count(*) FROM tickets_customer)"
        )
        messages, events, clocks, running, alerts, customer_rows = cursor.fetchone()
    db.close()
    name = snapshot_name(tickets)
    copy_database(BUILD_DB, name)
    drop_database(BUILD_DB)
    print(
        f"{name}: tickets by status {dict(statuses)}; {messages} messages, {events} events, {clocks} clocks "
        f"({running} running or paused), {alerts} alerts, {customer_rows} customers; T0 {t0.isoformat()}; "
        f"built in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickets", type=int)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if database_exists(snapshot_name(args.tickets)) and not args.rebuild:
        print(f"{snapshot_name(args.tickets)} exists (--rebuild to build it again)")
        return
    build(args.tickets)


if __name__ == "__main__":
    main()
