"""The desk queue's search (`tickets.selectors.ticket_queue`): each way of searching finds its tickets and no others,
only within what the searcher may see, with the queue's filters and in the queue's order."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import CustomerFactory, make_ticket
from tickets import selectors, services
from tickets.models import Status, Ticket
from tickets.selectors import ticket_queue

pytestmark = pytest.mark.django_db


def customer(storefront, name: str, email: str, phone: str):
    # Explicit names and e-mails: generated ones could contain the words searched for.
    return CustomerFactory(storefront=storefront, name=name, email=email, phone=phone)


@pytest.fixture(params=["union", "walk"])
def search_plan(request, monkeypatch) -> str:
    """Both ways the search runs: a UNION of indexed lookups, or (for a common word, forced here by a threshold of
    0) the queue walked in its order with each ticket tested. They must find the same tickets."""
    if request.param == "walk":
        monkeypatch.setattr(selectors, "COMMON_TERM_ROWS", 0)
    return request.param


@pytest.fixture
def searchable(storefront, team, other_team, supervisor) -> dict[str, Ticket]:
    """One ticket per way of searching in the agent's team, its twin in another team, and a decoy near each."""
    li_wei = customer(storefront, "Li Wei", "Li.Wei@Example.com", "+8613800000001")
    tickets = {
        "customer": make_ticket(storefront, subject="Parcel late", customer=li_wei),
        "order": make_ticket(
            storefront,
            subject="Refund please",
            order_external_id="ORD-778899",
            customer=customer(storefront, "Zhang San", "zhang@example.com", "+8613800000002"),
        ),
        "subject": make_ticket(
            storefront,
            subject="Kettle leaks",
            customer=customer(storefront, "Wang Fang", "wang@example.com", "+8613800000003"),
        ),
        "message": make_ticket(
            storefront,
            subject="Question",
            body="The zipper of the backpack is broken",
            customer=customer(storefront, "Chen Jie", "chen@example.com", "+8613800000004"),
        ),
        # Decoys: close to the terms searched for, but matching none of them.
        "decoy": make_ticket(
            storefront,
            subject="Toaster sparks",
            body="Order ORD-7788 arrived damaged; see T-999999",
            order_external_id="ORD-77889",
            customer=customer(storefront, "Liu Wen", "wei@example.com", "+86138000000011"),
        ),
        "other team": make_ticket(
            storefront,
            subject="Kettle broken too",
            body="My zipper came off as well",
            order_external_id="ORD-778899",
            customer=li_wei,
        ),
    }
    for name, ticket in tickets.items():
        services.ticket_assign(ticket=ticket, user=supervisor, team=other_team if name == "other team" else team)
    return tickets


def found(user, search: str, scope: str = "all", **filters) -> set[str]:
    return {ticket.subject for ticket in ticket_queue(user=user, scope=scope, filters=filters, search=search)}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("li.wei@example.com", {"Parcel late"}),  # e-mail, whatever its case
        ("+8613800000001", {"Parcel late"}),  # phone, exactly
        ("Li Wei", {"Parcel late"}),  # name
        ("lI w", {"Parcel late"}),  # part of a name, any case
        ("ORD-778899", {"Refund please"}),  # order id, exactly
        ("kettle", {"Kettle leaks"}),  # a word in the subject
        ("ZIPPER", {"Question"}),  # a word in a message
        ("  zipper ", {"Question"}),  # surrounding spaces do not count
        ("ORD-7788", {"Toaster sparks"}),  # a part of an order id is not that order, but is in a message
        ("wei@example", set()),  # a part of an e-mail is no e-mail
        ("+86138000000", set()),  # a part of a phone number is no phone number
        ("nothing matches this", set()),
    ],
)
def test_each_way_of_searching_finds_its_tickets_and_no_others(agent, searchable, search, expected, search_plan):
    # when an agent searches all the tickets they may see
    # then they find exactly the tickets that match, and not the other team's that match as well
    assert found(agent, search) == expected


@pytest.mark.parametrize("typed", [str.upper, str.lower])
def test_a_reference_finds_that_ticket_only(agent, searchable, typed, search_plan):
    wanted = searchable["customer"]
    # given another ticket whose message quotes the reference
    services.ticket_add_customer_message(
        ticket=searchable["subject"], body=f"Same problem as {wanted.reference}", storefront=wanted.storefront
    )
    # when the agent types the reference, in any case
    # then they get that ticket alone
    assert found(agent, typed(wanted.reference)) == {"Parcel late"}
    assert found(agent, "T-999999") == set()


def test_words_in_any_message_are_found_replies_and_notes_included(agent, searchable, search_plan):
    ticket = searchable["subject"]
    services.ticket_reply(ticket=ticket, user=agent, body="Sending a replacement lid today")
    services.ticket_add_note(ticket=ticket, user=agent, body="Supplier batch 4471 is faulty")
    assert found(agent, "replacement lid") == {"Kettle leaks"}
    assert found(agent, "batch 4471") == {"Kettle leaks"}


