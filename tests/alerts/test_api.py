"""`/api/v1/desk/alerts/`: staff list alerts and acknowledge one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import services
from alerts.models import Alert, AlertKind
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/desk/alerts/"


def _breach(storefront, hours_ago: float = 3):
    now = timezone.now()
    ticket = make_ticket(storefront, now=now - timedelta(hours=hours_ago))
    services.sla_sweep(now=now)
    return ticket


def test_supervisor_lists_open_alerts_newest_first_with_their_ticket(storefront, agent, supervisor_api):
    ticket = _breach(storefront)

    body = supervisor_api.get(URL).json()

    assert [(a["kind"], a["metric"]) for a in body["results"]] == [("breach", "response"), ("at_risk", "response")]
    breach = body["results"][0]
    assert breach["ticket"]["reference"] == ticket.reference
    # `message` as sla.md names it (and `text`, its earlier name)
    assert breach["message"] == breach["text"] == "Response deadline missed"
    assert breach["acknowledged_by"] is None and breach["resolved_at"] is None


def test_filters_by_kind_metric_and_team(storefront, agent, team, other_team, supervisor_api):
    _breach(storefront)

    assert [a["kind"] for a in supervisor_api.get(URL, {"kind": "breach"}).json()["results"]] == ["breach"]
    assert supervisor_api.get(URL, {"metric": "resolution"}).json()["results"] == []
    assert supervisor_api.get(URL, {"team": other_team.pk}).json()["results"] == []
    assert len(supervisor_api.get(URL, {"team": team.pk}).json()["results"]) == 2


def test_resolved_alerts_on_request(storefront, agent, supervisor_api):
    from tickets import services as ticket_services

    ticket = _breach(storefront)
    ticket_services.ticket_reply(ticket=ticket, user=agent, body="Sorry for the wait.")
    services.sla_sweep()

    assert supervisor_api.get(URL).json()["results"] == []
    assert len(supervisor_api.get(URL, {"state": "resolved"}).json()["results"]) == 2


@pytest.mark.parametrize("query", [{"kind": "nope"}, {"team": "x"}, {"state": "later"}, {"page_size": "0"}])
def test_malformed_filters_are_400(supervisor_api, query):
    response = supervisor_api.get(URL, query)

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_agents_see_only_alerts_of_their_teams(storefront, agent, other_agent):
    from rest_framework.test import APIClient

    _breach(storefront)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {other_agent.token}")

    assert client.get(URL).json()["results"] == []


def test_storefront_keys_and_anonymous_callers_are_refused(storefront_client, client):
    assert storefront_client.get(URL).status_code == 403
    assert client.get(URL).status_code == 401


def test_list_costs_a_fixed_number_of_queries(storefront, agent, supervisor_api, django_assert_max_num_queries):
    for _ in range(4):
        _breach(storefront, hours_ago=7)

    with django_assert_max_num_queries(6):
        body = supervisor_api.get(URL).json()

    assert len(body["results"]) == 16


def test_supervisor_acknowledges_an_alert(storefront, agent, supervisor, supervisor_api):
    _breach(storefront)
    alert = Alert.objects.get(kind=AlertKind.BREACH)

    response = supervisor_api.post(f"{URL}{alert.pk}/acknowledge/", {}, format="json")

    assert response.status_code == 200
    assert response.json()["acknowledged_by"]["username"] == "supervisor"
    alert.refresh_from_db()
    assert alert.acknowledged_by == supervisor


def test_acknowledging_twice_is_409(storefront, agent, supervisor_api):
    _breach(storefront)
    alert = Alert.objects.get(kind=AlertKind.BREACH)
    supervisor_api.post(f"{URL}{alert.pk}/acknowledge/", {}, format="json")

    response = supervisor_api.post(f"{URL}{alert.pk}/acknowledge/", {}, format="json")

    assert response.status_code == 409


def test_an_idempotent_retry_gets_the_same_answer(storefront, agent, supervisor_api):
    _breach(storefront)
    alert = Alert.objects.get(kind=AlertKind.BREACH)
    url = f"{URL}{alert.pk}/acknowledge/"

    first = supervisor_api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="ack-1")
    second = supervisor_api.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="ack-1")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()


def test_an_alert_of_another_team_is_404_and_an_unknown_one_too(storefront, agent, other_agent):
    from rest_framework.test import APIClient

    _breach(storefront)
    alert = Alert.objects.get(kind=AlertKind.BREACH)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {other_agent.token}")

    assert client.post(f"{URL}{alert.pk}/acknowledge/", {}, format="json").status_code == 404
    assert client.post(f"{URL}999999/acknowledge/", {}, format="json").status_code == 404


def test_a_team_agent_who_is_not_the_assignee_gets_403(storefront, agent, team):
    from rest_framework.test import APIClient

    from tests.factories import make_staff

    _breach(storefront)
    alert = Alert.objects.get(kind=AlertKind.BREACH)
    colleague = make_staff("colleague", "agent", teams=(team,))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {colleague.token}")

    response = client.post(f"{URL}{alert.pk}/acknowledge/", {}, format="json")

    assert response.status_code == 403
    assert response.json()["type"] == "permission_denied"


def test_the_schema_describes_the_alert_endpoints(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]

    assert "get" in paths["/api/v1/desk/alerts/"]
    operation = paths["/api/v1/desk/alerts/{id}/acknowledge/"]["post"]
    assert {"200", "403", "404", "409"} <= set(operation["responses"])
