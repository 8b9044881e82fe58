"""Personal data: contact details masked on the desk and revealed on purpose (logged), a customer's erasure through
the API and the command, and the retention of attachments."""

import io
import json
import logging
import os
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db.models import TextField
from django.db.models.functions import Cast
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from alerts.kpis import KpiScope, kpi_values
from alerts.reports import report_data
from complaints.selectors import complaint_report
from tests.factories import CustomerFactory, make_ticket
from tests.tickets.test_views import tiny_png
from tests.world import build_world, desk_paths, text_of
from tickets import services
from tickets.masking import customer_label, mask_email, mask_phone
from tickets.models import (
    Attachment,
    Customer,
    EventKind,
    IdempotencyRecord,
    Message,
    Status,
    TicketEvent,
    WebhookDelivery,
)
from tickets.services.privacy import ERASED, ERASURE_KINDS, attachments_purge_expired, customer_erase
from tickets.tasks import purge_expired_attachments

pytestmark = pytest.mark.django_db

NAME = "Zhao Xiaoming"
EMAIL = "zhao.xiaoming@example.com"
PHONE = "+8613800000003"
# Words only this customer wrote, in every free text of theirs: found nowhere once they are erased.
SAID = "plum-orchard-42"
TRACKING = "SF1234567890"
CUSTOMER = {"external_id": "C-9", "name": NAME, "email": EMAIL, "phone": PHONE}
TRACES = (NAME, EMAIL, PHONE, "13800000003", SAID, TRACKING)


def traces_in(text: str) -> list[str]:
    return [trace for trace in TRACES if trace.lower() in text.lower() or escape(trace).lower() in text.lower()]


def desk_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Masking ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "masked"),
    [("li.lei@example.com", "l***@example.com"), ("a@b.cn", "a***@b.cn"), ("not-an-address", "n***"), ("", "")],
)
def test_mask_email(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13800000003", "138****0003"), ("+8613800000003", "+86****0003"), ("62123456", "****56"), ("110", "****")],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_a_list_names_the_customer_and_masks_the_rest():
    assert customer_label(Customer(name="Li Lei", email=EMAIL)) == "Li Lei"
    assert customer_label(Customer(email=EMAIL, phone=PHONE)) == "z***@example.com"
    assert customer_label(Customer(phone=PHONE)) == "+86****0003"
    assert customer_label(Customer(external_id="C-1")) == "C-1"
    assert customer_label(None) == ""


@pytest.fixture
def customer(storefront):
    return CustomerFactory(storefront=storefront, external_id="C-9", name=NAME, email=EMAIL, phone=PHONE)


@pytest.fixture
def ticket(storefront, customer, agent):
    return make_ticket(storefront, subject="Kettle leaks", customer=customer)


def test_every_desk_page_and_desk_answer_masks_email_and_phone(ticket, agent, supervisor, agent_api):
    # when an agent and a supervisor open the pages that show the customer
    for user in (agent, supervisor):
        client = desk_client(user)
        for path in ("/desk/?scope=team", f"/desk/tickets/{ticket.reference}/"):
            page = text_of(client.get(path))
            # then the name is there, the e-mail and the phone only masked
            assert NAME in page
            assert EMAIL not in page and PHONE not in page
        ticket_page = text_of(client.get(f"/desk/tickets/{ticket.reference}/"))
        assert "z***@example.com" in ticket_page and "+86****0003" in ticket_page
    # and so does the desk API, in the list and in the ticket
    listed = agent_api.get("/api/v1/desk/tickets/?scope=team").json()["results"][0]["customer"]
    detail = agent_api.get(f"/api/v1/desk/tickets/{ticket.reference}/").json()["customer"]
    for shown in (listed, detail):
        assert shown["name"] == NAME
        assert (shown["email"], shown["phone"]) == ("z***@example.com", "+86****0003")


def test_the_storefront_reads_its_own_customer_unmasked(ticket, storefront_client):
    body = storefront_client.get(f"/api/v1/tickets/{ticket.public_id}/").json()
    assert body["customer"] == {"external_id": "C-9", "name": NAME, "email": EMAIL, "phone": PHONE}


@pytest.mark.parametrize("typed", [EMAIL, EMAIL.upper(), PHONE])
def test_agents_still_find_a_customer_by_the_full_address_or_number(ticket, agent, agent_api, typed):
    # when an agent types the whole address or number in the queue's search
    results = desk_client(agent).get(
        "/desk/", {"scope": "team", "q": typed}, headers={"HX-Request": "true", "HX-Target": "queue-results"}
    )
    page = text_of(results)
    found = agent_api.get("/api/v1/desk/tickets/", {"scope": "team", "q": typed}).json()["results"]
    # then the ticket is found (and still shown masked in the results)
    assert ticket.reference in page and NAME in page and typed not in page
    assert [row["reference"] for row in found] == [ticket.reference]


def test_a_supervisor_reveals_on_the_ticket_page_and_the_timeline_says_who(ticket, supervisor):
    client = desk_client(supervisor)
    assert "Reveal contact details" in text_of(client.get(f"/desk/tickets/{ticket.reference}/"))
    # when the supervisor reveals the contact details
    response = client.post(f"/desk/tickets/{ticket.reference}/reveal/")
    # then this answer shows them in full, and the ticket's timeline records who and when
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = text_of(response)
    assert EMAIL in page and PHONE in page
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CONTACT_REVEALED)
    assert event.actor_user == supervisor and event.data == {"fields": ["email", "phone"]}
    assert "Contact details revealed" in page
    # and the next visit shows them masked again
    assert EMAIL not in text_of(client.get(f"/desk/tickets/{ticket.reference}/"))


