"""The agent desk in the browser: what an agent sees and can do on the queue and ticket pages."""

import struct
import zlib
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests.factories import STAFF_PASSWORD, CannedResponseFactory, CustomerFactory, make_staff, make_ticket
from tickets import selectors, services
from tickets.masking import mask_email
from tickets.models import EventKind, MessageKind, Severity, Status, TicketEvent

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


def ticket_url(ticket, action: str = "") -> str:
    if action:
        return reverse(f"tickets:{action}", args=[ticket.reference])
    return reverse("tickets:ticket", args=[ticket.reference])


def flash(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def tiny_png() -> bytes:
    """A valid 1x1 PNG, so the service's content sniffing accepts it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


# Access ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/desk/", "/desk/preferences/", "/desk/tickets/T-000001/"])
def test_desk_pages_require_login(client, path):
    # when an anonymous visitor opens a desk page
    response = client.get(path)
    # then they are sent to the login page, and come back after signing in
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_login_page_signs_in_and_lands_on_the_queue(client, agent):
    # given the login page
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    # when the agent signs in
    response = client.post("/accounts/login/", {"username": "agent", "password": STAFF_PASSWORD})
    # then they land on the queue
    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200


def test_wrong_password_shows_an_error(client, agent):
    response = client.post("/accounts/login/", {"username": "agent", "password": "nope"})
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()


def test_user_without_a_desk_role_is_refused(client, db):
    from django.contrib.auth import get_user_model

    outsider = get_user_model().objects.create_user(username="outsider", password="pass-1234")
    client.force_login(outsider)
    assert client.get("/desk/").status_code == 403


# The queue ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def queue_tickets(storefront, team, other_team, agent, supervisor):
    """One ticket of each kind of ownership, seen from `agent`."""
    teammate = make_staff("teammate", "agent", teams=(team,))
    mine = make_ticket(storefront, subject="Mine: kettle")
    services.ticket_assign(ticket=mine, user=supervisor, assignee=agent, team=team)
    teammates = make_ticket(storefront, subject="Teammate's: toaster")
    services.ticket_assign(ticket=teammates, user=supervisor, assignee=teammate, team=team)
    unassigned = make_ticket(storefront, subject="Unassigned: blender")
    services.ticket_assign(ticket=unassigned, user=supervisor, assignee=None, team=team)
    elsewhere = make_ticket(storefront, subject="Other team: fridge")
    services.ticket_assign(ticket=elsewhere, user=supervisor, assignee=None, team=other_team)
    return {"mine": mine, "team": teammates, "unassigned": unassigned, "elsewhere": elsewhere}


def subjects(response) -> set[str]:
    return {ticket.subject for ticket in response.context["page"]["tickets"]}


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("mine", {"Mine: kettle"}),
        ("team", {"Mine: kettle", "Teammate's: toaster", "Unassigned: blender"}),
        ("unassigned", {"Unassigned: blender"}),
        ("all", {"Mine: kettle", "Teammate's: toaster", "Unassigned: blender"}),
    ],
)
def test_queue_tabs_for_an_agent(agent_desk, queue_tickets, scope, expected):
    # when the agent opens a tab of the queue
    response = agent_desk.get("/desk/", {"scope": scope})
    # then they see that tab's tickets, and never another team's
    assert response.status_code == 200
    assert subjects(response) == expected


def test_supervisor_all_tab_shows_every_team(supervisor_desk, queue_tickets):
    response = supervisor_desk.get("/desk/", {"scope": "all"})
    assert "Other team: fridge" in subjects(response)
    assert len(subjects(response)) == 4


def test_queue_defaults_to_mine_and_marks_the_tab(agent_desk, queue_tickets):
    response = agent_desk.get("/desk/")
    assert subjects(response) == {"Mine: kettle"}
    assert 'class="tab active" aria-current="true">Mine<' in response.content.decode()


def test_queue_filters_by_severity_and_status(agent_desk, queue_tickets, agent):
    services.ticket_change_severity(ticket=queue_tickets["team"], severity=Severity.SEVERE, user=agent)
    services.ticket_change_status(ticket=queue_tickets["unassigned"], status=Status.RESOLVED, user=agent)
    # severity filter
    response = agent_desk.get("/desk/", {"scope": "team", "severity": "severe"})
    assert subjects(response) == {"Teammate's: toaster"}
    # status filter shows resolved tickets, which the default (open) view hides
    assert "Unassigned: blender" not in subjects(agent_desk.get("/desk/", {"scope": "team"}))
    response = agent_desk.get("/desk/", {"scope": "team", "status": "resolved"})
    assert subjects(response) == {"Unassigned: blender"}


def test_queue_ignores_unknown_filter_values(agent_desk, queue_tickets):
    response = agent_desk.get("/desk/", {"scope": "nonsense", "severity": "apocalyptic", "page": "x"})
    assert response.status_code == 200
    assert subjects(response) == {"Mine: kettle"}
    assert agent_desk.get("/desk/", {"page": "9" * 30}).status_code == 200


def test_queue_filters_by_storefront(agent_desk, queue_tickets, other_storefront, supervisor, team):
    theirs = make_ticket(other_storefront, subject="From the other shop")
    services.ticket_assign(ticket=theirs, user=supervisor, team=team)
    response = agent_desk.get("/desk/", {"scope": "team", "storefront": other_storefront.pk})
    assert subjects(response) == {"From the other shop"}


def test_queue_search(agent_desk, storefront, team, agent):
    customer = CustomerFactory(storefront=storefront, name="Li Wei", email="li.wei@example.com", phone="+8613800000001")
    by_customer = make_ticket(storefront, subject="Parcel late", customer=customer)
    by_order = make_ticket(storefront, subject="Refund please", order_external_id="ORD-778899")
    by_words = make_ticket(storefront, subject="Question", body="The zipper of the backpack is broken")
    make_ticket(storefront, subject="Unrelated")

    def search(text: str) -> set[str]:
        return subjects(agent_desk.get("/desk/", {"scope": "all", "q": text}))

    assert search(by_customer.reference) == {"Parcel late"}
    assert search("li.wei@example.com") == {"Parcel late"}
    assert search("+8613800000001") == {"Parcel late"}
    assert search("Li Wei") == {"Parcel late"}
    assert search("ORD-778899") == {by_order.subject}
    assert search("zipper") == {by_words.subject}
    assert search("nothing matches this") == set()


def test_queue_rows_show_customer_team_assignee_and_deadline(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront, subject="Kettle leaks")
    body = agent_desk.get("/desk/", {"scope": "team"}).content.decode()
    assert ticket.reference in body
    assert escape(ticket.customer.name) in body
    assert "Customer service / Ann Agent" in body
    assert ticket_url(ticket) in body
    assert "badge" in body


def test_queue_sla_badge_says_time_left_or_overdue(agent_desk, storefront, agent, team):
    now = timezone.now()
    soon = make_ticket(storefront, subject="soon")
    late = make_ticket(storefront, subject="late")
    type(soon).objects.filter(pk=soon.pk).update(next_due_at=now + timedelta(hours=2, minutes=30))
    type(late).objects.filter(pk=late.pk).update(next_due_at=now - timedelta(hours=3, minutes=10))
    response = agent_desk.get("/desk/", {"scope": "team"})
    body = response.content.decode()
    # soonest deadline first: the overdue one leads
    assert [t.subject for t in response.context["page"]["tickets"]][:2] == ["late", "soon"]
    assert "overdue by 3 h 10 min" in body or "overdue by 3 h 9 min" in body
    assert "2 h 29 min left" in body or "2 h 30 min left" in body


def test_queue_paginates(agent_desk, storefront, agent, team):
    for number in range(30):
        make_ticket(storefront, subject=f"Ticket {number}")
    first = agent_desk.get("/desk/", {"scope": "team"})
    second = agent_desk.get("/desk/", {"scope": "team", "page": 2})
    assert len(first.context["page"]["tickets"]) == 25
    assert len(second.context["page"]["tickets"]) == 5
    assert first.context["page"]["count"] == 30
    assert subjects(first).isdisjoint(subjects(second))
    assert "page=2" in first.content.decode()


def test_queue_refresh_returns_only_the_results(agent_desk, storefront, agent, team):
    make_ticket(storefront, subject="Refreshed")
    response = agent_desk.get("/desk/", {"scope": "team"}, headers={"HX-Request": "true", "HX-Target": "queue-results"})
    body = response.content.decode()
    assert "Refreshed" in body
    assert "<html" not in body
    assert 'hx-trigger="every 10s"' in body


def test_queue_query_count_does_not_grow_with_tickets(agent_desk, storefront, agent, team):
    for number in range(5):
        make_ticket(storefront, subject=f"Ticket {number}")
    with CaptureQueriesContext(connection) as few:
        assert agent_desk.get("/desk/", {"scope": "team", "q": "Ticket"}).status_code == 200
    for number in range(35):
        make_ticket(storefront, subject=f"More {number}")
    with CaptureQueriesContext(connection) as many:
        response = agent_desk.get("/desk/", {"scope": "team", "q": "More"})
    assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(few.captured_queries) <= 12


def test_queue_query_count_pinned(agent_desk, storefront, agent, team, django_assert_num_queries):
    for number in range(5):
        make_ticket(storefront, subject=f"Ticket {number}")
    with CaptureQueriesContext(connection) as baseline:
        agent_desk.get("/desk/", {"scope": "all"})
    for number in range(35):
        make_ticket(storefront, subject=f"More {number}")
    with django_assert_num_queries(len(baseline.captured_queries)):
        response = agent_desk.get("/desk/", {"scope": "all"})
    assert len(response.context["page"]["tickets"]) == 25


# The ticket page ---------------------------------------------------------------------------------------------------


def test_ticket_page_shows_header_timeline_and_customer(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront, subject="Kettle leaks", body="Water everywhere", order_external_id="ORD-1")
    services.ticket_add_note(ticket=ticket, user=agent, body="Checked the batch number")
    body = agent_desk.get(ticket_url(ticket)).content.decode()
    assert "Kettle leaks" in body
    assert "Water everywhere" in body
    assert "Checked the batch number" in body
    assert "Internal note — not visible to the customer" in body
    # the customer's name, and their e-mail masked (tests/test_privacy.py has the rest)
    assert ticket.customer.name in body
    assert ticket.customer.email not in body and mask_email(ticket.customer.email) in body
    assert "ORD-1" in body
    assert "New" in body and "Minor" in body


def test_ticket_page_lists_the_customers_other_tickets(agent_desk, storefront, agent, team):
    customer = CustomerFactory(storefront=storefront)
    older = make_ticket(storefront, subject="Older problem", customer=customer)
    ticket = make_ticket(storefront, subject="New problem", customer=customer)
    body = agent_desk.get(ticket_url(ticket)).content.decode()
    assert ticket_url(older) in body
    assert "Older problem" in body


def test_agent_outside_the_team_gets_404(client, other_agent, storefront, team, agent):
    # given a ticket of the customer service team
    ticket = make_ticket(storefront)
    client.force_login(other_agent)
    # when an agent of another team opens it, or tries to act on it
    assert client.get(ticket_url(ticket)).status_code == 404
    assert client.post(ticket_url(ticket, "acknowledge")).status_code == 404
    assert client.post(ticket_url(ticket, "reply"), {"kind": "reply", "body": "hi"}).status_code == 404
    # then nothing happened to the ticket
    ticket.refresh_from_db()
    assert ticket.acknowledged_at is None
    assert ticket.messages.count() == 1


def test_unknown_ticket_is_404_page(agent_desk):
    response = agent_desk.get("/desk/tickets/T-999999/")
    assert response.status_code == 404
    assert "Back to the queue" in response.content.decode()


def test_public_reply_through_the_form(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    # when the agent replies and sets the ticket pending
    response = agent_desk.post(
        ticket_url(ticket, "reply"), {"kind": "reply", "body": "Your parcel left today.", "then": "pending"}
    )
    # then the customer gets the reply, the ticket waits on the customer, and the agent is told
    assert response.status_code == 302
    assert response["Location"] == ticket_url(ticket)
    assert ("success", "Reply sent to the customer.") in flash(response)
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert [m.body for m in selectors.ticket_public_messages(ticket=ticket)][-1] == "Your parcel left today."
    assert "Your parcel left today." in agent_desk.get(ticket_url(ticket)).content.decode()


def test_reply_and_resolve(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    agent_desk.post(ticket_url(ticket, "reply"), {"kind": "reply", "body": "Fixed.", "then": "resolved"})
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_internal_note_through_the_form_stays_internal(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    response = agent_desk.post(ticket_url(ticket, "reply"), {"kind": "note", "body": "Customer sounds upset"})
    assert ("success", "Internal note added.") in flash(response)
    note = ticket.messages.get(body="Customer sounds upset")
    assert note.kind == MessageKind.INTERNAL
    assert note not in selectors.ticket_public_messages(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW  # a note is not a reply


def test_empty_reply_keeps_the_form_and_shows_an_error(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    response = agent_desk.post(ticket_url(ticket, "reply"), {"kind": "reply", "body": "", "then": "resolved"})
    assert response.status_code == 400
    assert any(level == "error" for level, _text in flash(response))
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_reply_with_attachment_can_be_downloaded_from_the_desk(agent_desk, storefront, agent, team, client):
    ticket = make_ticket(storefront)
    upload = SimpleUploadedFile("label.png", tiny_png(), content_type="image/png")
    agent_desk.post(ticket_url(ticket, "reply"), {"kind": "reply", "body": "See the label", "attachments": [upload]})
    attachment = ticket.attachments.get()
    link = reverse("tickets:attachment", args=[ticket.reference, attachment.pk])
    assert link in agent_desk.get(ticket_url(ticket)).content.decode()
    download = agent_desk.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == tiny_png()


def test_refused_attachment_type_is_an_error_message_not_a_500(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    upload = SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/octet-stream")
    response = agent_desk.post(ticket_url(ticket, "reply"), {"kind": "reply", "body": "Here", "attachments": [upload]})
    assert response.status_code == 302
    assert any(level == "error" and "JPEG" in text for level, text in flash(response))
    # the whole reply was refused, not half-applied
    assert not ticket.messages.filter(body="Here").exists()


def test_canned_response_is_inserted_for_editing(agent_desk, storefront, agent, team):
    customer = CustomerFactory(storefront=storefront, name="Zhang San")
    ticket = make_ticket(storefront, customer=customer)
    canned = CannedResponseFactory(team=team, title="Parcel delayed", body="Dear {customer_name}, about {reference}.")
    # the picker is on the ticket page
    page = agent_desk.get(ticket_url(ticket)).content.decode()
    assert "Parcel delayed" in page
    # with htmx: the reply box comes back filled
    response = agent_desk.get(
        reverse("tickets:canned_insert", args=[ticket.reference]), {"canned": canned.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Dear Zhang San, about {ticket.reference}." in body
    assert "<textarea" in body
    # without JavaScript: the page reloads with the text in the reply box
    page = agent_desk.get(ticket_url(ticket), {"canned": canned.pk}).content.decode()
    assert f"Dear Zhang San, about {ticket.reference}.</textarea>" in page


def test_other_teams_canned_response_is_not_offered(agent_desk, storefront, agent, team, other_team):
    ticket = make_ticket(storefront)
    theirs = CannedResponseFactory(team=other_team, title="Logistics only")
    assert "Logistics only" not in agent_desk.get(ticket_url(ticket)).content.decode()
    response = agent_desk.get(reverse("tickets:canned_insert", args=[ticket.reference]), {"canned": theirs.pk})
    assert response.status_code == 404


def test_acknowledge(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    response = agent_desk.post(ticket_url(ticket, "acknowledge"))
    assert ("success", "Ticket acknowledged; the customer has been told.") in flash(response)
    ticket.refresh_from_db()
    assert ticket.acknowledged_at is not None
    assert ticket.status == Status.OPEN
    # the button is gone, and a second try is refused with a message, not an error page
    assert "tickets/" + ticket.reference + "/acknowledge/" not in agent_desk.get(ticket_url(ticket)).content.decode()
    again = agent_desk.post(ticket_url(ticket, "acknowledge"))
    assert again.status_code == 302
    assert ("error", "This ticket is already acknowledged.") in flash(again)


def test_assign_to_me_and_to_a_team_member(agent_desk, storefront, agent, team, supervisor):
    teammate = make_staff("teammate", "agent", teams=(team,), first_name="Tom")
    ticket = make_ticket(storefront)
    services.ticket_assign(ticket=ticket, user=supervisor, assignee=None, team=team)
    # assign to me
    response = agent_desk.post(ticket_url(ticket, "assign"), {"assignee": agent.pk, "team": team.pk})
    assert ("success", "Ticket assigned to you.") in flash(response)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    # to a teammate
    response = agent_desk.post(ticket_url(ticket, "assign"), {"assignee": teammate.pk, "team": team.pk})
    assert ("success", "Ticket assigned to Tom.") in flash(response)
    ticket.refresh_from_db()
    assert ticket.assignee == teammate
    assert ticket.events.filter(kind=EventKind.ASSIGNED, actor_user=agent).count() == 2


def test_agent_cannot_assign_outside_the_team(agent_desk, storefront, agent, team, other_team, other_agent):
    ticket = make_ticket(storefront)
    response = agent_desk.post(ticket_url(ticket, "assign"), {"assignee": other_agent.pk, "team": other_team.pk})
    assert response.status_code == 302
    assert any(level == "error" for level, _text in flash(response))
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.team == team


def test_supervisor_moves_a_ticket_to_another_team(supervisor_desk, storefront, agent, team, other_team, other_agent):
    ticket = make_ticket(storefront)
    page = supervisor_desk.get(ticket_url(ticket)).content.decode()
    assert "Logistics" in page  # the team picker offers every team
    response = supervisor_desk.post(ticket_url(ticket, "assign"), {"assignee": other_agent.pk, "team": other_team.pk})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (other_team, other_agent)


def test_illegal_status_move_shows_an_error_and_changes_nothing(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    events_before = ticket.events.count()
    # when the agent posts a move the state machine refuses (new -> closed)
    response = agent_desk.post(ticket_url(ticket, "status"), {"status": "closed"})
    # then the page comes back with a clear message and the ticket is untouched
    assert response.status_code == 302
    assert response["Location"] == ticket_url(ticket)
    assert ("error", "A ticket cannot move from New to Closed.") in flash(response)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.events.count() == events_before


def test_status_severity_and_category_changes(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    response = agent_desk.post(ticket_url(ticket, "status"), {"status": "on_hold"})
    assert ("success", "Status changed to On hold.") in flash(response)
    agent_desk.post(ticket_url(ticket, "severity"), {"severity": "severe"})
    agent_desk.post(ticket_url(ticket, "category"), {"category": "logistics"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.severity, ticket.category) == ("on_hold", "severe", "logistics")
    body = agent_desk.get(ticket_url(ticket)).content.decode()
    assert "status New → On hold" in body
    assert "severity Minor → Severe" in body
    assert "category Other → Logistics" in body


def test_only_allowed_moves_are_offered(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent)
    body = agent_desk.get(ticket_url(ticket)).content.decode()
    options = body.split('id="status-select"')[1].split("</select>")[0]
    assert 'value="open"' in options and 'value="closed"' in options
    assert 'value="pending"' not in options


def test_unknown_status_value_is_a_form_error(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    response = agent_desk.post(ticket_url(ticket, "status"), {"status": "exploded"})
    assert response.status_code == 302
    assert any(level == "error" for level, _text in flash(response))


def test_log_a_phone_message(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    services.ticket_reply(ticket=ticket, user=agent, body="Anything else?", status=Status.PENDING)
    response = agent_desk.post(ticket_url(ticket, "customer_message"), {"phone-body": "Called: still broken"})
    assert ("success", "Phone message logged.") in flash(response)
    message = ticket.messages.get(body="Called: still broken")
    assert (message.kind, message.channel) == (MessageKind.CUSTOMER, "phone")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # the customer wrote: pending reopens


def test_actions_need_post_and_csrf(storefront, agent, team):
    from django.test import Client

    ticket = make_ticket(storefront)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.get(ticket_url(ticket, "acknowledge")).status_code == 405
    assert strict.post(ticket_url(ticket, "acknowledge")).status_code == 403
    page = strict.get(ticket_url(ticket)).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 6


def test_customer_html_is_escaped(agent_desk, storefront, agent, team):
    # given a customer who typed HTML into their name, the subject and the message
    customer = CustomerFactory(storefront=storefront, name=XSS, email="x@example.com")
    ticket = make_ticket(storefront, subject=XSS, body=XSS, customer=customer, order_external_id=XSS)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    # then the queue and the ticket page show it as text
    for response in (agent_desk.get("/desk/", {"scope": "team"}), agent_desk.get(ticket_url(ticket))):
        body = response.content.decode()
        assert XSS not in body
        assert escaped in body


def test_ticket_page_query_count_does_not_grow_with_events(
    agent_desk, storefront, agent, team, django_assert_num_queries
):
    ticket = make_ticket(storefront)  # created, customer message, assigned: 3 events
    assert ticket.events.count() == 3
    with CaptureQueriesContext(connection) as baseline:
        assert agent_desk.get(ticket_url(ticket)).status_code == 200
    upload = SimpleUploadedFile("a.png", tiny_png(), content_type="image/png")
    services.ticket_reply(ticket=ticket, user=agent, body="with a file", attachments=[upload])
    for number in range(12):
        services.ticket_add_note(ticket=ticket, user=agent, body=f"note {number}")
        services.ticket_add_customer_message(ticket=ticket, body=f"message {number}", storefront=storefront)
    services.ticket_change_severity(ticket=ticket, severity=Severity.SEVERE, user=agent)
    assert TicketEvent.objects.filter(ticket=ticket).count() >= 30
    with django_assert_num_queries(len(baseline.captured_queries)):
        response = agent_desk.get(ticket_url(ticket))
    assert "note 11" in response.content.decode()
    assert len(baseline.captured_queries) <= 20


# Panels from other apps --------------------------------------------------------------------------------------------


def test_registered_panel_and_nav_item_are_shown(agent_desk, storefront, agent, team, monkeypatch, tmp_path, settings):
    from tickets import panels

    monkeypatch.setattr(panels, "_panels", {})
    monkeypatch.setattr(panels, "_nav_items", {})
    template_dir = tmp_path / "templates"
    (template_dir / "demo").mkdir(parents=True)
    panel_html = "<h2>Linked return</h2><p>{{ note }} for {{ ticket.reference }}</p>"
    (template_dir / "demo" / "_panel.html").write_text(panel_html)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], template_dir]}]
    panels.register_ticket_panel(
        kind="demo", build=lambda request, ticket: {"template": "demo/_panel.html", "note": XSS}, order=5
    )
    panels.register_ticket_panel(kind="nothing", build=lambda request, ticket: None)
    panels.register_nav_item(label="Preferences twin", url_name="tickets:preferences", order=1)
    panels.register_nav_item(label="Hidden", url_name="tickets:queue", visible=lambda user: False)
    panels.register_nav_item(label="Not routed", url_name="nowhere:at-all")
    ticket = make_ticket(storefront)
    body = agent_desk.get(ticket_url(ticket)).content.decode()
    assert "Linked return" in body
    assert f"&lt;script&gt;alert(1)&lt;/script&gt; for {ticket.reference}" in body
    assert "Preferences twin" in body
    assert "Hidden" not in body
    assert "Not routed" not in body


# Preferences -------------------------------------------------------------------------------------------------------


def test_preferences_are_saved(agent_desk, agent):
    page = agent_desk.get("/desk/preferences/")
    assert page.status_code == 200
    response = agent_desk.post(
        "/desk/preferences/", {"language": "en", "time_zone": "Europe/Paris", "is_available": ""}
    )
    assert response.status_code == 302
    assert ("success", "Preferences saved.") in flash(response)
    agent.profile.refresh_from_db()
    assert (agent.profile.time_zone, agent.profile.is_available) == ("Europe/Paris", False)


def test_preferences_refuse_an_unknown_time_zone(agent_desk, agent):
    response = agent_desk.post("/desk/preferences/", {"language": "en", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert any(level == "error" for level, _text in flash(response))
    agent.profile.refresh_from_db()
    assert agent.profile.time_zone != "Mars/Olympus"


def test_language_switch_ignores_foreign_redirects(agent_desk, agent):
    response = agent_desk.post("/desk/language/", {"language": "en", "next": "https://evil.example.com/"})
    assert response["Location"] == "/desk/"


def test_queue_filters_by_sla_state(agent_desk, storefront, agent, team):
    now = timezone.now()
    Ticket = type(make_ticket(storefront, subject="placeholder"))
    states = {
        "breached": (now - timedelta(minutes=5), now - timedelta(hours=1)),
        "at_risk": (now + timedelta(minutes=20), now - timedelta(minutes=5)),
        "on_track": (now + timedelta(hours=5), now + timedelta(hours=4)),
    }
    for state, (due, warn) in states.items():
        ticket = make_ticket(storefront, subject=f"SLA {state}")
        Ticket.objects.filter(pk=ticket.pk).update(next_due_at=due, next_warn_at=warn)
    for state in states:
        response = agent_desk.get("/desk/", {"scope": "team", "sla": state})
        assert f"SLA {state}" in subjects(response)
        assert {s for s in subjects(response) if s.startswith("SLA ")} == {f"SLA {state}"}


def test_timeline_describes_sla_and_other_apps_events(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    services.ticket_record_event(ticket=ticket, kind=EventKind.SLA_BREACH, data={"metric": "response", "level": 1})
    services.ticket_record_event(ticket=ticket, kind=EventKind.ESCALATION, data={"metric": "response", "level": 2})
    services.ticket_record_event(
        ticket=ticket, kind=EventKind.RETURN, data={"return": "R-000042", "from": "requested", "to": "approved"}
    )
    services.ticket_record_event(ticket=ticket, kind=EventKind.REFUND, data={"refund": "F-7", "action": "issued"})
    body = agent_desk.get(ticket_url(ticket)).content.decode()
    assert "SLA breach: Response" in body
    assert "escalation of Response to level 2" in body
    assert "Return R-000042: Requested → Approved" in body  # the return app's own labels
    assert "Refund F-7: issued" in body


def test_queue_count_is_capped_on_big_queues(agent_desk, storefront, agent, team, monkeypatch):
    from tickets import views

    # a small cap stands in for a queue of a million tickets
    monkeypatch.setattr(views, "QUEUE_COUNT_CAP", 3)
    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    for number in range(5):
        make_ticket(storefront, subject=f"Ticket {number}")
    first = agent_desk.get("/desk/", {"scope": "team"})
    body = first.content.decode()
    assert "3+ tickets" in body
    assert "Page 1<" in body and "Page 1 of" not in body
    third = agent_desk.get("/desk/", {"scope": "team", "page": 3})
    assert len(third.context["page"]["tickets"]) == 1
    assert not third.context["page"]["has_next"]


def test_phone_message_on_a_closed_ticket_opens_a_follow_up(agent_desk, storefront, agent, team):
    ticket = make_ticket(storefront)
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent)
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED, user=agent)
    url = ticket_url(ticket, "customer_message")
    # without JS: a redirect to the new ticket
    response = agent_desk.post(url, {"phone-body": "It broke again"})
    follow_up = selectors.tickets_visible_to(agent).get(previous_ticket=ticket)
    assert response["Location"] == ticket_url(follow_up)
    # with htmx: told to navigate there
    response = agent_desk.post(url, {"phone-body": "And again"}, headers={"HX-Request": "true"})
    second = selectors.tickets_visible_to(agent).filter(previous_ticket=ticket).exclude(pk=follow_up.pk).get()
    assert response["HX-Redirect"] == ticket_url(second)
