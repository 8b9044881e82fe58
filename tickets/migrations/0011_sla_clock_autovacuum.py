"""Autovacuum the SLA clocks often enough for the reports' index-only scans.

The reports and KPIs count the period's stopped clocks from the covering index `sla_clock_stopped_cov_idx`; an index-
only scan skips the table only for pages the visibility map marks all-visible, which vacuum sets. With the default
scale factors (20 % of the table) a table of millions of clocks waits for hundreds of thousands of changes, and the
newest pages (the last 30 days, what reports read) are exactly the ones not yet visited. 2 % keeps them current.
PostgreSQL only: SQLite (make run) has no autovacuum settings.
"""

from django.db import migrations

from tickets.migrations._autovacuum import autovacuum_often

TABLE = "tickets_slaclock"


def tune(apps, schema_editor) -> None:
    autovacuum_often(schema_editor, TABLE, install=True)


def untune(apps, schema_editor) -> None:
    autovacuum_often(schema_editor, TABLE, install=False)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_survey_assignee")]

    operations = [migrations.RunPython(tune, untune)]