def test_an_agent_may_not_reveal(ticket, agent, agent_api):
    client = desk_client(agent)
    # the page offers no reveal to an agent
    assert "Reveal contact details" not in text_of(client.get(f"/desk/tickets/{ticket.reference}/"))
    # and asking anyway is refused on the page and in the API, leaving no event
    refused = client.post(f"/desk/tickets/{ticket.reference}/reveal/", follow=True)
    assert EMAIL not in text_of(refused)
    assert "Your role may not reveal customers&#x27; contact details." in text_of(refused)
    answer = agent_api.post(f"/api/v1/desk/tickets/{ticket.reference}/reveal/", {}, format="json")
    assert answer.status_code == 403 and answer.json()["type"] == "permission_denied"
    assert not TicketEvent.objects.filter(kind=EventKind.CONTACT_REVEALED).exists()


def test_reveal_through_the_desk_api(ticket, supervisor, supervisor_api, storefront):
    response = supervisor_api.post(f"/api/v1/desk/tickets/{ticket.reference}/reveal/", {}, format="json")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json() == {"external_id": "C-9", "name": NAME, "email": EMAIL, "phone": PHONE}
    timeline = supervisor_api.get(f"/api/v1/desk/tickets/{ticket.reference}/").json()["timeline"]
    assert [(e["kind"], e["actor_name"]) for e in timeline if e["kind"] == "contact_revealed"] == [
        ("contact_revealed", "supervisor")
    ]
    # a ticket without a customer has nothing to reveal
    bare = services.ticket_create(storefront=storefront, subject="No one", body="Hello")
    missing = supervisor_api.post(f"/api/v1/desk/tickets/{bare.reference}/reveal/", {}, format="json")
    assert missing.status_code == 404 and missing.json()["detail"] == "This ticket has no customer."


def test_finance_sees_who_a_refund_is_for_without_the_contact_details(finance_user, agent, storefront):
    from returns.models import Refund, ReturnPolicy
    from tests.returns.conftest import make_return

    # a return of Li Lei's, refunded at approval (advance refund), whose contact details the storefront sent too
    ReturnPolicy.objects.create(storefront=storefront, advance_refund=True)
    return_request = make_return(storefront, now=timezone.now(), delivered=timezone.now() - timedelta(days=2))
    services.customer_upsert(storefront=storefront, external_id="C-9", email=EMAIL, phone=PHONE)
    refund = Refund.objects.get(return_request=return_request)
    page = text_of(desk_client(finance_user).get("/desk/refunds/"))
    assert refund.reference in page and "Li Lei" in page and "SO-10001" in page
    assert EMAIL not in page and PHONE not in page


