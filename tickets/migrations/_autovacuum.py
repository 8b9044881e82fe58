"""Shared by migrations 0011 and 0012 (Django's migration loader skips modules whose name starts with "_")."""


def autovacuum_often(schema_editor, table: str, *, install: bool) -> None:
    """Autovacuum and analyze `table` at 2 % of changes and inserts instead of the default 20 %. PostgreSQL only."""
    if schema_editor.connection.vendor != "postgresql":
        return
    options = (
        "autovacuum_vacuum_scale_factor",
        "autovacuum_vacuum_insert_scale_factor",
        "autovacuum_analyze_scale_factor",
    )
    if install:
        schema_editor.execute(f"ALTER TABLE {table} SET ({', '.join(f'{option} = 0.02' for option in options)})")
    else:
        schema_editor.execute(f"ALTER TABLE {table} RESET ({', '.join(options)})")
