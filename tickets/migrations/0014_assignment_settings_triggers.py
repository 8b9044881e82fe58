"""Who can be given a new ticket is a setting too: team membership, the agents group, the account being active and
the agent being available. On PostgreSQL those changes move the settings version (tickets.models.SettingsVersion),
so each team's list of candidates is cached like the other settings (tickets.services.tickets._team_agents).

Only the columns that matter fire on `auth_user` and `tickets_staffprofile`: a login (last_login) or a language
change must not empty every process's cache.
"""

from django.db import migrations

from aftersales.db import ALL_CHANGES, settings_triggers

# table: the events that change the candidates.
TABLES = {
    "tickets_team_members": ALL_CHANGES,
    "auth_user_groups": ALL_CHANGES,
    "auth_group": ALL_CHANGES,
    "auth_user": "INSERT OR DELETE OR UPDATE OF is_active OR TRUNCATE",
    "tickets_staffprofile": "INSERT OR DELETE OR UPDATE OF is_available, user_id OR TRUNCATE",
}


def install(apps, schema_editor) -> None:
    settings_triggers(schema_editor, TABLES, install=True)


def uninstall(apps, schema_editor) -> None:
    settings_triggers(schema_editor, TABLES, install=False)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0013_settings_version"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