def test_complaint_report_masks_the_email_of_repeat_customers(customer, supervisor, storefront):
    from complaints.services import complaint_create

    for _ in range(2):
        complaint_create(storefront=storefront, category="service", body="Rude", customer=customer)
    client = desk_client(supervisor)
    page = text_of(client.get("/reports/complaints/"))
    csv = text_of(client.get("/reports/complaints/?download=customers"))
    for text in (page, csv):
        assert NAME in text and "z***@example.com" in text and EMAIL not in text


# --- Erasure ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def full_world(storefront, webhook_receiver, storefront_client, supervisor_api, agent_api, team, agent, supervisor):
    # The storefront listens to webhooks: their payloads are stored in the outbox.
    storefront.webhook_url = webhook_receiver.url
    storefront.save()
    world = build_world(
        storefront_client=storefront_client,
        supervisor_api=supervisor_api,
        agent_api=agent_api,
        team=team,
        customer=CUSTOMER,
        said=SAID,
    )
    # Staff write about them, and the storefront tells us the parcel's tracking number and the customer's answer.
    agent_api.post(
        f"/api/v1/desk/tickets/{world.inquiry.reference}/reply/",
        {"body": f"Dear {NAME}, a new kettle is on its way."},
        format="json",
    )
    agent_api.post(
        f"/api/v1/desk/tickets/{world.inquiry.reference}/notes/",
        {"body": f"Called {NAME} on 13800000003, wrote to {EMAIL}."},
        format="json",
    )
    agent_api.post(
        f"/api/v1/desk/complaints/{world.complaint.reference}/propose/",
        {"findings": f"{NAME} was put on hold twice.", "proposed_solution": "A voucher.", "notify_customer": True},
        format="json",
    )
    storefront_client.post(
        f"/api/v1/complaints/{world.complaint.public_id}/response/",
        {"response": "accepted", "note": f"Fine by me. {SAID}"},
        format="json",
    )
    storefront_client.post(
        f"/api/v1/returns/{world.return_request.public_id}/shipment/",
        {"carrier": "SF Express", "tracking_number": TRACKING},
        format="json",
    )
    # An inquiry sent with an Idempotency-Key: its stored answer names the customer.
    replayed = storefront_client.post(
        "/api/v1/tickets/",
        {"subject": f"Gift wrap {SAID}", "body": f"Please wrap it. {SAID}", "customer": CUSTOMER},
        format="json",
        HTTP_IDEMPOTENCY_KEY="gift-wrap-1",
    )
    assert replayed.status_code == 201 and EMAIL in replayed.content.decode()
    return world


def figures(now) -> dict:
    """What the KPIs and the reports say about the days around `now`."""
    scope = KpiScope(now - timedelta(days=3), now + timedelta(days=3))
    today = timezone.localdate()
    report = complaint_report(since=today - timedelta(days=3), until=today + timedelta(days=1))
    return {
        "kpis": kpi_values(scope),
        "reports": report_data(scope),
        "complaints": (report.by_category, report.by_department, report.by_root_cause, len(report.repeat_customers)),
    }


