"""Seed the "Standard" SLA policy: acknowledgement 24 h, response 2 h, resolution 24 h around the clock, warning at
75 %; refunds within 3 business days (3 x 9 working hours) on a Monday-Friday 09:00-18:00 Asia/Shanghai calendar
with China's public holidays."""

from django.db import migrations


def seed(apps, schema_editor) -> None:
    BusinessCalendar = apps.get_model("tickets", "BusinessCalendar")
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="China business days",
        defaults={
            "time_zone": "Asia/Shanghai",
            "working_hours": {str(day): [["09:00", "18:00"]] for day in range(5)},
            "holiday_country": "CN",
        },
    )
    SlaPolicy.objects.get_or_create(
        name="Standard",
        defaults={
            "position": 1000,
            "calendar": None,
            "refund_calendar": calendar,
            "acknowledgement_minutes": 24 * 60,
            "response_minutes": 2 * 60,
            "resolution_minutes": 24 * 60,
            "refund_minutes": 3 * 9 * 60,
            "warning_percent": 75,
        },
    )


def unseed(apps, schema_editor) -> None:
    apps.get_model("tickets", "SlaPolicy").objects.filter(name="Standard").delete()
    apps.get_model("tickets", "BusinessCalendar").objects.filter(name="China business days").delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_sla")]

    operations = [migrations.RunPython(seed, unseed)]
