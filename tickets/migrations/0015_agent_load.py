"""History: each agent's open tickets kept by triggers on the ticket table. Gone (0016): auto-assignment counts
them in the partial index of open tickets by assignee."""

from django.db import migrations, models

# Superseded: the agent-load triggers this migration once installed were removed by 0016 (auto-assignment counts each
# agent's open tickets in an index). It installs nothing any more; on databases migrated earlier, 0016 drops them.


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0014_assignment_settings_triggers"),
    ]

    operations = [
        migrations.CreateModel(
            name="AgentLoad",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("agent_id", models.IntegerField(verbose_name="agent")),
                ("session", models.IntegerField(default=0, verbose_name="database session")),
                ("open_tickets", models.IntegerField(verbose_name="open tickets")),
            ],
            options={
                "verbose_name": "agent load",
                "verbose_name_plural": "agent loads",
                "constraints": [
                    models.UniqueConstraint(fields=("agent_id", "session"), name="agent_load_session_uniq")
                ],
            },
        ),
    ]
