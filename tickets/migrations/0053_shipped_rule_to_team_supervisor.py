"""The shipped time rule for a new ticket nobody took in an hour now does what automation.md ships: it assigns the
ticket to the team's supervisor (the vocabulary's new `assign_agent` value "team_supervisor") instead of only telling
the supervisors. A rule someone has changed since is left as it is."""

from django.db import migrations

OLD = {
    "name": "A new ticket nobody took in 1 hour: tell the team's supervisors",
    "actions": [{"type": "notify", "value": {"supervisors": True}}],
}
NEW = {
    "name": "A new ticket nobody took in 1 hour: to the team's supervisor",
    "actions": [{"type": "assign_agent", "value": "team_supervisor"}],
}


def _replace(apps, before, after):
    TimeRule = apps.get_model("tickets", "TimeRule")
    rule = TimeRule.objects.filter(name=before["name"]).first()
    if rule is not None and rule.actions == before["actions"]:
        rule.name, rule.actions = after["name"], after["actions"]
        rule.save(update_fields=["name", "actions"])


def forwards(apps, schema_editor):
    _replace(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _replace(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0052_bulk_result_unknown_reference"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
