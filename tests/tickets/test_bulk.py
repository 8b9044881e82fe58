"""Bulk actions: at once up to 100 tickets, as a background job beyond; each ticket all-or-nothing."""

import pytest
from django.db.models import Count

from tests.factories import make_staff, make_ticket
from tests.parallel import run_at_once
from tickets import services
from tickets.models import (
    BulkJob,
    BulkJobResult,
    BulkJobStatus,
    EventKind,
    Message,
    MessageKind,
    Status,
    Tag,
    Ticket,
    TicketEvent,
)

pytestmark = pytest.mark.django_db

BULK = "/api/v1/desk/tickets/bulk/"


def make_many(storefront, count: int) -> list[Ticket]:
    return [make_ticket(storefront, subject=f"Bulk {index}") for index in range(count)]


def test_a_bulk_of_100_where_3_are_in_another_team_does_97_and_refuses_3(
    agent_api, storefront, agent, team, other_team
):
    # given 100 tickets of the agent's team, 3 of which are moved to another team
    tickets = make_many(storefront, 100)
    others = tickets[10], tickets[50], tickets[99]
    Ticket.objects.filter(pk__in=[t.pk for t in others]).update(team=other_team, assignee=None)
    before = {t.pk: t.events.count() for t in others}
    # when the agent sets them all pending and tags them
    response = agent_api.post(
        BULK,
        {
            "references": [t.reference for t in tickets],
            "actions": [{"type": "set_status", "value": "pending"}, {"type": "add_tags", "value": ["waiting"]}],
        },
        format="json",
    )
    # then 97 are done, 3 refused with the reason, in the order given
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["reference"] for r in results] == [t.reference for t in tickets]
    refused = [r for r in results if not r["ok"]]
    assert [r["reference"] for r in refused] == [t.reference for t in others]
    assert all(r["error"] == "No such ticket, or you may not change it." for r in refused)
    assert sum(r["ok"] for r in results) == 97
    # and the done ones went through the mover (status, event) and the tags service; the others untouched
    done = Ticket.objects.exclude(pk__in=[t.pk for t in others])
    assert set(done.values_list("status", flat=True)) == {Status.PENDING}
    assert Tag.objects.get(name="waiting").tickets.count() == 97
    assert TicketEvent.objects.filter(kind=EventKind.STATUS_CHANGED, data__to="pending").count() == 97
    for ticket in others:
        ticket.refresh_from_db()
        assert ticket.status != Status.PENDING
        assert not ticket.tags.exists()
        assert ticket.events.count() == before[ticket.pk]


def test_one_ticket_refused_midway_keeps_nothing_of_its_actions(agent_api, storefront, agent):
    # given an open ticket and a closed one
    open_one, closed = make_many(storefront, 2)
    services.ticket_change_status(ticket=closed, status="resolved", user=agent)
    services.ticket_change_status(ticket=closed, status="closed", user=agent)
    events = closed.events.count()
    # when both are tagged, then moved to pending (which a closed ticket refuses)
    response = agent_api.post(
        BULK,
        {
            "references": [open_one.reference, closed.reference],
            "actions": [{"type": "add_tags", "value": ["x"]}, {"type": "set_status", "value": "pending"}],
        },
        format="json",
    )
    # then the open one is done and the closed one refused, its tag not kept
    results = response.json()["results"]
    assert [r["ok"] for r in results] == [True, False]
    assert results[1]["error"] == "A ticket cannot move from Closed to Pending."
    open_one.refresh_from_db()
    assert open_one.status == Status.PENDING and list(open_one.tags.values_list("name", flat=True)) == ["x"]
    assert not closed.tags.exists()
    assert closed.events.count() == events


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"references": ["T-000001"], "actions": [{"type": "explode", "value": 1}]}, "actions.0.type"),
        ({"references": ["T-000001"], "actions": [{"type": "set_status", "value": "nope"}]}, "actions.0.value"),
        ({"references": ["T-000001"], "actions": [{"type": "add_tags", "value": ["a,b"]}]}, "actions.0.value"),
        ({"references": ["T-000001"], "actions": [{"type": "assign_team", "value": "Nobody"}]}, "actions.0.value"),
        ({"references": ["T-000001"], "actions": []}, "actions"),
        ({"actions": [{"type": "set_status", "value": "open"}]}, "references"),
        ({"references": "T-000001", "actions": [{"type": "set_status", "value": "open"}]}, "references"),
    ],
)
def test_bad_bulk_input_is_400_naming_the_field_and_changes_nothing(agent_api, storefront, agent, body, field):
    ticket = make_ticket(storefront)
    events = TicketEvent.objects.count()
    response = agent_api.post(BULK, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert TicketEvent.objects.count() == events
    assert not BulkJob.objects.exists()


def test_more_than_100_run_as_a_job_with_progress_and_results(
    agent_api, storefront, agent, other_team, django_capture_on_commit_callbacks
):
    # given 120 tickets, 2 of another team
    tickets = make_many(storefront, 120)
    Ticket.objects.filter(pk__in=[tickets[0].pk, tickets[7].pk]).update(team=other_team, assignee=None)
    # when the agent tags them all (the job's task runs once the job is committed; eagerly in the tests)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_api.post(
            BULK,
            {"references": [t.reference for t in tickets], "actions": [{"type": "add_tags", "value": ["festival"]}]},
            format="json",
        )
    # then a job was made and ran: progress and a result per ticket, the refused ones first
    assert response.status_code == 202, response.content
    job = agent_api.get(f"/api/v1/desk/bulk-jobs/{response.json()['id']}/").json()
    assert (job["status"], job["total"], job["succeeded"], job["failed"]) == ("done", 120, 118, 2)
    page = agent_api.get(job["results_url"]).json()
    assert len(page["results"]) == 120
    assert [r["reference"] for r in page["results"][:2]] == [tickets[0].reference, tickets[7].reference]
    assert page["results"][0]["error"] == "No such ticket, or you may not change it."
    assert Tag.objects.get(name="festival").tickets.count() == 118


