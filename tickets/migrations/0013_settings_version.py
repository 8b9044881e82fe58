"""History: a settings version row that triggers once moved on every change to settings-like rows, for a cache
in each process. Both are gone (0016): settings are read from their rows."""

from django.db import migrations, models

# Superseded: the settings-version triggers this migration once installed were removed by tickets 0016 (settings are
# read from their rows). It installs nothing any more; on databases migrated earlier, 0016 drops what it installed.


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
    ]
