"""History: settings-version triggers on team membership, groups, users and profiles. Gone (0016)."""

from django.db import migrations

# Superseded: the settings-version triggers this migration once installed were removed by tickets 0016 (settings are
# read from their rows). It installs nothing any more; on databases migrated earlier, 0016 drops what it installed.


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0013_settings_version"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = []
