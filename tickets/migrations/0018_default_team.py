"""A fresh installation works after `migrate` alone: the default team that catches what no routing rule routes
(operations.md, "A fresh installation"), and the index /metrics counts failed webhook deliveries with."""

from django.db import migrations, models

DEFAULT_TEAM = "Customer service"
DEFAULT_TEAM_ZH = "客服"


def create_default_team(apps, schema_editor) -> None:
    Team = apps.get_model("tickets", "Team")
    if Team.objects.filter(is_default=True).exists():
        return
    team, created = Team.objects.get_or_create(
        name=DEFAULT_TEAM, defaults={"name_zh": DEFAULT_TEAM_ZH, "is_default": True}
    )
    if not created:
        # An installation that had the team but no default: it becomes the default, as its name says.
        team.is_default = True
        team.name_zh = team.name_zh or DEFAULT_TEAM_ZH
        team.save(update_fields=["is_default", "name_zh"])


class Migration(migrations.Migration):
    dependencies = [("tickets", "0017_staff_tokens")]

    operations = [
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("status", "failed")), fields=["created_at"], name="webhook_failed_idx"
            ),
        ),
        # Reversing keeps the team: tickets may already belong to it.
        migrations.RunPython(create_default_team, migrations.RunPython.noop),
    ]