def test_erasure_through_the_api_leaves_no_trace_and_keeps_the_figures(
    full_world, storefront_client, supervisor, agent, supervisor_api, agent_api, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    world = full_world
    files = [attachment.file.path for attachment in Attachment.objects.filter(ticket__in=world.tickets)]
    assert files and all(os.path.getsize(path) for path in files)
    at = timezone.now()
    before = figures(at)
    # given the customer's data is everywhere: pages, API answers, stored webhooks and answers
    assert NAME in json.dumps(list(WebhookDelivery.objects.values_list("payload", flat=True)))
    assert EMAIL in json.dumps(list(Message.objects.values_list("body", flat=True)))
    assert IdempotencyRecord.objects.annotate(text=Cast("body", TextField())).filter(text__contains=EMAIL).exists()

    # when the storefront asks for the customer's erasure
    response = storefront_client.post("/api/v1/customers/C-9/erase/", {}, format="json")

    # then the answer says what was erased, kind by kind
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["external_id"] == "C-9" and answer["already_erased"] is False and answer["erased_at"]
    erased = answer["erased"]
    assert list(erased) == list(ERASURE_KINDS)
    assert erased["customer"] == 1
    assert erased["attachments"] == len(files) and erased["survey_comments"] == 1
    assert erased["return_requests"] == 1 and erased["complaints"] == 1
    assert erased["ticket_subjects"] == 6  # every inquiry and the complaint; the return's subject is ours
    assert erased["customer_messages"] >= 7 and erased["staff_messages"] >= 2
    assert erased["webhook_payloads"] >= 1 and erased["stored_answers"] >= 1
    # and the files are gone from the disk
    assert not any(os.path.exists(path) for path in files)

    # and no page of the desk, the reports or the admin, no CSV, holds the name, e-mail, phone or their words
    leaks = []
    paths = [
        *desk_paths(world),
        *(f"/reports/complaints/?download={table}" for table in ("category", "department", "root_cause", "customers")),
    ]
    pages_read = 0
    for user in (supervisor, agent):
        client = desk_client(user)
        for path in paths:
            got = client.get(path)
            assert got.wsgi_request.user == user  # still signed in: the crawl read what this user sees
            pages_read += got.status_code == 200
            if got.status_code == 200 and traces_in(text_of(got)):
                leaks.append((user.username, path, traces_in(text_of(got))))
    assert pages_read > 100
    # nor any API answer, the storefront's (not masked: its own data) and the desk's, a replay of a stored one included
    replay = storefront_client.post(
        "/api/v1/tickets/",
        {"subject": f"Gift wrap {SAID}", "body": f"Please wrap it. {SAID}", "customer": CUSTOMER},
        format="json",
        HTTP_IDEMPOTENCY_KEY="gift-wrap-1",
    )
    assert replay["Idempotent-Replayed"] == "true"
    answers = [
        replay,
        *(storefront_client.get(f"/api/v1/tickets/{ticket.public_id}/") for ticket in world.tickets),
        storefront_client.get(f"/api/v1/returns/{world.return_request.public_id}/"),
        storefront_client.get("/api/v1/returns/"),
        storefront_client.get(f"/api/v1/complaints/{world.complaint.public_id}/"),
        storefront_client.get(f"/api/v1/refunds/{world.refund.public_id}/"),
        supervisor_api.get("/api/v1/desk/tickets/?scope=all&status=new&status=open&status=resolved&status=pending"),
        supervisor_api.get("/api/v1/desk/returns/"),
        supervisor_api.get("/api/v1/desk/complaints/"),
        supervisor_api.get("/api/v1/desk/refunds/"),
        *(supervisor_api.get(f"/api/v1/desk/tickets/{ticket.reference}/") for ticket in world.tickets),
    ]
    for got in answers:
        assert got.status_code in (200, 201), (got.request, got.status_code)
        if traces_in(text_of(got)):
            leaks.append(("api", got.request["PATH_INFO"], traces_in(text_of(got))))
    # nor anything still stored (webhook payloads, stored answers, events, every row of the four apps)
    dump = io.StringIO()
    call_command("dumpdata", "tickets", "returns", "complaints", "alerts", stdout=dump)
    leaks += [("database", trace) for trace in traces_in(dump.getvalue())]
    # nor any log line of the whole run
    leaks += [("log", record.getMessage()) for record in caplog.records if traces_in(record.getMessage())]
    assert leaks == []

    # and every figure reads the same as before
    assert figures(at) == before

    # when the storefront asks again, nothing more is erased, and the answer says so
    again = storefront_client.post("/api/v1/customers/C-9/erase/", {}, format="json").json()
    assert again["already_erased"] is True and set(again["erased"].values()) == {0}
    assert again["erased_at"] == answer["erased_at"]
    # and each ticket's timeline says, once, that the customer's data was erased and by whom
    events = TicketEvent.objects.filter(kind=EventKind.DATA_ERASED)
    assert events.count() == len(world.tickets) + 1  # the gift-wrap inquiry too
    assert {event.actor_storefront_id for event in events} == {world.inquiry.storefront_id}


def test_erasure_keeps_other_customers_whole(full_world, storefront, storefront_client):
    other = CustomerFactory(storefront=storefront, external_id="Q-1", name="Qian Li", email="qian.li@example.com")
    kept = make_ticket(storefront, subject="Qian's parcel", body="Where is it, Qian Li asks", customer=other)
    storefront_client.post("/api/v1/customers/C-9/erase/", {}, format="json")
    other.refresh_from_db()
    assert (other.name, other.email, other.erased_at) == ("Qian Li", "qian.li@example.com", None)
    kept.refresh_from_db()
    assert kept.subject == "Qian's parcel"
    assert kept.messages.get().body == "Where is it, Qian Li asks"


def test_another_storefronts_customer_or_an_unknown_one_is_404(customer, other_storefront_client, storefront_client):
    for client, external_id in ((other_storefront_client, "C-9"), (storefront_client, "C-404")):
        response = client.post(f"/api/v1/customers/{external_id}/erase/", {}, format="json")
        assert response.status_code == 404 and response.json()["type"] == "not_found"
    customer.refresh_from_db()
    assert customer.email == EMAIL and customer.erased_at is None


def test_staff_may_not_call_the_storefront_erasure(customer, supervisor_api):
    response = supervisor_api.post("/api/v1/customers/C-9/erase/", {}, format="json")
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.erased_at is None


def test_erased_page_says_so(ticket, customer, supervisor):
    customer_erase(customer=customer)
    page = text_of(desk_client(supervisor).get(f"/desk/tickets/{ticket.reference}/"))
    assert "Personal data erased on request" in page and "Reveal contact details" not in page
    assert ERASED in page and "Personal data erased" in page


def test_erase_customer_command_by_storefront_and_id(ticket, customer, storefront):
    out = io.StringIO()
    call_command("erase_customer", storefront.name, "C-9", stdout=out)
    lines = out.getvalue().strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["customers"] == 1 and summary["already_erased"] == 0
    assert summary["erased"]["customer"] == 1 and summary["erased"]["customer_messages"] == 1
    assert list(summary["erased"]) == list(ERASURE_KINDS)
    assert not traces_in(out.getvalue())
    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.phone) == (ERASED, "", "")
    # a second run finds nothing left and says so
    out = io.StringIO()
    call_command("erase_customer", storefront.name, "C-9", stdout=out)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["already_erased"] == 1 and set(summary["erased"].values()) == {0}


