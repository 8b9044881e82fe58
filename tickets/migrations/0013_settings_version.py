"""The settings version row and, on PostgreSQL, the triggers that move it (see tickets.models.SettingsVersion).

A statement-level trigger on each settings-like table sets the row to the changing transaction's id: whatever
writes those tables (a service, the admin, a bulk UPDATE, a TRUNCATE, psql) moves the version in the same
transaction, so the processes' cached copies (tickets.settings_cache) can never outlive a committed change.
SQLite (`make run`) gets the row but no triggers; the cache is not used there.
"""

from django.db import migrations, models

from aftersales.db import ALL_CHANGES, SETTINGS_CHANGED_FUNCTION, settings_triggers

TABLES = {
    table: ALL_CHANGES
    for table in ("tickets_storefront", "tickets_apikey", "tickets_team", "tickets_routingrule", "tickets_slapolicy")
}


def install(apps, schema_editor) -> None:
    apps.get_model("tickets", "SettingsVersion").objects.get_or_create(pk=1)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SETTINGS_CHANGED_FUNCTION)
    settings_triggers(schema_editor, TABLES, install=True)


def uninstall(apps, schema_editor) -> None:
    settings_triggers(schema_editor, TABLES, install=False)
    if schema_editor.connection.vendor == "postgresql":
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