def test_an_agent_never_finds_another_teams_ticket(agent, other_agent, supervisor, searchable, search_plan):
    theirs = searchable["other team"]
    for term in (theirs.reference, "ORD-778899", "li.wei@example.com", "+8613800000001", "Li Wei", "kettle", "zipper"):
        # the agent finds at most their own team's tickets, whatever the tab
        for scope in ("mine", "team", "unassigned", "all"):
            assert "Kettle broken too" not in found(agent, term, scope=scope), (term, scope)
        # the other team's agent and the supervisor do find it
        assert "Kettle broken too" in found(other_agent, term, scope="team"), term
        assert "Kettle broken too" in found(supervisor, term), term
    # and the supervisor finds every match, across teams
    assert found(supervisor, "ORD-778899") == {"Refund please", "Kettle broken too"}


def test_an_agent_finds_tickets_assigned_to_them_in_another_team(agent, other_team, supervisor, storefront):
    # given a ticket of another team assigned to the agent by hand (the agent is not a member of that team)
    ticket = make_ticket(
        storefront, subject="Kettle on loan", customer=customer(storefront, "Ma Li", "ma@example.com", "+86138")
    )
    Ticket.objects.filter(pk=ticket.pk).update(team=other_team, assignee=agent)
    assert found(agent, "kettle") == {"Kettle on loan"}
    assert found(agent, "kettle", scope="mine") == {"Kettle on loan"}


def test_search_keeps_the_tab_and_the_filters(agent, supervisor, team, searchable, search_plan):
    ticket = searchable["subject"]
    services.ticket_assign(ticket=ticket, user=supervisor, assignee=agent, team=team)
    assert found(agent, "kettle", scope="mine") == {"Kettle leaks"}
    assert found(agent, "kettle", scope="unassigned") == set()
    assert found(agent, "kettle", severity="severe") == set()
    # a resolved ticket leaves the default (open) queue, and is found again with its status
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent)
    assert found(agent, "kettle") == set()
    assert found(agent, "kettle", status="resolved") == {"Kettle leaks"}
    # but its reference finds it whatever the status filter (issue 14: a reference names one ticket)
    assert found(agent, ticket.reference) == {"Kettle leaks"}
    assert found(agent, ticket.reference, status="open") == {"Kettle leaks"}


def test_search_results_keep_the_queue_order(agent, storefront, team, supervisor, search_plan):
    # given matching tickets with deadlines in no particular order, one without a running clock
    now = timezone.now()
    deadlines = {
        "tomorrow": timedelta(days=1),
        "overdue": timedelta(hours=-2),
        "no clock": None,
        "in an hour": timedelta(hours=1),
    }
    for name, offset in deadlines.items():
        ticket = make_ticket(
            storefront,
            subject=f"Kettle {name}",
            customer=customer(storefront, f"Customer {name}", f"{name.replace(' ', '')}@example.com", "+1"),
        )
        services.ticket_assign(ticket=ticket, user=supervisor, team=team)
        Ticket.objects.filter(pk=ticket.pk).update(next_due_at=now + offset if offset is not None else None)
    # when the agent searches
    rows = ticket_queue(user=agent, scope="team", search="kettle")
    # then the soonest deadline comes first, tickets without a running clock last
    assert [ticket.subject for ticket in rows] == [
        "Kettle overdue",
        "Kettle in an hour",
        "Kettle tomorrow",
        "Kettle no clock",
    ]


def test_a_search_page_costs_the_same_queries_however_many_tickets_match(
    agent_desk, storefront, team, supervisor, django_assert_num_queries, search_plan
):
    def add(count: int) -> None:
        for number in range(count):
            ticket = make_ticket(
                storefront,
                subject=f"Kettle {number}",
                customer=customer(storefront, f"Buyer {number}", f"buyer{number}@example.com", f"+{number}"),
            )
            services.ticket_assign(ticket=ticket, user=supervisor, team=team)

    add(3)
    with CaptureQueriesContext(connection) as baseline:
        response = agent_desk.get("/desk/", {"scope": "team", "q": "kettle"})
    assert len(response.context["page"]["tickets"]) == 3
    add(30)
    with django_assert_num_queries(len(baseline.captured_queries)):
        response = agent_desk.get("/desk/", {"scope": "team", "q": "kettle"})
    assert len(response.context["page"]["tickets"]) == 25
    assert response.context["page"]["count"] == 33
    # session, user, profile, groups; the search's probe, the capped count and the rows; the storefront filter; the
    # saved views (the queue's tabs) and the macros of the bulk bar
    assert len(baseline.captured_queries) <= 10


def test_a_user_who_is_neither_agent_nor_supervisor_finds_nothing(finance_user, searchable):
    assert found(finance_user, "kettle") == set()
    assert found(finance_user, searchable["subject"].reference) == set()


def test_a_blank_search_is_no_search(agent, searchable):
    everything = {"Parcel late", "Refund please", "Kettle leaks", "Question", "Toaster sparks"}
    assert found(agent, "") == everything
    assert found(agent, "   ") == everything
