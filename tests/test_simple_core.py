"""Simple before fast (architecture.md): data access through the ORM, no database triggers keeping application state,
no session state a connection pooler in transaction mode would lose (prepared statements, session settings, advisory
locks). Raw SQL lives in one place, the set-based SLA sweep."""

import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.services.sweep import sla_sweep
from tests.factories import make_ticket
from tests.returns.test_api import create as create_return
from tickets import services

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
APPS = ("aftersales", "tickets", "returns", "complaints", "alerts")
# The one module allowed to write SQL by hand: the sweep's set-based statements (and their SQLite fallback); and the
# readiness probe's `SELECT 1`, which reads no data.
RAW_SQL_HOMES = (ROOT / "alerts" / "services" / "sweep.py", ROOT / "aftersales" / "probes.py")
HAND_WRITTEN = re.compile(
    r"\.cursor\(|\.raw\(|RawSQL|INSERT INTO|nextval|PREPARE |pg_advisory|connection\.vendor|txid_current", re.I
)
SESSION_STATE = re.compile(r"^\s*(PREPARE|EXECUTE|DEALLOCATE|SET |RESET |LISTEN|DECLARE)|nextval\(|pg_advisory", re.I)


def test_no_trigger_or_function_of_ours_exists_after_migrate():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
        triggers = cursor.fetchall()
        # the extensions' own functions (pg_trgm for the search indexes) aside
        cursor.execute(
            "SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
        )
        functions = cursor.fetchall()
    assert triggers == []
    assert functions == []


def test_the_migration_drops_what_the_old_speed_layer_installed():
    # given a database migrated before: the agent-load trigger on the ticket table, as migration 0015 once made it
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION tickets_agent_load() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER tickets_ticket_agent_load_insert AFTER INSERT ON tickets_ticket FOR EACH ROW "
            "EXECUTE FUNCTION tickets_agent_load()"
        )
    # when 0016 runs
    migration = importlib.import_module("tickets.migrations.0016_one_simple_core")
    with connection.schema_editor() as editor:
        migration.drop_triggers(apps, editor)
    # then neither is left
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proname = 'tickets_agent_load'")
        assert cursor.fetchone()[0] == 0


def test_no_hand_written_sql_outside_the_sweep():
    offending = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path in RAW_SQL_HOMES:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if HAND_WRITTEN.search(line):
                    offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offending == []


def test_the_hot_paths_send_no_session_state(storefront, storefront_client, team, agent, agent_api):
    # A storefront's ticket and return, an agent's reply and status change, the desk queue, a sweep: nothing a
    # pooler in transaction mode would lose between two transactions, and no sequence read by hand.
    with CaptureQueriesContext(connection) as queries:
        ticket_id = storefront_client.post(
            "/api/v1/tickets/", {"subject": "Late", "body": "Where is it?"}, format="json"
        ).json()["id"]
        create_return(storefront_client)
        ticket = services.ticket_create(storefront=storefront, subject="Broken", body="It broke.")
        services.ticket_reply(ticket=ticket, user=agent, body="Sorry!", status="pending")
        agent_api.post(f"/api/v1/desk/tickets/{ticket.reference}/status/", {"status": "resolved"}, format="json")
        agent_api.get("/api/v1/desk/tickets/?scope=all")
        storefront_client.post(f"/api/v1/tickets/{ticket_id}/messages/", {"body": "Any news?"}, format="json")
        make_ticket(storefront)
        sla_sweep()
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) > 50
    assert [sql[:120] for sql in statements if SESSION_STATE.search(sql)] == []
