"""Mailboxes as email.md sets them up (`create_mailbox`, the admin, secrets never shown again) and the mail outbox's
sending rules: the acknowledgement once per ticket, retries while the mail server is away, a refusal on the ticket."""

import smtplib
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import CustomerFactory, make_ticket
from tickets import services
from tickets.models import Channel, EventKind, Mailbox, OutboundEmail, OutboundStatus, TicketEvent
from tickets.services import outbound
from tickets.services.inbound import inbound_receive
from tickets.services.mailboxes import mailbox_create

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().rstrip("\n").splitlines()


def test_create_mailbox_by_imap_prints_its_id_last_and_never_the_password(storefront, other_team):
    lines = run(
        "create_mailbox",
        storefront.name,
        "Service@Shop.example",
        "--imap-host",
        "imap.shop.example",
        "--imap-port",
        "1993",
        "--imap-user",
        "service",
        "--imap-password",
        "hunter2-imap",
        "--imap-starttls",
        "--folder",
        "Support",
        "--team",
        other_team.name,
    )

    mailbox = Mailbox.objects.get(pk=int(lines[-1]))
    assert (mailbox.address, mailbox.imap_host, mailbox.imap_port, mailbox.imap_security, mailbox.imap_folder) == (
        "service@shop.example",
        "imap.shop.example",
        1993,
        "starttls",
        "Support",
    )
    assert mailbox.default_team == other_team and mailbox.imap_password == "hunter2-imap"
    assert "hunter2-imap" not in "\n".join(lines)


def test_create_mailbox_for_a_provider_and_the_refusals(storefront):
    lines = run(
        "create_mailbox", storefront.name, "help@shop.example", "--inbound", "mailgun", "--webhook-secret", "whk-1"
    )
    assert Mailbox.objects.get(pk=int(lines[-1])).provider == "mailgun"

    with pytest.raises(CommandError, match="exists already"):
        run("create_mailbox", storefront.name, "help@shop.example", "--inbound", "mailgun", "--webhook-secret", "x")
    with pytest.raises(CommandError, match="host, user and password"):
        run("create_mailbox", storefront.name, "new@shop.example", "--imap-host", "h")
    with pytest.raises(CommandError, match="No storefront"):
        run("create_mailbox", "Nowhere", "x@shop.example", "--inbound", "mailgun", "--webhook-secret", "x")


def test_the_admin_never_shows_a_saved_password_and_an_empty_field_keeps_it(storefront, admin_client):
    # given a mailbox saved with its password and webhook secret
    mailbox = mailbox_create(
        storefront=storefront,
        address="service@shop.example",
        imap_host="imap.shop.example",
        imap_user="service",
        imap_password="hunter2-imap",
    )
    page = admin_client.get(f"/admin/tickets/mailbox/{mailbox.pk}/change/").content.decode()
    assert "hunter2-imap" not in page

    # when an admin changes the display name and leaves the password empty
    form = {
        "storefront": storefront.pk,
        "address": mailbox.address,
        "display_name": "Shop care",
        "language": "en",
        "inbound": "imap",
        "imap_host": "imap.shop.example",
        "imap_port": 993,
        "imap_security": "ssl",
        "imap_user": "service",
        "imap_password": "",
        "imap_folder": "INBOX",
        "provider": "",
        "webhook_secret": "",
        "plus_addressing": "on",
        "is_active": "on",
    }
    response = admin_client.post(f"/admin/tickets/mailbox/{mailbox.pk}/change/", form)

    # then the change is saved and the password kept
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.display_name, mailbox.imap_password) == ("Shop care", "hunter2-imap")


