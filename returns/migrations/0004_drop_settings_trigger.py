"""Drop the settings-version trigger that returns 0003 installed on databases migrated before (see tickets 0016),
and the function it called, once no trigger uses it."""

from django.db import migrations


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP TRIGGER IF EXISTS "returns_returnpolicy_settings_changed" ON "returns_returnpolicy"')
        schema_editor.execute("DROP FUNCTION IF EXISTS tickets_settings_changed()")


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0003_return_policy_settings_trigger"),
        ("tickets", "0016_one_simple_core"),
    ]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]
