"""Writing new rows in few round trips: ids taken from their sequences first, INSERTs sent together; the hot path's
hand-written statements prepared once per database session.

A storefront's create writes a dozen rows over eight tables. Through the ORM each is its own round trip and its own
compilation; here the ids that other rows or the answer need are taken from the sequences up front (one SELECT), and
the rows are sent to PostgreSQL as one batch of INSERTs (one round trip). Elsewhere (the SQLite of `make run`, which
has no sequences and runs one statement per call) every row is written by the ORM at once, with the same result.
"""

import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model


def _session_statements(wrapper: object) -> set[str]:
    """The names of the statements prepared on the wrapper's current session (a reconnection starts with none)."""
    session = wrapper.connection
    state = getattr(wrapper, "_prepared_statements", None)
    if state is None or state[0] is not session:
        state = wrapper._prepared_statements = (session, set())
    return state[1]


@functools.lru_cache(maxsize=1024)
def _statement(sql: str) -> tuple[str, str]:
    """The name of the prepared statement for `sql`, and `sql` with PREPARE's placeholders ($1, $2, ... for %s; %
    for %%)."""
    numbers = iter(range(1, sql.count("%s") + 1))
    numbered = re.sub(r"%s|%%", lambda match: "%" if match.group() == "%%" else f"${next(numbers)}", sql)
    return "p" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest(), numbered


