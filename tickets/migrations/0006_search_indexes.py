"""Indexes for the desk queue's search (tickets.selectors._search_q), on PostgreSQL only.

Each branch of the search's UNION needs an index matching the SQL Django emits for it: icontains compiles to
`UPPER("col"::text) LIKE UPPER('%term%')`, which a GIN trigram index on `UPPER(col)` serves; iexact on the e-mail
compiles to `UPPER("email"::text) = UPPER('term')`, which only a B-tree on `UPPER(email)` serves (the plain index on
`email` does not). The reference, order id and phone branches use the existing indexes.

Raw SQL rather than model indexes: the models stay database-neutral (`make run` uses SQLite, which has neither
pg_trgm nor GIN), so the migration state, and `makemigrations --check`, do not change.

Built CONCURRENTLY (hence atomic = False): at a million tickets the message index takes tens of seconds to build,
and a plain CREATE INDEX would block every ticket and message write for that long.
"""

from django.db import migrations

# name, table, method, indexed expression (with the operator class)
INDEXES = (
    ("ticket_subject_trgm_idx", "tickets_ticket", "gin", '(UPPER("subject"::text)) gin_trgm_ops'),
    ("message_body_trgm_idx", "tickets_message", "gin", '(UPPER("body"::text)) gin_trgm_ops'),
    ("customer_name_trgm_idx", "tickets_customer", "gin", '(UPPER("name"::text)) gin_trgm_ops'),
    ("customer_email_upper_idx", "tickets_customer", "btree", '(UPPER("email"::text))'),
)


def create_search_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, method, expression in INDEXES:
        # An interrupted CONCURRENTLY build leaves an invalid index behind, which IF NOT EXISTS would keep: drop it.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name])
            row = cursor.fetchone()
        if row and row[0]:
            schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" USING {method} ({expression})'
        )
    # Statistics for the new expressions: until the tables are analyzed, the planner guesses that UPPER(email) = '...'
    # matches 0.5 % of the customers and reads the whole table instead of the index. ANALYZE only samples the rows.
    for table in sorted({table for _name, table, _method, _expression in INDEXES}):
        schema_editor.execute(f'ANALYZE "{table}"')


def drop_search_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # The pg_trgm extension stays: other objects may have come to depend on it, and an unused extension costs nothing.
    for name, _table, _method, _expression in INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tickets", "0005_surveys_sales_pending"),
    ]

    operations = [
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
    ]