def test_erase_customer_command_by_email_in_every_storefront(customer, storefront, other_storefront):
    twin = CustomerFactory(storefront=other_storefront, email=EMAIL.upper(), name="Z. X.")
    make_ticket(other_storefront, customer=twin)
    out = io.StringIO()
    call_command("erase_customer", "--email", EMAIL, stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["customers"] == 2
    assert not Customer.objects.filter(email__iexact=EMAIL).exists()
    # by e-mail again: nobody has that address any more
    out = io.StringIO()
    call_command("erase_customer", "--email", EMAIL, stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["customers"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Nowhere", "C-9"], "No storefront named 'Nowhere'"),
        (["Acme Shop", "C-404"], "'Acme Shop' has no customer with the id 'C-404'."),
        ([], "Give STOREFRONT EXTERNAL_ID, or --email ADDRESS."),
        (["Acme Shop", "C-9", "--email", EMAIL], "Give either STOREFRONT EXTERNAL_ID or --email, not both."),
    ],
)
def test_erase_customer_command_refuses_bad_arguments(customer, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(".", r"\.")):
        call_command("erase_customer", *args, stdout=io.StringIO())
    customer.refresh_from_db()
    assert customer.erased_at is None


# --- Retention --------------------------------------------------------------------------------------------------------


def _closed_with_attachment(storefront, agent, *, closed_days_ago: int, subject: str):
    then = timezone.now() - timedelta(days=closed_days_ago + 8)
    ticket = make_ticket(storefront, subject=subject, now=then)
    photo = SimpleUploadedFile("photo.png", tiny_png(), content_type="image/png")
    services.ticket_reply(ticket=ticket, user=agent, body="See the photo.", attachments=[photo], now=then)
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent, now=then)
    services.tickets_auto_close(now=then + timedelta(days=8))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    return ticket


