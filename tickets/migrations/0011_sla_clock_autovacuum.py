"""Autovacuum the SLA clocks often enough for the reports' index-only scans.

The reports and KPIs count the period's stopped clocks from the covering index `sla_clock_stopped_cov_idx`; an index-
only scan skips the table only for pages the visibility map marks all-visible, which vacuum sets. With the default
scale factors (20 % of the table) a table of millions of clocks waits for hundreds of thousands of changes, and the
newest pages (the last 30 days, what reports read) are exactly the ones not yet visited. 2 % keeps them current.
PostgreSQL only: SQLite (make run) has no autovacuum settings.
"""

from django.db import migrations

TABLE = "tickets_slaclock"
OPTIONS = (
    "autovacuum_vacuum_scale_factor = 0.02, "
    "autovacuum_vacuum_insert_scale_factor = 0.02, "
    "autovacuum_analyze_scale_factor = 0.02"
)


def tune(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET ({OPTIONS})")


def untune(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {TABLE} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor, "
            "autovacuum_analyze_scale_factor)"
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_survey_assignee")]

    operations = [migrations.RunPython(tune, untune)]
