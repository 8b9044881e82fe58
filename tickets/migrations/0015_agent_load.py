"""Each agent's open tickets, kept by triggers on the ticket table (tickets.models.AgentLoad).

Auto-assignment counted every open ticket of the team's agents on each create: an index scan whose cost grew with the
backlog (on the returns bench, 5 agents with 2,500 open tickets each: 19 ms of the database's time per create, the
visibility map never set where autovacuum is off or behind). The triggers add +1 or -1 to the agent's row of the
writing session whenever a ticket starts or stops counting for an agent: it is created open with an assignee, its
assignee changes while open, it leaves or re-enters an open status, or it is deleted. The table is then filled with
the current counts (session 0), after the triggers are in place: CREATE TRIGGER locks the ticket table against writes
until this migration commits, so no change falls between the two.

On PostgreSQL the session is the backend's pid: one session runs one transaction at a time, so two transactions never
update the same row (no waiting, no deadlock between creates), and half of each page is kept free so the updates stay
on their page (HOT) and are pruned there without vacuum. On SQLite (`make run`, one writer) every change goes to
session 0.

The open statuses are written here as they are today (tickets.models.OPEN_STATUSES); a change to that list needs a
migration replacing these triggers (tests/tickets/test_agent_load.py compares the sums with a real count for every
status). A later migration that alters the ticket table must keep the triggers: on SQLite Django rebuilds the table
for most changes, which drops them (re-create them in that migration; tests/test_embedded_run.py checks the sums on a
database migrated from scratch), and PostgreSQL refuses to change the type of `status` or `assignee_id` while a
trigger's condition uses it (drop and re-create them around it). `manage.py recount_agent_load` rebuilds the sums
from the tickets (after loaddata or a data-only restore, whose rows the triggers would count twice).
"""

from django.db import migrations, models

TABLE = "tickets_ticket"
LOAD = "tickets_agentload"
OPEN = "('new', 'open', 'pending', 'on_hold')"
COUNTS_OLD = f"OLD.assignee_id IS NOT NULL AND OLD.status IN {OPEN}"
COUNTS_NEW = f"NEW.assignee_id IS NOT NULL AND NEW.status IN {OPEN}"
ADD = f"ON CONFLICT (agent_id, session) DO UPDATE SET open_tickets = {LOAD}.open_tickets + EXCLUDED.open_tickets"

POSTGRESQL = [
    f"ALTER TABLE {LOAD} SET (fillfactor = 50)",
    f"""CREATE FUNCTION tickets_agent_load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND {COUNTS_OLD} THEN
        INSERT INTO {LOAD} (agent_id, session, open_tickets) VALUES (OLD.assignee_id, pg_backend_pid(), -1) {ADD};
    END IF;
    IF TG_OP <> 'DELETE' AND {COUNTS_NEW} THEN
        INSERT INTO {LOAD} (agent_id, session, open_tickets) VALUES (NEW.assignee_id, pg_backend_pid(), 1) {ADD};
    END IF;
    RETURN NULL;
END
$$""",
    f"""CREATE FUNCTION tickets_agent_load_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {LOAD};
    RETURN NULL;
END
$$""",
    f"CREATE TRIGGER tickets_ticket_agent_load_insert AFTER INSERT ON {TABLE} FOR EACH ROW "
    f"WHEN ({COUNTS_NEW}) EXECUTE FUNCTION tickets_agent_load()",
    f"CREATE TRIGGER tickets_ticket_agent_load_update AFTER UPDATE OF status, assignee_id ON {TABLE} FOR EACH ROW "
    f"WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id "
    f"OR (OLD.status IN {OPEN}) IS DISTINCT FROM (NEW.status IN {OPEN})) EXECUTE FUNCTION tickets_agent_load()",
    f"CREATE TRIGGER tickets_ticket_agent_load_delete AFTER DELETE ON {TABLE} FOR EACH ROW "
    f"WHEN ({COUNTS_OLD}) EXECUTE FUNCTION tickets_agent_load()",
    f"CREATE TRIGGER tickets_ticket_agent_load_truncate AFTER TRUNCATE ON {TABLE} FOR EACH STATEMENT "
    "EXECUTE FUNCTION tickets_agent_load_truncate()",
]
POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS tickets_ticket_agent_load_{event} ON {TABLE}"
    for event in ("insert", "update", "delete", "truncate")
] + ["DROP FUNCTION IF EXISTS tickets_agent_load()", "DROP FUNCTION IF EXISTS tickets_agent_load_truncate()"]

# SQLite: the same changes, from triggers with the statements inline, all to session 0.
SQLITE = [
    f"CREATE TRIGGER tickets_ticket_agent_load_insert AFTER INSERT ON {TABLE} FOR EACH ROW WHEN {COUNTS_NEW} "
    f"BEGIN INSERT INTO {LOAD} (agent_id, session, open_tickets) VALUES (NEW.assignee_id, 0, 1) {ADD}; END",
    f"CREATE TRIGGER tickets_ticket_agent_load_update AFTER UPDATE OF status, assignee_id ON {TABLE} FOR EACH ROW "
    f"WHEN OLD.assignee_id IS NOT NEW.assignee_id OR (OLD.status IN {OPEN}) IS NOT (NEW.status IN {OPEN}) BEGIN "
    f"INSERT INTO {LOAD} (agent_id, session, open_tickets) SELECT OLD.assignee_id, 0, -1 WHERE {COUNTS_OLD} {ADD}; "
    f"INSERT INTO {LOAD} (agent_id, session, open_tickets) SELECT NEW.assignee_id, 0, 1 WHERE {COUNTS_NEW} {ADD}; END",
    f"CREATE TRIGGER tickets_ticket_agent_load_delete AFTER DELETE ON {TABLE} FOR EACH ROW WHEN {COUNTS_OLD} "
    f"BEGIN INSERT INTO {LOAD} (agent_id, session, open_tickets) VALUES (OLD.assignee_id, 0, -1) {ADD}; END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS tickets_ticket_agent_load_{event}" for event in ("insert", "update", "delete")]

FILL = (
    f"INSERT INTO {LOAD} (agent_id, session, open_tickets) SELECT assignee_id, 0, COUNT(*) FROM {TABLE} "
    f"WHERE assignee_id IS NOT NULL AND status IN {OPEN} GROUP BY assignee_id"
)


def install(apps, schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    for statement in [*(POSTGRESQL if postgresql else SQLITE), FILL]:
        schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRESQL_DROP if postgresql else SQLITE_DROP:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0014_assignment_settings_triggers"),
    ]

    operations = [
        migrations.CreateModel(
            name="AgentLoad",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("agent_id", models.IntegerField(verbose_name="agent")),
                ("session", models.IntegerField(default=0, verbose_name="database session")),
                ("open_tickets", models.IntegerField(verbose_name="open tickets")),
            ],
            options={
                "verbose_name": "agent load",
                "verbose_name_plural": "agent loads",
                "constraints": [
                    models.UniqueConstraint(fields=("agent_id", "session"), name="agent_load_session_uniq")
                ],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
