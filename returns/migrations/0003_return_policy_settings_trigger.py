"""Return policies are settings-like rows too: on PostgreSQL a change moves the settings version (see
tickets.models.SettingsVersion and tickets/migrations/0013_settings_version.py)."""

from django.db import migrations

from aftersales.db import ALL_CHANGES, settings_triggers

TABLES = {"returns_returnpolicy": ALL_CHANGES}


def install(apps, schema_editor) -> None:
    settings_triggers(schema_editor, TABLES, install=True)


def uninstall(apps, schema_editor) -> None:
    settings_triggers(schema_editor, TABLES, install=False)


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0002_report_indexes"),
        ("tickets", "0013_settings_version"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
