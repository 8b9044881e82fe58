"""The settings version row and, on PostgreSQL, the triggers that move it (see tickets.models.SettingsVersion).

A statement-level trigger on each settings-like table sets the row to the changing transaction's id: whatever
writes those tables (a service, the admin, a bulk UPDATE, a TRUNCATE, psql) moves the version in the same
transaction, so the processes' cached copies (tickets.settings_cache) can never outlive a committed change.
SQLite (`make run`) gets the row but no triggers; the cache is not used there.
"""

from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_settings_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets_settingsversion SET value = txid_current() WHERE id = 1;
    RETURN NULL;
END
$$
"""
TABLES = ("tickets_storefront", "tickets_apikey", "tickets_team", "tickets_routingrule", "tickets_slapolicy")


def trigger_sql(table: str) -> str:
    return (
        f'CREATE TRIGGER "{table}_settings_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION tickets_settings_changed()"
    )


def install(apps, schema_editor) -> None:
    apps.get_model("tickets", "SettingsVersion").objects.get_or_create(pk=1)
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(trigger_sql(table))


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_settings_changed" ON "{table}"')
    schema_editor.execute("DROP FUNCTION IF EXISTS tickets_settings_changed()")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0012_ticket_assignee_open_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="SettingsVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("value", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "settings version",
                "verbose_name_plural": "settings versions",
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
