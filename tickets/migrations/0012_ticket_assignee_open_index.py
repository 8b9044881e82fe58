"""Auto-assignment counts each team member's open tickets on every ticket create (tickets.services.routing.
least_loaded_agent): a partial index of open tickets by assignee serves the count, and an index-only scan of it skips
the table for pages the visibility map marks all-visible. Tickets change all day, so autovacuum visits the table at
2 % of changes instead of the default 20 % (PostgreSQL only; SQLite has no such settings).
"""

from django.conf import settings
from django.db import migrations, models

from tickets.migrations._autovacuum import autovacuum_often

TABLE = "tickets_ticket"


def tune(apps, schema_editor) -> None:
    autovacuum_often(schema_editor, TABLE, install=True)


def untune(apps, schema_editor) -> None:
    autovacuum_often(schema_editor, TABLE, install=False)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0011_sla_clock_autovacuum"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ("new", "open", "pending", "on_hold"))),
                fields=["assignee"],
                name="ticket_assignee_open_idx",
            ),
        ),
        migrations.RunPython(tune, untune),
    ]