def prepared(sql: str, params: Sequence[object] = ()) -> tuple[str, list[object]]:
    """`sql` (with %s placeholders) as the EXECUTE of a statement prepared on this database session, with the same
    parameters, for `cursor.execute`. PostgreSQL then parses, analyses and plans the statement once per session
    instead of on every call: together about a quarter of its CPU time for a storefront's create. The PREPARE is sent
    the first time a session meets the statement (its own round trip, once; a prepared statement outlives the
    transaction whatever its outcome). Elsewhere (SQLite) `sql` itself.

    For statements whose text is fixed or takes few shapes (a row count): each shape is one prepared statement per
    session. Values that decide the plan (the statuses of a partial index) belong in the text, not in parameters:
    after five runs PostgreSQL may keep one plan for all parameter values."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor != "postgresql":
        return sql, list(params)
    wrapper.ensure_connection()
    names = _session_statements(wrapper)
    name, numbered = _statement(sql)
    if name not in names:
        with wrapper.cursor() as cursor:
            cursor.execute(f"PREPARE {name} AS {numbered}")
        names.add(name)
    return (f"EXECUTE {name} ({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"), list(params)


def next_ids(*models: type[Model] | None) -> list[int | None]:
    """The next id of each model's table, from its sequence, in one query: a row can then be written with what
    derives from its id (a reference), and other rows can point at it before it is written. None for each on
    databases without sequences (SQLite), where the row gets its id when it is written, and for a None model."""
    wanted = [model for model in models if model is not None]
    if connection.vendor != "postgresql" or not wanted:
        return [None] * len(models)
    calls = ", ".join(["nextval(pg_get_serial_sequence(%s, %s))"] * len(wanted))
    params = [value for model in wanted for value in (model._meta.db_table, model._meta.pk.column)]
    with connection.cursor() as cursor:
        cursor.execute(*prepared(f"SELECT {calls}", params))
        taken = iter(cursor.fetchone())
    return [next(taken) if model is not None else None for model in models]


# What the ORM hands psycopg2 unchanged on PostgreSQL, by field type, for values that already have the field's Python
# type (checked per value; anything else, JSON included, goes through the field's own conversion). The ORM's
# conversion of these is a chain of identity calls, and a create's batch has about 80 values.
_EXACT_TYPE: dict[str, type] = {
    "AutoField": int,
    "BigAutoField": int,
    "SmallAutoField": int,
    "IntegerField": int,
    "BigIntegerField": int,
    "SmallIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveBigIntegerField": int,
    "PositiveSmallIntegerField": int,
    "ForeignKey": int,
    "OneToOneField": int,
    "BooleanField": bool,
    "DecimalField": Decimal,
    "UUIDField": UUID,
    "DateField": date,
}


def _never(value: object) -> bool:
    return False


def _as_is_test(field: Field) -> Callable[[object], bool]:
    """Whether a (non-None) value of this field goes to psycopg2 as it is on PostgreSQL."""
    kind = field.get_internal_type()
    if kind == "DateTimeField":  # aware ones only: the ORM makes a naive one aware (and warns)
        return lambda value: type(value) is datetime and value.tzinfo is not None
    if kind in ("CharField", "TextField", "SlugField"):  # any str, TextChoices members included
        return lambda value: isinstance(value, str)
    exact = _EXACT_TYPE.get(kind)
    return _never if exact is None else lambda value: type(value) is exact


@functools.cache
def _insert_plan(
    model: type[Model], *, with_id: bool
) -> tuple[tuple[str, ...], tuple[tuple[Field, str, bool, Callable], ...]]:
    """The quoted columns of the model's INSERT and, per column, the field, its attribute, whether its own pre_save
    must give the value (auto_now, files) and the as-is test of its values."""
    fields = [field for field in model._meta.concrete_fields if with_id or not field.primary_key]
    plain_pre_save = Field.pre_save
    return tuple(connection.ops.quote_name(field.column) for field in fields), tuple(
        (field, field.attname, type(field).pre_save is not plain_pre_save, _as_is_test(field)) for field in fields
    )


def _columns_and_params(rows: list[Model], *, with_id: bool) -> tuple[tuple[str, ...], list[object]]:
    """The quoted columns of the rows' model and the rows' values as parameters, as the ORM would save them (the id
    column only when the rows carry their ids). Marks the rows as stored."""
    columns, plan = _insert_plan(type(rows[0]), with_id=with_id)
    # The connection itself, not the `connection` proxy: each field's conversion reads it several times, and every
    # read through the proxy is a context-local lookup.
    wrapper = connections[DEFAULT_DB_ALIAS]
    everything_converted = wrapper.vendor != "postgresql"
    params: list[object] = []
    for row in rows:
        for field, attname, own_pre_save, as_is in plan:
            value = field.pre_save(row, True) if own_pre_save else getattr(row, attname)
            if value is not None and (everything_converted or not as_is(value)):
                value = field.get_db_prep_save(value, wrapper)
            params.append(value)
        row._state.adding = False
        row._state.db = wrapper.alias
    return columns, params


def insert_unless_exists_sql(row: Model, *, conflict: str, where: str = "") -> tuple[str, list[object]]:
    """`INSERT ... ON CONFLICT (conflict) DO NOTHING RETURNING id` of one new row, and its parameters: no row comes
    back when the row exists already. Instead of a savepoint around a plain INSERT, a row posted at the same moment by
    another request makes it wait on the unique index until that transaction ends, then do nothing. `conflict` names
    the unique index's columns, `where` the condition of a partial one, spelled as Django creates it (SQLite matches it
    literally). The same SQL on PostgreSQL and SQLite."""
    columns, params = _columns_and_params([row], with_id=False)
    meta = row._meta
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608
        f"ON CONFLICT ({conflict}){f' WHERE {where}' if where else ''} DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    return sql, params


def insert_unless_exists(row: Model, *, conflict: str, where: str = "") -> bool:
    """Write one new row unless it exists already (`insert_unless_exists_sql`): True and its id set, or False and
    nothing written."""
    sql, params = insert_unless_exists_sql(row, conflict=conflict, where=where)
    with connection.cursor() as cursor:
        cursor.execute(*prepared(sql, params))
        found = cursor.fetchone()
    if found is None:
        row._state.adding = True
        return False
    row.pk = found[0]
    return True


class InsertBatch:
    """New rows to INSERT together. On PostgreSQL `add` only collects and `flush` sends every INSERT in one round
    trip, so a row that another points at must have its id already (`next_ids`); rows added without one get theirs
    from the database and are not read back (nothing may point at them). Elsewhere `add` writes at once through the
    ORM, ids read back. Rows are written in the order they were added."""

    def __init__(self) -> None:
        self.deferred = connection.vendor == "postgresql"
        self._groups: list[list[Model]] = []

    def add(self, *rows: Model) -> None:
        if not rows:
            return
        if not self.deferred:
            model = type(rows[0])
            if len(rows) == 1:
                rows[0].save(force_insert=True)
            else:
                model.objects.bulk_create(rows)
            return
        with_id = rows[0].pk is not None
        if any((row.pk is not None) != with_id for row in rows):
            raise ValueError("Add rows with ids and rows without in separate calls.")
        for row in rows:
            # What bulk_create does first: copy the ids of related rows set as objects (set before they had one).
            row._prepare_related_fields_for_save(operation_name="InsertBatch.add")
        last = self._groups[-1] if self._groups else None
        if last is not None and type(last[0]) is type(rows[0]) and (last[0].pk is not None) == with_id:
            last.extend(rows)
        else:
            self._groups.append(list(rows))

    def flush(self) -> None:
        if not self._groups:
            return
        statements, params = [], []
        for group in self._groups:
            columns, values = _columns_and_params(group, with_id=group[0].pk is not None)
            row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
            statement, values = prepared(
                f"INSERT INTO {connection.ops.quote_name(group[0]._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
                f"VALUES {', '.join([row_sql] * len(group))}",
                values,
            )
            statements.append(statement)
            params.extend(values)
        self._groups = []
        with connection.cursor() as cursor:
            cursor.execute("; ".join(statements), params)


# The settings version (tickets.models.SettingsVersion): a statement trigger on each settings-like table sets it to the
# writing transaction's id. Used by the migrations that install the triggers (PostgreSQL only).
SETTINGS_CHANGED_FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_settings_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets_settingsversion SET value = txid_current() WHERE id = 1;
    RETURN NULL;
END
$$
"""
ALL_CHANGES = "INSERT OR UPDATE OR DELETE OR TRUNCATE"


def settings_triggers(schema_editor: object, tables: dict[str, str], *, install: bool) -> None:
    """Install (or drop) the settings-version trigger on each table, firing on its events (SQL trigger events, e.g.
    ALL_CHANGES or "INSERT OR DELETE OR UPDATE OF is_active OR TRUNCATE"). Nothing off PostgreSQL."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, events in tables.items():
        name = f'"{table}_settings_changed"'
        if install:
            schema_editor.execute(
                f'CREATE TRIGGER {name} AFTER {events} ON "{table}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION tickets_settings_changed()"
            )
        else:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')


def autovacuum_often(schema_editor: object, table: str, *, install: bool) -> None:
    """Autovacuum and analyze `table` at 2 % of changes and inserts instead of the default 20 %, so index-only scans
    of its newest pages stay index-only (the visibility map is set by vacuum). PostgreSQL only."""
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
