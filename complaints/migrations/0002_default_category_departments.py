"""complaints.md's default category -> department mapping; supervisors edit it afterwards in the admin."""

from django.db import migrations

DEFAULTS = {
    "product_quality": "product",
    "logistics": "logistics",
    "service": "customer_service",
    "payment": "finance",
    "account": "security",
    "other": "customer_service",
}


def seed(apps, schema_editor):
    mapping = apps.get_model("complaints", "CategoryDepartment")
    for category, department in DEFAULTS.items():
        mapping.objects.get_or_create(category=category, defaults={"department": department})


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
