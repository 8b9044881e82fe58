"""seed_demo_history: a month of demo history so a newcomer's /reports/ shows figures, added once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from alerts.kpis import KpiScope, kpi_values
from returns.models import ReturnRequest
from tests.factories import StorefrontFactory, make_staff
from tickets.models import SalesStat, Survey, Ticket

pytestmark = pytest.mark.django_db


def test_demo_history_fills_the_last_30_days_of_the_reports_once(team, other_team):
    StorefrontFactory(name="Demo Shop")
    make_staff("agent", "agent", teams=(team, other_team))
    make_staff("agent2", "agent", teams=(team,))
    out = StringIO()

    call_command("seed_demo_history", stdout=out)

    assert out.getvalue().strip().splitlines()[-1] == "Demo history added: 30 days of sales, 90 tickets, 15 returns."
    assert SalesStat.objects.count() == 30
    assert Ticket.objects.count() == 90 + 15  # each return has its ticket
    assert ReturnRequest.objects.count() == 15
    assert Survey.objects.filter(answered_at__isnull=False).count() > 20
    # every KPI the reports show has a figure over the month
    now = timezone.now()
    values = kpi_values(KpiScope(start=now - timedelta(days=31), end=now))
    for kpi in ("first_response_time", "processing_time", "sla_compliance", "satisfaction", "return_rate"):
        assert values[kpi].value is not None and values[kpi].value > 0, kpi
    # a second run adds nothing
    call_command("seed_demo_history", "--if-empty", stdout=StringIO())
    assert SalesStat.objects.count() == 30
    with pytest.raises(CommandError):
        call_command("seed_demo_history", stdout=StringIO())


def test_demo_history_needs_the_demo_shop(db):
    with pytest.raises(CommandError, match="seed_demo first"):
        call_command("seed_demo_history", stdout=StringIO())
