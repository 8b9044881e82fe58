"""Tags through the desk API, the storefront API, the desk pages and the reports."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory, make_staff, make_ticket
from tickets import services
from tickets.models import EventKind, Tag, Ticket

pytestmark = pytest.mark.django_db

DESK = "/api/v1/desk/tickets/"


def tag(ticket: Ticket, *names: str, user=None) -> None:
    services.ticket_tags_change(ticket=ticket, actor=services.Actor(user=user), add=names)


def test_an_agent_adds_and_removes_tags_through_the_desk_api(agent_api, storefront, agent):
    # given a ticket of the agent's team
    ticket = make_ticket(storefront)
    # when the agent adds two tags, then removes one in another case
    added = agent_api.post(f"{DESK}{ticket.reference}/tags/", {"add": ["VIP", "破损"]}, format="json")
    removed = agent_api.post(f"{DESK}{ticket.reference}/tags/", {"remove": ["vip"]}, format="json")
    # then each answer is the desk ticket with its tags, and the read says the same
    assert added.status_code == 200, added.content
    assert added.json()["tags"] == ["VIP", "破损"]
    assert removed.json()["tags"] == ["破损"]
    assert agent_api.get(f"{DESK}{ticket.reference}/").json()["tags"] == ["破损"]
    assert [e["data"] for e in removed.json()["timeline"] if e["kind"] == "tags_changed"][-1] == {
        "added": [],
        "removed": ["VIP"],
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"add": ["a,b"]}, {"tags": ["A tag cannot contain a comma: a,b"]}),
        ({"add": ["  "]}, {"tags": ["A tag cannot be empty."]}),
        ({"add": ["x" * 51]}, {"tags": [f"A tag has at most 50 characters: {'x' * 51}"]}),
        ({"add": "VIP"}, {"add": ['Expected a list of items but got type "str".']}),
        ({"add": [1]}, {"add.0": ["Not a valid string."]}),
        ({"add": ["ok"], "colour": "red"}, {"colour": ["Unknown field."]}),
        ({"add": ["same"], "remove": ["SAME"]}, {"tags": ["A tag cannot be both added and removed: same"]}),
    ],
)
def test_bad_tags_are_400_in_the_error_format_and_nothing_changes(agent_api, storefront, agent, body, errors):
    # given a tagged ticket
    ticket = make_ticket(storefront)
    tag(ticket, "keep", user=agent)
    events = ticket.events.count()
    # when bad tags are sent
    response = agent_api.post(f"{DESK}{ticket.reference}/tags/", body, format="json")
    # then 400 names the field, and the ticket is as it was
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"] == errors
    assert list(ticket.tags.values_list("name", flat=True)) == ["keep"]
    assert ticket.events.count() == events
    assert set(Tag.objects.values_list("name", flat=True)) == {"keep"}


def test_tags_of_a_ticket_the_agent_may_not_see_are_404(agent_api, storefront, other_team):
    # given a ticket of another team
    ticket = make_ticket(storefront)
    Ticket.objects.filter(pk=ticket.pk).update(team=other_team, assignee=None)
    # when the agent tags it
    response = agent_api.post(f"{DESK}{ticket.reference}/tags/", {"add": ["x"]}, format="json")
    # then it is not found, and untouched
    assert response.status_code == 404
    assert not ticket.tags.exists()


def test_the_queue_filters_by_every_tag_given_and_shows_the_tags(agent_api, storefront, agent):
    # given tickets tagged VIP, VIP + refund, and nothing
    vip = make_ticket(storefront, subject="vip")
    both = make_ticket(storefront, subject="both")
    make_ticket(storefront, subject="plain")
    tag(vip, "VIP")
    tag(both, "vip", "Refund")
    # when the queue is asked for one tag, then for two (any case)
    one = agent_api.get(DESK, {"tag": "vip"}).json()["results"]
    two = agent_api.get(f"{DESK}?tag=VIP&tag=refund").json()["results"]
    unknown = agent_api.get(DESK, {"tag": "nothing"}).json()["results"]
    # then tickets carrying all the tags asked for, with their tags
    assert sorted(row["subject"] for row in one) == ["both", "vip"]
    assert [(row["subject"], row["tags"]) for row in two] == [("both", ["Refund", "VIP"])]
    assert unknown == []


def test_the_queue_with_tags_costs_no_more_queries(agent_api, storefront, agent, django_assert_num_queries):
    # given 20 tickets with two tags each
    for index in range(20):
        tag(make_ticket(storefront, subject=f"t{index}", customer=CustomerFactory(storefront=storefront)), "a", "b")
    # token + user, groups, the page (the tags come in the page's query)
    with django_assert_num_queries(3):
        response = agent_api.get(DESK, {"tag": "a"})
    assert len(response.json()["results"]) == 20
    assert all(row["tags"] == ["a", "b"] for row in response.json()["results"])


def test_a_storefront_may_send_tags_that_its_reads_do_not_show(storefront_client, storefront, agent_api):
    # given a storefront creating a ticket with tags
    response = storefront_client.post(
        "/api/v1/tickets/",
        {"subject": "Broken cup", "body": "It arrived broken.", "tags": [" fragile ", "双十一"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # then the storefront's answer and reads have no tags
    assert "tags" not in body
    assert "tags" not in storefront_client.get(f"/api/v1/tickets/{body['id']}/").json()
    # and the desk sees them, with the event
    ticket = Ticket.objects.get(public_id=body["id"])
    assert agent_api.get(f"{DESK}{ticket.reference}/").json()["tags"] == ["fragile", "双十一"]
    assert ticket.events.get(kind=EventKind.TAGS_CHANGED).data == {"added": ["fragile", "双十一"], "removed": []}


def test_a_storefront_sending_a_bad_tag_gets_400_and_no_ticket(storefront_client, storefront):
    response = storefront_client.post(
        "/api/v1/tickets/", {"subject": "Cup", "body": "Broken.", "tags": ["a,b"]}, format="json"
    )
    assert response.status_code == 400
    assert "tags" in response.json()["errors"]
    assert not Ticket.objects.exists()


def test_autocomplete_suggests_the_most_used_tags_starting_with_what_was_typed(agent_api, storefront):
    # given tags used more and less
    for index in range(3):
        tag(make_ticket(storefront), "Refund")
    tag(make_ticket(storefront), "refurbished")
    tag(make_ticket(storefront), "VIP")
    # when an agent types "re"
    response = agent_api.get("/api/v1/desk/tags/", {"q": "RE"})
    # then the matching names, the most used first
    assert response.status_code == 200
    assert response.json() == {"results": ["Refund", "refurbished"]}


def test_the_desk_page_adds_comma_separated_tags_removes_one_and_filters_the_queue(agent_desk, storefront, agent):
    # given a ticket
    ticket = make_ticket(storefront, subject="Tagged one")
    make_ticket(storefront, subject="Other one")
    # when the agent adds tags on the ticket page, then removes one
    agent_desk.post(f"/desk/tickets/{ticket.reference}/tags/", {"add": "VIP, <b>late</b>"})
    agent_desk.post(f"/desk/tickets/{ticket.reference}/tags/", {"remove": "VIP"})
    page = agent_desk.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    # then the page shows the remaining tag, escaped
    assert "&lt;b&gt;late&lt;/b&gt;" in page and "<b>late</b>" not in page
    assert list(ticket.tags.values_list("name", flat=True)) == ["<b>late</b>"]
    # and the queue filtered by the tag lists only that ticket
    queue = agent_desk.get("/desk/", {"scope": "all", "tag": "<B>LATE</B>"})
    assert [t.subject for t in queue.context["page"]["tickets"]] == ["Tagged one"]


def test_a_bad_tag_on_the_desk_page_is_an_error_message(agent_desk, storefront, agent):
    ticket = make_ticket(storefront)
    response = agent_desk.post(f"/desk/tickets/{ticket.reference}/tags/", {"add": "x" * 60}, follow=True)
    assert response.status_code == 200
    assert any("at most 50" in str(m) for m in response.context["messages"])
    assert not ticket.tags.exists()


def test_reports_break_tickets_down_by_tag(supervisor_api, storefront, team):
    # given tickets created in the period: two tagged VIP (one resolved), one tagged refund, one untagged
    supervisor = make_staff("boss2", "supervisor", teams=(team,))
    now = timezone.now() - timedelta(hours=2)
    first = make_ticket(storefront, now=now)
    second = make_ticket(storefront, now=now)
    third = make_ticket(storefront, now=now)
    make_ticket(storefront, now=now)
    tag(first, "VIP")
    tag(second, "VIP", "refund")
    tag(third, "refund")
    services.ticket_change_status(ticket=first, status="resolved", user=supervisor)
    # when the report is read
    body = supervisor_api.get("/api/v1/desk/reports/", {"period": "7"}).json()
    # then one line per tag, the most used first
    assert [(r["tag"], r["created"], r["resolved"]) for r in body["by_tag"]] == [
        ("refund", 2, 0),
        ("VIP", 2, 1),
    ]
