"""What a storefront sends never breaks the desk: tickets, returns and complaints made through the API without a
customer (and without a team, an assignee or an order) render on every page that can show them, and a crawl of every
URL pattern with them in the database finds no 5xx for any role."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from alerts.models import Alert
from alerts.report_views import TABLES as REPORT_TABLES
from tests.world import World, build_world, desk_paths, text_of
from tickets.models import Customer, Storefront, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(storefront_client, supervisor_api, agent_api, team, agent, supervisor) -> World:
    return build_world(
        storefront_client=storefront_client, supervisor_api=supervisor_api, agent_api=agent_api, team=team
    )


@pytest.fixture
def finance_desk(finance_user) -> Client:
    client = Client()
    client.force_login(finance_user)
    return client


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def supervisor_client(supervisor) -> Client:
    client = Client()
    client.force_login(supervisor)
    return client


def page(client: Client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, text_of(response)[:800])
    return text_of(response)


def test_the_world_really_lacks_customers_teams_and_assignees(world):
    # given the objects the storefront created without a customer
    assert all(ticket.customer_id is None for ticket in world.tickets)
    assert world.return_request.customer_id is None and world.complaint.ticket.customer_id is None
    # then one has no team and one no assignee, as a fresh installation or a supervisor leaves them
    assert world.teamless.team_id is None and world.teamless.assignee_id is None
    assert Ticket.objects.get(pk=world.unassigned.pk).assignee_id is None


@pytest.mark.parametrize("scope", ["mine", "team", "unassigned", "all"])
def test_queue_in_every_scope_shows_customerless_tickets(world, supervisor_client, agent_client, scope):
    # when a supervisor and an agent open every tab of the queue, also as the 30-second refresh asks for it
    for client in (supervisor_client, agent_client):
        text = page(client, f"/desk/?scope={scope}")
        partial = client.get(f"/desk/?scope={scope}", headers={"HX-Request": "true", "HX-Target": "queue-results"})
        assert partial.status_code == 200
        # then the tickets are listed with a dash for the missing customer
        if scope in ("team", "all"):
            assert world.inquiry.reference in text
    assert world.teamless.reference in page(supervisor_client, "/desk/?scope=all")
    assert world.unassigned.reference in page(supervisor_client, "/desk/?scope=unassigned")


def test_every_ticket_page_renders_without_a_customer(world, supervisor_client, agent_client):
    for ticket in world.tickets:
        text = page(supervisor_client, f"/desk/tickets/{ticket.reference}/")
        assert ticket.reference in text and "No customer on this ticket." in text
    # the agent sees those of their team too, return and complaint panels included
    text = page(agent_client, f"/desk/tickets/{world.return_request.ticket.reference}/")
    assert world.return_request.reference in text and world.refund.reference in text
    text = page(agent_client, f"/desk/tickets/{world.complaint.ticket.reference}/")
    assert world.complaint.reference in text


def test_returns_refunds_and_complaints_lists(world, agent_client, supervisor_client, finance_desk):
    for client in (agent_client, supervisor_client, finance_desk):
        assert world.return_request.reference in page(client, "/desk/returns/")
    for client in (supervisor_client, finance_desk):
        assert world.refund.reference in page(client, "/desk/refunds/")
    for client in (agent_client, supervisor_client):
        assert world.complaint.reference in page(client, "/desk/complaints/")
        detail = client.get(f"/desk/complaints/{world.complaint.reference}/", follow=True)
        assert detail.status_code == 200 and world.complaint.reference in text_of(detail)


def test_alerts_dashboard_and_notifications(world, supervisor_client, agent_client):
    text = page(supervisor_client, "/alerts/")
    assert world.complaint.ticket.reference in text and world.teamless.reference in text
    assert page(supervisor_client, "/alerts/", 200)
    assert world.inquiry.reference in page(agent_client, "/alerts/notifications/")
    live = supervisor_client.get("/alerts/", headers={"HX-Request": "true"})
    assert live.status_code == 200


def test_reports_and_their_csv(world, supervisor_client):
    text = page(supervisor_client, "/reports/")
    assert "Tickets created and resolved per day" in text
    for table in REPORT_TABLES:
        response = supervisor_client.get(f"/reports/{table}.csv")
        assert response.status_code == 200, table
    text = page(supervisor_client, "/reports/complaints/")
    assert "Customers with repeated complaints" in text
    for download in ("category", "department", "root_cause", "customers"):
        assert supervisor_client.get(f"/reports/complaints/?download={download}").status_code == 200


def _admin_pages(obj: Any) -> list[str]:
    opts = obj._meta
    return [
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
    ]


def test_admin_lists_and_change_pages(world, supervisor_client, storefront):
    partial = Customer.objects.create(storefront=storefront, external_id="C-only-id")
    alerts = list(Alert.objects.filter(ticket__in=world.tickets))
    assert alerts
    objects = [
        *world.tickets,
        partial,
        world.return_request,
        world.refund,
        world.complaint,
        world.survey,
        *alerts,
        *world.inquiry.events.all()[:3],
    ]
    for obj in objects:
        for path in _admin_pages(obj):
            text = page(supervisor_client, path)
            reference = getattr(obj, "reference", None)
            if reference and path.endswith("/change/"):
                assert str(reference) in text


def test_desk_api_lists_and_details(world, agent_api, supervisor_api):
    for client in (agent_api, supervisor_api):
        listed = client.get("/api/v1/desk/tickets/?scope=all")
        assert listed.status_code == 200
        assert world.inquiry.reference in {row["reference"] for row in listed.json()["results"]}
    for ticket in world.tickets:
        body = supervisor_api.get(f"/api/v1/desk/tickets/{ticket.reference}/").json()
        assert body["reference"] == ticket.reference and body["customer"] is None
    for path in (
        "/api/v1/desk/returns/",
        f"/api/v1/desk/returns/{world.return_request.public_id}/",
        "/api/v1/desk/complaints/",
        f"/api/v1/desk/complaints/{world.complaint.public_id}/",
        "/api/v1/desk/alerts/",
    ):
        assert supervisor_api.get(path).status_code == 200, path


# --- The second fuzz run: every URL pattern, every role -------------------------------------------------------------


def test_second_fuzz_run_finds_no_5xx(world, agent, supervisor, finance_user):
    # given customer-less objects in the database and every URL pattern filled with real ones (and with a NUL
    # byte, a newline or 300 characters where a fuzzer would put them)
    paths = desk_paths(world, hostile=True)
    assert len(paths) > 100
    roles = {"agent": agent, "supervisor": supervisor, "finance": finance_user}
    # Signing out would make the rest of the crawl anonymous (redirects and 403s only): not that one.
    paths.remove("/accounts/logout/")
    failures = []
    answered_signed_in = 0
    for role, user in roles.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for path in paths:
            # when each role asks for each page, and posts an empty form to each
            for method in (client.get, client.post):
                response = method(path)
                answered_signed_in += response.wsgi_request.user == user
                if response.status_code >= 500:
                    failures.append((role, method.__name__, path, response.status_code))
    # then nothing answers 5xx
    assert failures == []
    # and every request was made signed in: the crawl never signed itself out
    assert answered_signed_in == len(roles) * len(paths) * 2


@pytest.mark.parametrize("endpoint", ["tickets", "complaints", "returns"])
def test_an_empty_customer_object_is_a_guest(storefront_client, endpoint):
    # a customer object with nothing in it (or only blanks) names nobody: the request is taken as a guest's, as when
    # the object is left out (the schema cannot say "one field not blank", so refusing it would make the schema lie)
    from tests.returns.conftest import return_body

    bodies = {
        "tickets": {"subject": "Hi", "body": "Hello", "customer": {}},
        "complaints": {"category": "service", "body": "Hello", "customer": {"name": "  ", "email": ""}},
        "returns": return_body(customer={}),
    }
    response = storefront_client.post(f"/api/v1/{endpoint}/", bodies[endpoint], format="json")
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().customer is None
    assert not Customer.objects.exists()


def test_a_storefront_without_a_language_of_ours(world, supervisor_client, agent_api, client):
    # given a storefront row whose customer language is none the desk knows (an old row, or one edited in SQL)
    Storefront.objects.filter(pk=world.inquiry.storefront_id).update(language="")
    ticket = world.unassigned
    # when an agent acknowledges one of its tickets (the message goes out in the storefront's language)
    acknowledged = agent_api.post(f"/api/v1/desk/tickets/{ticket.reference}/acknowledge/", {}, format="json")
    assert acknowledged.status_code == 200, acknowledged.content
    assert "We have received your request" in acknowledged.json()["messages"][-1]["body"]
    # then the ticket page and the customer's survey page still render
    assert ticket.reference in page(supervisor_client, f"/desk/tickets/{ticket.reference}/")
    answered = client.get(f"/s/{world.survey.token}/")
    assert answered.status_code == 410