def test_all_matching_the_filter_runs_as_a_job(
    supervisor_api, storefront, supervisor, django_capture_on_commit_callbacks
):
    # given tickets, some tagged "sale"
    tickets = make_many(storefront, 6)
    for ticket in tickets[:4]:
        services.ticket_tags_change(ticket=ticket, actor=services.Actor(user=supervisor), add=["sale"])
    # when a supervisor resolves all tickets matching tag=sale
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_api.post(
            BULK,
            {"filter": {"scope": "all", "tag": ["sale"]}, "actions": [{"type": "set_status", "value": "resolved"}]},
            format="json",
        )
    # then exactly those are resolved
    assert response.status_code == 202, response.content
    assert set(Ticket.objects.filter(status=Status.RESOLVED).values_list("pk", flat=True)) == {
        t.pk for t in tickets[:4]
    }


def test_a_job_run_twice_changes_nothing_the_second_time(storefront, agent, django_capture_on_commit_callbacks):
    # given a job over 5 tickets that has run
    tickets = make_many(storefront, 5)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.bulk_job_create(
            user=agent, actions=[{"type": "add_tags", "value": ["once"]}], ticket_ids=[t.pk for t in tickets]
        )
    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE
    events = TicketEvent.objects.count()
    # when it is run again, even after being marked unfinished (a worker lost before the end)
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.RUNNING)
    assert services.bulk_job_run(job_id=job.pk) == 0
    # then no ticket was changed twice
    assert TicketEvent.objects.count() == events
    assert BulkJobResult.objects.filter(job=job).count() == 5


