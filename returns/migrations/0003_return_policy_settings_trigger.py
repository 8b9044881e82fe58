"""Return policies are settings-like rows too: on PostgreSQL a change moves the settings version (see
tickets.models.SettingsVersion and tickets/migrations/0013_settings_version.py)."""

from django.db import migrations


TABLE = "returns_returnpolicy"


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE TRIGGER "{TABLE}_settings_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{TABLE}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION tickets_settings_changed()"
    )


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP TRIGGER IF EXISTS "{TABLE}_settings_changed" ON "{TABLE}"')


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0002_report_indexes"),
        ("tickets", "0013_settings_version"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
