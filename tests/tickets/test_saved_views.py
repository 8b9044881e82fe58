"""Saved views: personal and team queue tabs with counts, /api/v1/desk/views/, view= on the queue."""

import pytest

from tests.factories import make_staff, make_ticket
from tickets import services
from tickets.models import SavedView, Ticket

pytestmark = pytest.mark.django_db

VIEWS = "/api/v1/desk/views/"


def vip(ticket: Ticket, user) -> None:
    services.ticket_tags_change(ticket=ticket, actor=services.Actor(user=user), add=["vip"])


def test_a_team_view_made_by_a_supervisor_is_seen_by_every_member(supervisor_api, team, storefront, supervisor):
    # given two agents of the team and tickets, two of them tagged vip and breached
    first = make_staff("first", "agent", teams=(team,))
    second = make_staff("second", "agent", teams=(team,))
    tickets = [make_ticket(storefront, subject=f"T{i}") for i in range(3)]
    for ticket in tickets[:2]:
        vip(ticket, supervisor)
    # when a supervisor saves a team view of the vip tickets, newest first, with three columns
    response = supervisor_api.post(
        VIEWS,
        {
            "name": "VIP",
            "team": team.pk,
            "filters": {"tags": ["VIP"], "status": ["new", "open"]},
            "sort": "-created",
            "columns": ["reference", "subject", "tags"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    view_id = response.json()["id"]
    # then both agents have the view as a queue tab with its count, and its tickets in its order and columns
    from django.test import Client

    for agent in (first, second):
        client = Client()
        client.force_login(agent)
        page = client.get("/desk/", {"view": view_id})
        assert [(v.name, count) for v, count, _capped in page.context["view_tabs"]] == [("VIP", 2)]
        assert [t.subject for t in page.context["page"]["tickets"]] == ["T1", "T0"]
        assert page.context["columns"] == {"reference", "subject", "tags"}
        assert "Severity" not in page.content.decode().split('<table class="queue">')[1].split("</thead>")[0]
        from rest_framework.test import APIClient

        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {agent.token}")
        assert [v["name"] for v in api.get(VIEWS).json()["results"]] == ["VIP"]
        listed = api.get("/api/v1/desk/tickets/", {"view": view_id}).json()["results"]
        assert sorted(row["subject"] for row in listed) == ["T0", "T1"]


def test_a_personal_view_is_its_owners_only(agent_api, agent, team, storefront):
    response = agent_api.post(VIEWS, {"name": "Mine open", "filters": {"assignee": "me"}}, format="json")
    assert response.status_code == 201, response.content
    other = make_staff("other", "agent", teams=(team,))
    assert SavedView.objects.get().owner == agent
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {other.token}")
    assert api.get(VIEWS).json()["results"] == []
    assert api.get(f"{VIEWS}{response.json()['id']}/").status_code == 404
    assert api.get("/api/v1/desk/tickets/", {"view": response.json()["id"]}).status_code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "filters": {"colour": "red"}}, "filters.colour"),
        ({"name": "x", "filters": {"status": ["nope"]}}, "filters.status"),
        ({"name": "x", "filters": {"tags": ["a,b"]}}, "filters.tags"),
        ({"name": "x", "filters": {"created_from": "2026-13-01"}}, "filters.created_from"),
        ({"name": "x", "sort": "price"}, "sort"),
        ({"name": "x", "columns": ["reference", "price"]}, "columns.1"),
        ({"name": ""}, "name"),
        ({"name": "x", "shape": "round"}, "shape"),
    ],
)
def test_a_view_with_an_unknown_filter_sort_or_column_is_400_and_nothing_saved(agent_api, body, field):
    response = agent_api.post(VIEWS, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not SavedView.objects.exists()


def test_an_agent_may_not_make_a_team_view(agent_api, team):
    response = agent_api.post(VIEWS, {"name": "Team", "team": team.pk}, format="json")
    assert response.status_code == 403
    assert not SavedView.objects.exists()


def test_a_view_is_changed_and_deleted_by_its_owner(agent_api, agent):
    view_id = agent_api.post(VIEWS, {"name": "A"}, format="json").json()["id"]
    changed = agent_api.put(f"{VIEWS}{view_id}/", {"name": "B", "sort": "created"}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["sort"]) == ("B", "created")
    assert agent_api.delete(f"{VIEWS}{view_id}/").status_code == 204
    assert not SavedView.objects.exists()


def test_sortable_columns_order_the_queue(agent_desk, storefront, agent):
    for subject in ("b", "a", "c"):
        make_ticket(storefront, subject=subject)
    page = agent_desk.get("/desk/", {"scope": "all", "sort": "subject"})
    assert [t.subject for t in page.context["page"]["tickets"]] == ["a", "b", "c"]
    newest = agent_desk.get("/desk/", {"scope": "all", "sort": "-created"})
    assert [t.subject for t in newest.context["page"]["tickets"]] == ["c", "a", "b"]