def test_another_agents_job_is_404(agent_api, storefront, team):
    other = make_staff("other-agent", "agent", teams=(team,))
    job = services.bulk_job_create(
        user=other, actions=[{"type": "add_tags", "value": ["x"]}], ticket_ids=[make_ticket(storefront).pk]
    )
    assert agent_api.get(f"/api/v1/desk/bulk-jobs/{job.pk}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_agents_bulk_editing_overlapping_tickets_at_once_end_consistent(storefront, team):
    # given 30 tickets and two agents of the team; one edits tickets 0-19, the other 10-29, both at once
    first = make_staff("first", "agent", teams=(team,))
    second = make_staff("second", "agent", teams=(team,))
    tickets = make_many(storefront, 30)
    plans = [
        (first, tickets[:20], [{"type": "set_status", "value": "pending"}, {"type": "add_tags", "value": ["a", "b"]}]),
        (
            second,
            tickets[10:][::-1],
            [{"type": "set_status", "value": "open"}, {"type": "add_tags", "value": ["b", "a"]}],
        ),
    ]

    def work(index: int):
        user, chosen, actions = plans[index]
        return services.tickets_bulk_apply(user=user, references=[t.reference for t in chosen], actions=actions)

    results = run_at_once(work, 2)
    # then neither call failed (no deadlock reached anyone), every ticket was done
    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(row["ok"] for result in results for row in result)
    # and every ticket's events match its final state: the last status event says its status, tags once each
    for ticket in Ticket.objects.all():
        # (every ticket was in at least one of the two calls, each of which moves it out of "new")
        moves = list(ticket.events.filter(kind=EventKind.STATUS_CHANGED).order_by("id").values_list("data", flat=True))
        assert moves and moves[-1]["to"] == ticket.status
        assert sorted(ticket.tags.values_list("name", flat=True)) == ["a", "b"]
    assert Tag.objects.count() == 2
    assert not Ticket.tags.through.objects.values("ticket_id", "tag_id").annotate(n=Count("id")).filter(n__gt=1)


def test_the_queue_page_ticks_tickets_and_applies_a_status_and_tags(agent_desk, storefront, agent):
    # given three tickets in the agent's queue
    tickets = make_many(storefront, 3)
    page = agent_desk.get("/desk/", {"scope": "all"}).content.decode()
    assert 'name="references"' in page and "data-select-page" in page
    # when two are ticked, set pending and tagged
    response = agent_desk.post(
        "/desk/bulk/",
        {
            "references": [tickets[0].reference, tickets[2].reference],
            "status": "pending",
            "add_tags": "later, 售后",
            "next": "/desk/?scope=all",
        },
        follow=True,
    )
    # then back on the queue with a summary, and only those two changed
    assert response.redirect_chain[-1][0] == "/desk/?scope=all"
    assert "2 tickets changed." in [str(m) for m in response.context["messages"]]
    assert list(Ticket.objects.order_by("pk").values_list("status", flat=True)) == ["pending", "new", "pending"]
    assert sorted(tickets[2].tags.values_list("name", flat=True)) == ["later", "售后"]


def test_all_matching_on_the_queue_page_starts_a_job_whose_page_shows_progress_and_results(
    agent_desk, storefront, agent, django_capture_on_commit_callbacks
):
    # given tickets, two tagged "vip"
    tickets = make_many(storefront, 4)
    for ticket in tickets[:2]:
        services.ticket_tags_change(ticket=ticket, actor=services.Actor(user=agent), add=["vip"])
    # when "all matching" the queue filtered by tag vip is resolved
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_desk.post(
            "/desk/bulk/",
            {"all_matching": "1", "filter_query": "scope=all&tag=vip", "status": "resolved"},
        )
    # then the job's page shows it done, with a line per ticket
    job = BulkJob.objects.get()
    assert response.url == f"/desk/bulk/{job.pk}/"
    page = agent_desk.get(response.url)
    assert page.context["job"].succeeded == 2
    assert [row.reference for row in page.context["results"]] == [t.reference for t in tickets[:2]]
    assert set(Ticket.objects.filter(status="resolved")) == set(tickets[:2])


def test_the_bulk_form_without_a_change_or_a_ticket_says_so(agent_desk, storefront):
    make_ticket(storefront)
    response = agent_desk.post("/desk/bulk/", {"references": ["T-000001"]}, follow=True)
    assert "Choose what to change." in [str(m) for m in response.context["messages"]]


def test_a_job_refuses_a_reference_no_ticket_has_with_its_own_result_row(
    agent_api, storefront, agent, django_capture_on_commit_callbacks
):
    # given 100 tickets and a mistyped 101st reference (so the bulk runs as a job)
    tickets = make_many(storefront, 100)
    references = [t.reference for t in tickets] + ["T-999999"]
    # when the agent tags them all
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_api.post(
            BULK, {"references": references, "actions": [{"type": "add_tags", "value": ["x"]}]}, format="json"
        )
    # then the job counts the typo as refused, with a row that says why, as an answer of up to 100 would
    assert response.status_code == 202, response.content
    job = agent_api.get(f"/api/v1/desk/bulk-jobs/{response.json()['id']}/").json()
    assert (job["status"], job["total"], job["succeeded"], job["failed"]) == ("done", 101, 100, 1)
    rows = agent_api.get(job["results_url"]).json()["results"]
    assert rows[0] == {"reference": "T-999999", "ok": False, "error": "No such ticket, or you may not change it."}


def test_a_macro_that_puts_its_reply_in_the_reply_box_sends_no_reply_in_bulk(agent_api, storefront, agent):
    # given the agent's macro whose reply is meant for the reply box (not sent), which also tags
    macro = services.macro_create(
        user=agent,
        name="Draft",
        actions=[{"type": "reply", "value": "Hello"}, {"type": "add_tags", "value": ["drafted"]}],
        send_reply=False,
    )
    tickets = make_many(storefront, 2)
    # when it is applied to both tickets at once
    response = agent_api.post(BULK, {"references": [t.reference for t in tickets], "macro": macro.pk}, format="json")
    # then they are tagged and no reply went to the customers (there is no reply box to put it in)
    assert response.status_code == 200, response.content
    assert all(row["ok"] for row in response.json()["results"])
    assert Tag.objects.get(name="drafted").tickets.count() == 2
    assert not TicketEvent.objects.filter(ticket__in=tickets, kind=EventKind.REPLIED).exists()
    assert not Message.objects.filter(ticket__in=tickets, kind=MessageKind.PUBLIC).exists()


def test_100_tickets_named_twice_in_another_case_are_answered_at_once(agent_api, storefront, agent):
    # given 100 tickets, one of them named a second time in lower case
    tickets = make_many(storefront, 100)
    references = [t.reference for t in tickets] + [tickets[0].reference.lower()]
    # when tagged: it is 100 tickets, answered at once, not a background job
    response = agent_api.post(
        BULK, {"references": references, "actions": [{"type": "add_tags", "value": ["y"]}]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 100 and not BulkJob.objects.exists()