def test_retention_deletes_old_attachments_once(storefront, agent, settings):
    settings.ATTACHMENT_RETENTION_DAYS = 365
    old = _closed_with_attachment(storefront, agent, closed_days_ago=400, subject="Old")
    recent = _closed_with_attachment(storefront, agent, closed_days_ago=30, subject="Recent")
    still_open = make_ticket(storefront, subject="Open", now=timezone.now() - timedelta(days=500))
    services.ticket_add_note(
        ticket=still_open,
        user=agent,
        body="Photo",
        attachments=[SimpleUploadedFile("p.png", tiny_png(), content_type="image/png")],
    )
    old_file = old.attachments.get().file.path

    # when beat runs the retention task
    purge_expired_attachments.delay()

    # then the old closed ticket's attachment is gone, file and row, and its timeline says so
    assert not old.attachments.exists()
    assert not os.path.exists(old_file)
    event = TicketEvent.objects.get(ticket=old, kind=EventKind.ATTACHMENTS_DELETED)
    assert event.data == {"count": 1, "retention_days": 365} and event.actor_type == "system"
    assert recent.attachments.count() == 1 and still_open.attachments.count() == 1
    # when it runs again, nothing changes
    rows = TicketEvent.objects.count()
    assert attachments_purge_expired() == 0
    assert TicketEvent.objects.count() == rows and Attachment.objects.count() == 2


def test_retention_works_in_batches(storefront, agent, settings):
    settings.ATTACHMENT_RETENTION_DAYS = 10
    tickets = [_closed_with_attachment(storefront, agent, closed_days_ago=20, subject=f"T{n}") for n in range(3)]
    assert attachments_purge_expired(batch_size=2) == 3
    assert TicketEvent.objects.filter(kind=EventKind.ATTACHMENTS_DELETED).count() == 3
    assert not Attachment.objects.filter(ticket__in=tickets).exists()


def test_the_timeline_says_attachments_were_deleted(storefront, agent, supervisor, settings):
    settings.ATTACHMENT_RETENTION_DAYS = 10
    ticket = _closed_with_attachment(storefront, agent, closed_days_ago=20, subject="Old")
    attachments_purge_expired()
    page = text_of(desk_client(supervisor).get(f"/desk/tickets/{ticket.reference}/"))
    assert "1 attachment deleted, 10 days after the ticket closed" in page


def test_the_reveal_speaks_chinese_too(ticket, supervisor):
    services.staff_set_preferences(user=supervisor, language="zh-hans")
    client = desk_client(supervisor)
    assert "查看完整联系方式" in text_of(client.get(f"/desk/tickets/{ticket.reference}/"))
    assert "处理记录已记下本次查看" in text_of(client.post(f"/desk/tickets/{ticket.reference}/reveal/"))


def test_the_admin_masks_contacts_and_finds_by_the_full_address(customer, supervisor):
    client = desk_client(supervisor)
    listed = text_of(client.get("/admin/tickets/customer/", {"q": EMAIL}))
    change = text_of(client.get(f"/admin/tickets/customer/{customer.pk}/change/"))
    for page in (listed, change):
        assert NAME in page and "z***@example.com" in page and "+86****0003" in page
        assert PHONE not in page
    # the list found them by the whole address, which only echoes in the search box
    assert re.search(r"paginator\">\s*1 customer", listed)
    assert EMAIL not in change
