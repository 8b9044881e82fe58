"""Drop what the speed layer installed on databases migrated before (0013-0015): the settings-version triggers and
their function, the agent-load triggers and their functions, and both tables. Nothing of it exists on a database
migrated from scratch since (those migrations install nothing now), hence IF EXISTS everywhere.

Reversing it recreates the two (empty) tables only: the code that used them is gone.
"""

from django.db import migrations

SETTINGS_TABLES = (
    "tickets_storefront",
    "tickets_apikey",
    "tickets_team",
    "tickets_routingrule",
    "tickets_slapolicy",
    "tickets_team_members",
    "auth_user_groups",
    "auth_group",
    "auth_user",
    "tickets_staffprofile",
)
AGENT_LOAD_TRIGGERS = ("insert", "update", "delete", "truncate")


def drop_triggers(apps, schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    statements = []
    for event in AGENT_LOAD_TRIGGERS:
        name = f"tickets_ticket_agent_load_{event}"
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON tickets_ticket" if postgresql else f"DROP TRIGGER IF EXISTS {name}")
    if postgresql:
        statements += [f'DROP TRIGGER IF EXISTS "{table}_settings_changed" ON "{table}"' for table in SETTINGS_TABLES]
        statements += [
            "DROP FUNCTION IF EXISTS tickets_agent_load()",
            "DROP FUNCTION IF EXISTS tickets_agent_load_truncate()",
        ]
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0015_agent_load"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, migrations.RunPython.noop),
        migrations.DeleteModel(name="AgentLoad"),
        migrations.DeleteModel(name="SettingsVersion"),
    ]
