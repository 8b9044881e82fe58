"""The alerts page: one row per ticket and clock at its current stage, urgency order, pages, bulk acknowledge; a KPI
with nothing to measure says "no data"."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts import services, views
from alerts.models import Alert, AlertKind, KpiThreshold
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

PAGE = "/alerts/"


def _ticket_overdue(storefront, *, hours_ago: float, subject: str):
    now = timezone.now()
    ticket = make_ticket(storefront, subject=subject, now=now - timedelta(hours=hours_ago))
    services.sla_sweep(now=now)
    return ticket


def _stage(alert: Alert) -> str:
    return f"level {alert.level}" if alert.kind == AlertKind.ESCALATION else alert.kind


def test_one_row_per_ticket_and_clock_at_its_current_stage_most_urgent_first(storefront, agent, supervisor_desk):
    # Given tickets whose response clock is at three different stages (each clock holds every stage it passed)
    _ticket_overdue(storefront, hours_ago=2.2, subject="Breached")
    escalated = _ticket_overdue(storefront, hours_ago=30, subject="Level 3")
    _ticket_overdue(storefront, hours_ago=1.8, subject="At risk")
    assert Alert.objects.filter(ticket=escalated).count() > 2
    # When the supervisor opens the alerts page
    rows = supervisor_desk.get(PAGE).context["alerts"]
    # Then each ticket and clock is one row at its current stage, the most urgent first
    shown = [(row.ticket.subject, row.metric, _stage(row)) for row in rows]
    # Then each ticket and clock is one row at its current stage: the most urgent stage first, then the longest
    # overdue (the 30-hour ticket's other clocks breached long before the 2-hour ticket's)
    assert shown == [
        ("Level 3", "response", "level 3"),
        ("Level 3", "acknowledgement", "breach"),
        ("Level 3", "resolution", "breach"),
        ("Breached", "response", "breach"),
        ("At risk", "response", "at_risk"),
    ]


def test_the_rows_are_paged_with_no_cap(storefront, agent, supervisor_desk, monkeypatch):
    monkeypatch.setattr(views, "ALERT_PAGE_SIZE", 2)
    for number in range(5):
        _ticket_overdue(storefront, hours_ago=3, subject=f"Ticket {number}")
    first = supervisor_desk.get(PAGE)
    last = supervisor_desk.get(PAGE, {"page": 3})
    assert first.context["page"].paginator.count == 5
    assert len(first.context["alerts"]) == 2 and len(last.context["alerts"]) == 1
    assert 'rel="next"' in first.content.decode() and "page=2" in first.content.decode()
    seen = {row.pk for page in (1, 2, 3) for row in supervisor_desk.get(PAGE, {"page": page}).context["alerts"]}
    assert len(seen) == 5


def test_bulk_acknowledge_acknowledges_every_stage_of_each_chosen_ticket_and_clock(
    storefront, agent, supervisor, supervisor_desk
):
    # Given two escalated tickets and one breached ticket
    first = _ticket_overdue(storefront, hours_ago=7, subject="First")
    second = _ticket_overdue(storefront, hours_ago=7, subject="Second")
    untouched = _ticket_overdue(storefront, hours_ago=3, subject="Untouched")
    rows = {row.ticket_id: row for row in supervisor_desk.get(PAGE).context["alerts"]}
    # When the supervisor selects the first two rows and acknowledges them
    response = supervisor_desk.post(
        reverse("alerts:acknowledge_rows"),
        {"alert": [rows[first.pk].pk, rows[second.pk].pk], "next": PAGE},
        follow=True,
    )
    # Then every stage of those clocks is acknowledged, by them; the third ticket's alerts are not
    for ticket in (first, second):
        stages = Alert.objects.filter(ticket=ticket, clock=rows[ticket.pk].clock_id)
        assert sorted(_stage(alert) for alert in stages) == ["at_risk", "breach", "level 2", "level 3"]
        assert set(stages.values_list("acknowledged_by", flat=True)) == {supervisor.pk}
    assert not Alert.objects.filter(ticket=untouched, acknowledged_at__isnull=False).exists()
    assert "alerts acknowledged." in response.content.decode()
    # And the page shows those rows acknowledged, with no button left on them
    page = supervisor_desk.get(PAGE).content.decode()
    assert f'name="only" value="{rows[first.pk].pk}"' not in page
    assert f'name="only" value="{rows[untouched.pk].pk}"' in page


def test_a_rows_own_button_acknowledges_that_row_only(storefront, agent, supervisor_desk):
    one = _ticket_overdue(storefront, hours_ago=3, subject="One")
    other = _ticket_overdue(storefront, hours_ago=3, subject="Other")
    rows = {row.ticket_id: row for row in supervisor_desk.get(PAGE).context["alerts"]}
    supervisor_desk.post(
        reverse("alerts:acknowledge_rows"), {"alert": [rows[other.pk].pk], "only": rows[one.pk].pk, "next": PAGE}
    )
    assert not Alert.objects.filter(ticket=one, clock=rows[one.pk].clock_id, acknowledged_at__isnull=True).exists()
    assert not Alert.objects.filter(ticket=other, acknowledged_at__isnull=False).exists()


def test_an_agent_cannot_bulk_acknowledge_alerts_of_tickets_not_theirs(storefront, agent, other_agent, client):
    ticket = _ticket_overdue(storefront, hours_ago=3, subject="Not yours")
    alert = Alert.objects.filter(ticket=ticket).first()
    client.force_login(other_agent)
    response = client.post(reverse("alerts:acknowledge_rows"), {"alert": [alert.pk]})
    assert response.status_code == 404
    assert not Alert.objects.filter(acknowledged_at__isnull=False).exists()


def test_nothing_chosen_says_so_and_changes_nothing(storefront, agent, supervisor_desk):
    _ticket_overdue(storefront, hours_ago=3, subject="Left")
    response = supervisor_desk.post(reverse("alerts:acknowledge_rows"), {"alert": ["x"]}, follow=True)
    assert "Choose the alerts to acknowledge." in response.content.decode()
    assert not Alert.objects.filter(acknowledged_at__isnull=False).exists()


def test_a_kpi_with_no_data_says_no_data_and_is_never_a_breach(supervisor_desk):
    # Given the default KPI warning lines and no tickets, returns or orders at all
    assert KpiThreshold.objects.filter(is_active=True).exists()
    # When the KPIs are evaluated and the page is opened
    services.kpis_evaluate()
    html = supervisor_desk.get(PAGE).content.decode()
    strip = html.split('class="alert-counts kpi-strip"')[1].split("</section>")[0]
    # Then every card says "no data", none is red, and no KPI alert was raised
    assert strip.count("no data") == strip.count('class="count-card kpi-card"') > 0
    assert "badge-breached" not in strip
    assert not Alert.objects.filter(kind=AlertKind.KPI).exists()


def test_the_desk_api_lists_the_rows_and_acknowledges_them_in_bulk(storefront, agent, supervisor, supervisor_api):
    # Given an escalated ticket (four stages on its response clock) and a breached one
    escalated = _ticket_overdue(storefront, hours_ago=7, subject="Escalated")
    _ticket_overdue(storefront, hours_ago=3, subject="Breached")
    # When a script reads the rows: one per ticket and clock, most urgent first, paged by cursor
    first = supervisor_api.get("/api/v1/desk/alerts/", {"rows": "true", "page_size": 1}).json()
    rest = supervisor_api.get(first["next"]).json()
    rows = [*first["results"], *rest["results"]]
    assert rows[0]["kind"] == "escalation" and rows[0]["level"] == 3
    assert len({(row["ticket"]["reference"], row["metric"]) for row in rows}) == len(rows)
    # And acknowledges the escalated ticket's row
    response = supervisor_api.post("/api/v1/desk/alerts/acknowledge/", {"alerts": [rows[0]["id"]]}, format="json")
    assert response.status_code == 200 and response.json() == {"acknowledged": 4}
    assert not Alert.objects.filter(ticket=escalated, metric="response", acknowledged_at__isnull=True).exists()


@pytest.mark.parametrize("body", [{}, {"alerts": []}, {"alerts": ["1"]}, {"alerts": [True]}, {"alerts": 5}])
def test_the_bulk_acknowledge_api_refuses_malformed_bodies_naming_the_field(supervisor_api, body):
    response = supervisor_api.post("/api/v1/desk/alerts/acknowledge/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors and all(field.split(".")[0] == "alerts" for field in errors), errors


def test_the_bulk_acknowledge_api_is_400_naming_alerts_for_an_alert_not_yours(storefront, agent, other_agent):
    from rest_framework.test import APIClient

    _ticket_overdue(storefront, hours_ago=3, subject="Not yours")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {other_agent.token}")
    response = api.post("/api/v1/desk/alerts/acknowledge/", {"alerts": [Alert.objects.first().pk]}, format="json")
    assert response.status_code == 400
    assert "alerts" in response.json()["errors"]
    assert not Alert.objects.filter(acknowledged_at__isnull=False).exists()


def test_the_bulk_acknowledge_api_is_403_for_a_team_agent_who_is_not_the_assignee(storefront, agent, team):
    from rest_framework.test import APIClient

    from tests.factories import make_staff

    # Given a breached ticket of the team assigned to the agent, and a colleague of the same team
    ticket = _ticket_overdue(storefront, hours_ago=3, subject="The agent's")
    assert ticket.assignee == agent
    colleague = make_staff("colleague", "agent", teams=(team,))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {colleague.token}")
    # When the colleague acknowledges its row, as a single alert would be: refused, nothing acknowledged
    response = api.post("/api/v1/desk/alerts/acknowledge/", {"alerts": [Alert.objects.first().pk]}, format="json")
    assert response.status_code == 403
    assert not Alert.objects.filter(acknowledged_at__isnull=False).exists()
