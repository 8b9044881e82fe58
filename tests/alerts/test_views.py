"""The supervisors' alerts dashboard, acknowledging alerts, and SLA time on the desk pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts import selectors, services
from alerts.models import Alert, AlertKind, Notification
from tests.factories import make_staff, make_ticket
from tickets import services as ticket_services
from tickets.models import Metric, SlaClock, Status

pytestmark = pytest.mark.django_db


def _breached_ticket(storefront, *, hours_ago: float = 3):
    now = timezone.now()
    ticket = make_ticket(storefront, subject="Kettle <b>leaks</b>", now=now - timedelta(hours=hours_ago))
    services.sla_sweep(now=now)
    return ticket


def test_supervisor_sees_counts_chart_teams_and_open_alerts(storefront, agent, supervisor_desk, team):
    ticket = _breached_ticket(storefront)

    response = supervisor_desk.get(reverse("alerts:dashboard"))

    assert response.status_code == 200
    page = response.content.decode()
    figures = response.context["figures"]
    assert (figures.at_risk, figures.breached, figures.escalated, figures.breaches_today) == (0, 1, 0, 1)
    assert sum(h["n"] for h in figures.hourly) == 1
    assert "<svg" in page and 'hx-trigger="every 15s"' in page
    assert ticket.reference in page and team.name in page
    assert "Kettle &lt;b&gt;leaks&lt;/b&gt;" in page  # customer text escaped
    assert f'name="only" value="{Alert.objects.get(kind="breach").pk}"' in page


def test_the_refresh_returns_only_the_live_part(storefront, agent, supervisor_desk):
    _breached_ticket(storefront)

    response = supervisor_desk.get(reverse("alerts:dashboard"), headers={"HX-Request": "true"})

    page = response.content.decode()
    assert "<html" not in page and "Open alerts" in page and 'data-count="breached">1<' in page


def test_dashboard_costs_a_fixed_number_of_queries(storefront, agent, supervisor_desk, django_assert_max_num_queries):
    for _ in range(5):
        _breached_ticket(storefront, hours_ago=7)

    # 14 for the SLA figures and the alert rows (a count and a page), 11 for the KPI strip (the lines, then five per
    # period in use).
    with django_assert_max_num_queries(25) as few:
        response = supervisor_desk.get(reverse("alerts:dashboard"))
    assert len(response.context["alerts"]) == 5  # one row per ticket and clock, not one per stage
    for _ in range(10):
        _breached_ticket(storefront, hours_ago=7)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = supervisor_desk.get(reverse("alerts:dashboard"))
    assert len(response.context["alerts"]) == 15


def test_filters_narrow_the_open_alerts(storefront, agent, supervisor_desk):
    _breached_ticket(storefront)

    at_risk = supervisor_desk.get(reverse("alerts:dashboard"), {"kind": "at_risk", "metric": "response"})
    breached = supervisor_desk.get(reverse("alerts:dashboard"), {"kind": "breach", "metric": "response"})

    # The kind is the row's current stage: the clock is past at risk.
    assert at_risk.context["alerts"] == []
    assert [a.kind for a in breached.context["alerts"]] == [AlertKind.BREACH]


def test_agents_may_not_open_the_dashboard(agent_desk):
    assert agent_desk.get(reverse("alerts:dashboard")).status_code == 403


def test_supervisor_acknowledges_an_alert_recording_who_and_when(storefront, agent, supervisor, supervisor_desk):
    _breached_ticket(storefront)
    alert = Alert.objects.get(kind=AlertKind.BREACH)

    response = supervisor_desk.post(reverse("alerts:acknowledge", args=[alert.pk]), {"next": "/alerts/"})

    assert response.status_code == 302 and response["Location"] == "/alerts/"
    alert.refresh_from_db()
    assert alert.acknowledged_by == supervisor and alert.acknowledged_at is not None
    assert Notification.objects.get(alert=alert, recipient=supervisor).read_at is not None
    page = supervisor_desk.get("/alerts/").content.decode()
    assert f'action="{reverse("alerts:acknowledge", args=[alert.pk])}"' not in page


def test_acknowledging_twice_is_refused_with_a_message(storefront, agent, supervisor_desk):
    _breached_ticket(storefront)
    alert = Alert.objects.get(kind=AlertKind.BREACH)
    supervisor_desk.post(reverse("alerts:acknowledge", args=[alert.pk]))

    response = supervisor_desk.post(reverse("alerts:acknowledge", args=[alert.pk]), follow=True)

    assert "already acknowledged" in response.content.decode()


def test_an_agent_of_another_team_cannot_see_or_acknowledge_the_alert(storefront, agent, other_agent, client):
    _breached_ticket(storefront)
    alert = Alert.objects.get(kind=AlertKind.BREACH)
    client.force_login(other_agent)

    assert client.post(reverse("alerts:acknowledge", args=[alert.pk])).status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_a_team_agent_who_is_not_the_assignee_is_refused(storefront, agent, team, client):
    _breached_ticket(storefront)
    alert = Alert.objects.get(kind=AlertKind.BREACH)
    colleague = make_staff("colleague", "agent", teams=(team,))
    client.force_login(colleague)

    client.post(reverse("alerts:acknowledge", args=[alert.pk]))

    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_ticket_page_shows_running_clocks_counting_down_history_and_the_alerts(storefront, agent, supervisor_desk):
    ticket = _breached_ticket(storefront, hours_ago=2.5)
    ticket_services.ticket_acknowledge(ticket=ticket, user=agent)

    page = supervisor_desk.get(reverse("tickets:ticket", args=[ticket.reference])).content.decode()

    resolution = SlaClock.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
    assert f'data-countdown="{timezone.localtime(resolution.due_at).isoformat()}"' in page
    assert "js/sla.js" in page
    assert "SLA history" in page and "met" in page
    assert "Response deadline missed" in page
    assert "Acknowledge alert" in page


def test_notifications_page_lists_the_alerts_sent_to_me(storefront, agent, agent_desk):
    ticket = _breached_ticket(storefront)

    page = agent_desk.get(reverse("alerts:notifications")).content.decode()

    assert ticket.reference in page and "Response deadline missed" in page
    agent_desk.post(reverse("alerts:notifications_read"))
    assert selectors.unread_notification_count(user=agent) == 0


def test_compliance_counts_clocks_stopped_by_their_deadline(storefront, agent, supervisor):
    now = timezone.now()
    met = make_ticket(storefront, now=now - timedelta(hours=3))
    ticket_services.ticket_reply(ticket=met, user=agent, body="Hi", now=now - timedelta(hours=2, minutes=30))
    late = make_ticket(storefront, now=now - timedelta(hours=4))
    ticket_services.ticket_reply(ticket=late, user=agent, body="Hi", now=now - timedelta(hours=1))

    figures = selectors.dashboard_figures(now=now)

    response = next(row for row in figures.compliance if row["metric"] == "response")
    assert (response["week"], response["ended_week"]) == (50.0, 2)


def test_queue_filters_by_sla_state(storefront, agent):
    from tickets.selectors import ticket_queue

    now = timezone.now()
    breached = make_ticket(storefront, now=now - timedelta(hours=3))
    at_risk = make_ticket(storefront, now=now - timedelta(minutes=100))
    on_track = make_ticket(storefront, now=now - timedelta(minutes=5))
    paused = make_ticket(storefront, kind="return", now=now)
    ticket_services.ticket_acknowledge(ticket=paused, user=agent)
    ticket_services.ticket_change_status(ticket=paused, status=Status.PENDING, user=agent)

    def queue(state: str) -> set[int]:
        return set(ticket_queue(user=agent, scope="all", filters={"sla": state}).values_list("pk", flat=True))

    assert queue("breached") == {breached.pk}
    assert queue("at_risk") == {at_risk.pk}
    assert queue("on_track") == {on_track.pk}


def test_policies_calendars_and_alerts_are_in_the_admin(admin_client, storefront, agent):
    _breached_ticket(storefront)

    assert "Standard" in admin_client.get("/admin/tickets/slapolicy/").content.decode()
    assert admin_client.get("/admin/tickets/businesscalendar/add/").status_code == 200
    page = admin_client.get("/admin/alerts/alert/").content.decode()
    assert "Breach" in page and 'href="/admin/alerts/alert/add/"' not in page


def test_queue_badges_show_time_left_at_risk_overdue_and_paused(storefront, agent, supervisor_desk):
    now = timezone.now()
    make_ticket(storefront, subject="Overdue one", now=now - timedelta(hours=3))
    make_ticket(storefront, subject="Risky one", now=now - timedelta(minutes=100))
    make_ticket(storefront, subject="Fresh one", now=now - timedelta(minutes=5))
    paused = make_ticket(storefront, subject="Waiting one", kind="return", now=now)
    ticket_services.ticket_acknowledge(ticket=paused, user=agent)
    ticket_services.ticket_change_status(ticket=paused, status=Status.PENDING, user=agent)

    page = supervisor_desk.get("/desk/", {"scope": "all"}).content.decode()

    assert page.count("badge badge-breached") == 1 and "overdue by 1 h 0 min" in page
    assert page.count("badge badge-at-risk") == 1 and "19 min left" in page
    assert "1 h 54 min left" in page or "1 h 55 min left" in page
    assert "SLA paused" in page
