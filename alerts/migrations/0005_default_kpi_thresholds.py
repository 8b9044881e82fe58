"""The default warning lines of analytics.md, for all storefronts and teams (docs/analytics.md explains the periods:
a day for the two times and SLA compliance, which move within hours; an ISO week for the rates, satisfaction and
cost, whose daily figures are too few and too noisy to steer by)."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    # kpi, comparison, value, value_max, period
    ("first_response_time", "at_most", "2", None, "day"),
    ("processing_time", "at_most", "24", None, "day"),
    ("sla_compliance", "at_least", "95", None, "day"),
    ("resolution_rate", "at_least", "85", None, "week"),
    ("satisfaction", "at_least", "90", None, "week"),
    ("return_rate", "at_most", "3", None, "week"),
    ("complaint_rate", "at_most", "1", None, "week"),
    ("after_sales_cost", "between", "1", "3", "week"),
]


def seed(apps, schema_editor):
    KpiThreshold = apps.get_model("alerts", "KpiThreshold")
    for kpi, comparison, value, value_max, period in DEFAULTS:
        # Re-running (or a database already holding the line) adds nothing.
        KpiThreshold.objects.get_or_create(
            kpi=kpi,
            period=period,
            storefront=None,
            team=None,
            defaults={
                "comparison": comparison,
                "value": Decimal(value),
                "value_max": Decimal(value_max) if value_max else None,
            },
        )


def unseed(apps, schema_editor):
    KpiThreshold = apps.get_model("alerts", "KpiThreshold")
    for kpi, comparison, value, _value_max, period in DEFAULTS:
        KpiThreshold.objects.filter(
            kpi=kpi,
            comparison=comparison,
            value=Decimal(value),
            period=period,
            storefront=None,
            team=None,
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_kpi_threshold")]

    operations = [migrations.RunPython(seed, unseed)]