def test_the_admin_adds_a_mailbox_through_the_service(storefront, admin_client):
    response = admin_client.post(
        "/admin/tickets/mailbox/add/",
        {
            "storefront": storefront.pk,
            "address": "care@shop.example",
            "language": "zh-hans",
            "inbound": "imap",
            "imap_host": "imap.shop.example",
            "imap_security": "ssl",
            "imap_user": "care",
            "imap_password": "pw-added",
            "imap_folder": "INBOX",
            "plus_addressing": "on",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert (mailbox.imap_port, mailbox.display_name, mailbox.imap_password) == (993, storefront.name, "pw-added")


@pytest.fixture
def mailbox(storefront, team):
    return mailbox_create(
        storefront=storefront,
        address="service@shop.example",
        imap_host="imap.shop.example",
        imap_user="service",
        imap_password="pw",
        send_acknowledgement=True,
        display_name="Shop Service",
        language="en",
    )


NEW_MAIL = (
    b"From: Amy <amy@example.com>\r\nTo: service@shop.example\r\nSubject: Hello\r\n"
    b"Message-ID: <amy-1@example.com>\r\n\r\nWhere is my parcel?\r\n"
)


def test_a_new_e_mail_ticket_is_acknowledged_by_mail_once(mailbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inbound_receive(mailbox=mailbox, raw=NEW_MAIL)

    (sent,) = mail.outbox
    ticket = OutboundEmail.objects.get().ticket
    assert sent.to == ["amy@example.com"] and ticket.reference in sent.body
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    assert sent.extra_headers["In-Reply-To"] == "<amy-1@example.com>"
    # once per ticket, whatever calls it again
    assert outbound.email_acknowledgement_enqueue(ticket=ticket, mailbox=mailbox, now=timezone.now()) is None


def test_replies_on_other_channels_send_no_mail(storefront, agent, mailbox, django_capture_on_commit_callbacks):
    ticket = make_ticket(storefront, customer=CustomerFactory(storefront=storefront, email="web@example.com"))

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="Hello from the desk")

    assert mail.outbox == [] and OutboundEmail.objects.count() == 0


def test_a_mail_server_away_is_retried_later_and_a_refusal_shows_on_the_ticket(
    storefront, agent, mailbox, monkeypatch, django_capture_on_commit_callbacks
):
    # given an e-mail ticket and a mail server that is down
    customer = CustomerFactory(storefront=storefront, email="bob@example.com")
    ticket = make_ticket(storefront, customer=customer, channel=Channel.EMAIL)
    failures = [ConnectionRefusedError("down")]

    def send(self, fail_silently=False):
        if failures:
            raise failures.pop(0)
        return 1

    monkeypatch.setattr("django.core.mail.EmailMessage.send", send)

    # when the agent replies
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="On its way")

    # then the mail waits for a retry, and the catch-up sends it once due
    row = OutboundEmail.objects.get()
    assert (row.status, row.attempts, row.last_error) == (OutboundStatus.PENDING, 1, "ConnectionRefusedError: down")
    assert outbound.outbound_send_due() == 0  # not due yet
    assert outbound.outbound_send_due(now=timezone.now() + timedelta(minutes=2)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundStatus.SENT, 2)
    # and run again, nothing is sent twice
    assert outbound.outbound_send_due(now=timezone.now() + timedelta(hours=3)) == 0

    # and when the server refuses the address of the next reply, the ticket shows it
    failures.append(smtplib.SMTPRecipientsRefused({"bob@example.com": (550, b"no such user")}))
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="Second")
    assert OutboundEmail.objects.latest("id").status == OutboundStatus.FAILED
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.EMAIL_FAILED).count() == 1


def test_a_refused_reply_shows_on_the_timeline_with_the_address_masked(
    storefront, agent, agent_desk, mailbox, monkeypatch, django_capture_on_commit_callbacks
):
    # given an e-mail ticket whose customer's server refuses the address
    customer = CustomerFactory(storefront=storefront, email="bob.smith@example.com")
    ticket = make_ticket(storefront, customer=customer, channel=Channel.EMAIL)

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({"bob.smith@example.com": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)

    # when the agent replies and then reads the ticket, in the desk and through the desk API
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="On its way")
    page = agent_desk.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    api = agent_desk.get(f"/api/v1/desk/tickets/{ticket.reference}/").content.decode()

    # then the timeline says the mail was not delivered, naming the address masked as everywhere on the desk
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.EMAIL_FAILED).exists()
    assert "b***@example.com" in page
    assert "bob.smith@example.com" not in page
    assert "bob.smith@example.com" not in api


def test_erasing_a_customer_erases_the_mails_they_sent_and_the_address_ours_went_to(
    mailbox, agent, django_capture_on_commit_callbacks
):
    # given a customer's mail, kept raw, and our reply to it
    with django_capture_on_commit_callbacks(execute=True):
        inbound_receive(mailbox=mailbox, raw=NEW_MAIL)
    ticket = OutboundEmail.objects.get().ticket
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="Amy, it ships today.")

    # when the customer is erased
    result = services.customer_erase(customer=ticket.customer)

    # then no copy of their mail or address is left in the channel's rows
    from tickets.models import InboundMessage

    kept = InboundMessage.objects.get()
    assert (bytes(kept.raw), kept.from_address, kept.full_text) == (b"", "", "[erased]")
    assert set(OutboundEmail.objects.values_list("to_address", flat=True)) == {""}
    assert result.erased["emails"] == 3  # the mail in, the acknowledgement and the reply out


def test_a_reply_with_a_photo_goes_out_with_it_attached(storefront, agent, mailbox, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.tickets.test_views import tiny_png

    customer = CustomerFactory(storefront=storefront, email="carol@example.com")
    ticket = make_ticket(storefront, customer=customer, channel=Channel.EMAIL)
    photo = SimpleUploadedFile("label.png", tiny_png(), content_type="image/png")

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="The return label", attachments=[photo])

    (sent,) = mail.outbox
    assert [(name, content, kind) for name, content, kind in sent.attachments] == [
        ("label.png", tiny_png(), "image/png")
    ]
    assert sent.alternatives[0][1] == "text/html"


def test_fetch_mail_names_an_unknown_mailbox_and_one_fed_by_a_provider(storefront):
    provider = mailbox_create(storefront=storefront, address="p@shop.example", provider="mailgun", webhook_secret="k")

    with pytest.raises(CommandError, match="No mailbox with id 999999"):
        run("fetch_mail", "--mailbox", "999999")
    with pytest.raises(CommandError, match="mailgun's webhook"):
        run("fetch_mail", "--mailbox", str(provider.pk))
    # with no IMAP mailbox at all, a fetch of every mailbox has nothing to do
    assert run("fetch_mail")[-1] == '{"fetched": 0, "created": 0, "appended": 0, "ignored": 0, "quarantined": 0}'
