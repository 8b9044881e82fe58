"""Saved views: personal and team queue tabs with counts, /api/v1/desk/views/, view= on the queue."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from tests.factories import make_staff, make_ticket
from tickets import selectors, services
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


def _view(api, filters: dict) -> int:
    response = api.post(VIEWS, {"name": "View", "filters": filters}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _listed(agent_desk, agent_api, view_id: int, **picked) -> dict[str, list[str]]:
    """The subjects a view lists with the filters picked on top: on the queue page and in the desk list."""
    page = agent_desk.get("/desk/", {"view": view_id, **picked})
    api = agent_api.get("/api/v1/desk/tickets/", {"view": view_id, **picked})
    assert api.status_code == 200, api.content
    return {
        "page": sorted(t.subject for t in page.context["page"]["tickets"]),
        "api": sorted(row["subject"] for row in api.json()["results"]),
    }


def on_both(subjects: list[str]) -> dict[str, list[str]]:
    return {"page": subjects, "api": subjects}


def test_filters_picked_on_a_view_narrow_it_on_the_page_and_in_the_api(agent_desk, agent_api, agent, storefront):
    # given tickets tagged vip, refund or both, one of them pending
    plain, vip_only, refund_only, both, both_pending = (
        make_ticket(storefront, subject=subject) for subject in ("plain", "vip", "refund", "both", "both pending")
    )
    for ticket, names in ((vip_only, ["vip"]), (refund_only, ["refund"]), (both, ["vip", "refund"])):
        services.ticket_tags_change(ticket=ticket, actor=services.Actor(user=agent), add=names)
    services.ticket_tags_change(ticket=both_pending, actor=services.Actor(user=agent), add=["vip", "refund"])
    services.ticket_change_status(ticket=both_pending, status="pending", user=agent)
    # and a view of the vip tickets that are new or pending
    view_id = _view(agent_api, {"tags": ["vip"], "status": ["new", "pending"]})
    assert _listed(agent_desk, agent_api, view_id) == on_both(["both", "both pending", "vip"])
    # when a tag is picked on top, then the view keeps its own: tickets with vip and refund
    assert _listed(agent_desk, agent_api, view_id, tag="refund") == on_both(["both", "both pending"])
    # when a status is picked on top, then only the statuses in both
    assert _listed(agent_desk, agent_api, view_id, tag="refund", status="pending") == on_both(["both pending"])
    # when a status outside the view's is picked, then nothing (a pending view with "open" picked)
    assert _listed(agent_desk, agent_api, view_id, status="open") == on_both([])


def test_a_search_on_a_view_narrows_its_own_and_keeps_its_statuses(agent_desk, agent_api, agent, storefront):
    # given tickets about kettles and lamps, one kettle ticket answered (open)
    broken = make_ticket(storefront, subject="kettle broken")
    fine = make_ticket(storefront, subject="kettle fine")
    make_ticket(storefront, subject="broken lamp")
    answered = make_ticket(storefront, subject="kettle broken again")
    services.ticket_change_status(ticket=answered, status="open", user=agent)
    # and a view searching "kettle" among new tickets
    view_id = _view(agent_api, {"q": "kettle", "status": ["new"]})
    # when the agent searches "broken" in it, then the view's search holds too
    assert _listed(agent_desk, agent_api, view_id, q="broken") == on_both([broken.subject])
    # when the agent types a reference, then it is found among the view's tickets, never outside its statuses
    assert _listed(agent_desk, agent_api, view_id, q=fine.reference) == on_both([fine.subject])
    assert _listed(agent_desk, agent_api, view_id, q=answered.reference) == on_both([])


def test_bulk_on_all_matching_a_view_acts_on_exactly_what_the_page_lists(
    agent_desk, agent_api, agent, storefront, django_capture_on_commit_callbacks
):
    # given tickets tagged vip, refund or both, and a view of the vip tickets
    tickets = {subject: make_ticket(storefront, subject=subject) for subject in ("vip", "refund", "both", "plain")}
    for subject, names in (("vip", ["vip"]), ("refund", ["refund"]), ("both", ["vip", "refund"])):
        services.ticket_tags_change(ticket=tickets[subject], actor=services.Actor(user=agent), add=names)
    view_id = _view(agent_api, {"tags": ["vip"]})
    # and the view's tab with refund picked on top
    page = agent_desk.get("/desk/", {"view": view_id, "tag": "refund"})
    listed = {t.pk for t in page.context["page"]["tickets"]}
    assert listed == {tickets["both"].pk}
    # when "all matching" is resolved from that tab
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_desk.post(
            "/desk/bulk/",
            {"all_matching": "1", "filter_query": page.wsgi_request.GET.urlencode(), "status": "resolved"},
        )
    # then exactly the tickets the page listed are resolved
    assert response.status_code == 302
    assert set(Ticket.objects.filter(status="resolved").values_list("pk", flat=True)) == listed


def test_the_apis_bulk_on_all_matching_a_view_acts_on_exactly_what_the_api_lists(
    agent_api, agent, storefront, django_capture_on_commit_callbacks
):
    # given tickets tagged vip, refund or both, and a view of the vip tickets
    tickets = {subject: make_ticket(storefront, subject=subject) for subject in ("vip", "refund", "both", "plain")}
    for subject, names in (("vip", ["vip"]), ("refund", ["refund"]), ("both", ["vip", "refund"])):
        services.ticket_tags_change(ticket=tickets[subject], actor=services.Actor(user=agent), add=names)
    view_id = _view(agent_api, {"tags": ["vip"]})
    listed = agent_api.get("/api/v1/desk/tickets/", {"view": view_id, "tag": "refund"}).json()["results"]
    assert [row["reference"] for row in listed] == [tickets["both"].reference]
    # when a script resolves all matching that view with refund on top, as the queue page's bulk bar can
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_api.post(
            "/api/v1/desk/tickets/bulk/",
            {
                "filter": {"view": view_id, "tag": ["refund"]},
                "actions": [{"type": "set_status", "value": "resolved"}],
            },
            format="json",
        )
    # then exactly the tickets the list gave are resolved
    assert response.status_code == 202, response.content
    assert list(Ticket.objects.filter(status="resolved").values_list("pk", flat=True)) == [tickets["both"].pk]


def test_the_apis_bulk_on_an_unknown_view_is_400_naming_it(agent_api, supervisor):
    other = SavedView.objects.create(owner=supervisor, name="Theirs", filters={}, created_at=now(), updated_at=now())
    response = agent_api.post(
        "/api/v1/desk/tickets/bulk/",
        {"filter": {"view": other.pk}, "actions": [{"type": "set_status", "value": "resolved"}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "filter.view" in response.json()["errors"]


@pytest.mark.parametrize(
    ("view", "picked", "narrowed"),
    [
        ({"status": ["new", "pending"]}, {"status": "pending"}, {"status": ["pending"]}),
        ({"status": ["pending"]}, {"status": ["open"]}, None),
        ({"status": ["pending"]}, {"status": "any"}, {"status": ["pending"]}),
        ({}, {"status": "resolved"}, {"status": "resolved"}),
        ({"tags": ["vip"]}, {"tags": ["refund"]}, {"tags": ["vip", "refund"]}),
        ({"severity": "severe"}, {"severity": "severe"}, {"severity": "severe"}),
        ({"severity": "severe"}, {"severity": "normal"}, None),
        ({"storefront": 1}, {"storefront": 2}, None),
        (
            {"created_from": "2026-11-01", "created_to": "2026-11-30"},
            {"created_from": "2026-11-11", "created_to": "2026-12-31"},
            {"created_from": "2026-11-11", "created_to": "2026-11-30"},
        ),
    ],
)
def test_a_pick_narrows_the_views_own_filter_with_the_same_key(view, picked, narrowed):
    assert selectors.view_filters_narrowed(view, picked) == narrowed


def test_a_view_tab_with_filters_picked_costs_what_the_queue_with_them_costs(
    agent_desk, agent_api, agent, storefront, django_assert_num_queries
):
    # given vip tickets, and a view of them
    for number in range(5):
        vip(make_ticket(storefront, subject=f"T{number}"), agent)
    view_id = _view(agent_api, {"tags": ["vip"], "status": ["new"]})
    with CaptureQueriesContext(connection) as queue:
        agent_desk.get("/desk/", {"scope": "all", "tag": "vip", "q": "T"})
    # when the view's tab is read with a tag and a search picked on top, with more tickets than a page
    for number in range(30):
        vip(make_ticket(storefront, subject=f"More {number}"), agent)
    # then it costs the queries of the queue with the same filters, whatever the number of tickets
    with django_assert_num_queries(len(queue.captured_queries)):
        response = agent_desk.get("/desk/", {"view": view_id, "tag": "vip", "q": "T"})
    assert len(response.context["page"]["tickets"]) == 25


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/desk/views/",
        "/api/v1/desk/macros/",
        "/api/v1/desk/automation/triggers/",
        "/api/v1/desk/automation/time-rules/",
        "/api/v1/desk/automation/chat-channels/",
    ],
)
def test_the_lists_a_person_keeps_have_the_shape_of_every_list(supervisor_api, path):
    # api.md: lists answer {"results", "next", "previous"}; these come whole, so there is no other page
    body = supervisor_api.get(path).json()
    assert set(body) == {"results", "next", "previous"}
    assert body["next"] is None and body["previous"] is None
