"""Who can be given a new ticket is a setting too: team membership, the agents group, the account being active and
the agent being available. On PostgreSQL those changes move the settings version (tickets.models.SettingsVersion),
so each team's list of candidates is cached like the other settings (tickets.services.tickets._team_agents).

Only the columns that matter fire on `auth_user` and `tickets_staffprofile`: a login (last_login) or a language
change must not empty every process's cache.
"""

from django.db import migrations

# (table, events): the events that change the candidates.
TRIGGERS = (
    ("tickets_team_members", "INSERT OR UPDATE OR DELETE OR TRUNCATE"),
    ("auth_user_groups", "INSERT OR UPDATE OR DELETE OR TRUNCATE"),
    ("auth_group", "INSERT OR UPDATE OR DELETE OR TRUNCATE"),
    ("auth_user", "INSERT OR DELETE OR UPDATE OF is_active OR TRUNCATE"),
    ("tickets_staffprofile", "INSERT OR DELETE OR UPDATE OF is_available, user_id OR TRUNCATE"),
)


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, events in TRIGGERS:
        schema_editor.execute(
            f'CREATE TRIGGER "{table}_settings_changed" AFTER {events} ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION tickets_settings_changed()"
        )


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _events in TRIGGERS:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_settings_changed" ON "{table}"')


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0013_settings_version"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
