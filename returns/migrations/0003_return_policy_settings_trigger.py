"""History: a settings-version trigger on return policies. Gone (returns 0004)."""

from django.db import migrations

# Superseded: the settings-version triggers this migration once installed were removed by returns 0004 (settings are
# read from their rows). It installs nothing any more; on databases migrated earlier, 0016 drops what it installed.


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0002_report_indexes"),
        ("tickets", "0013_settings_version"),
    ]

    operations = []
