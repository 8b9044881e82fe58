"""The e-mail channel against real servers the suite starts (email.md "Tests"): Debian's dovecot as the mailbox's
IMAP server, aiosmtpd as the SMTP server replies go to. A customer's mail opens a ticket, fetching again creates
nothing, the agent's reply arrives threaded, and the customer's answer from a mail client lands on the same ticket."""

import json
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.mailservers import PrivateDovecot, SmtpReceiver
from tickets import services
from tickets.models import (
    Channel,
    Customer,
    InboundMessage,
    InboundStatus,
    Mailbox,
    MessageKind,
    OutboundEmail,
    OutboundStatus,
    Status,
    Ticket,
)
from tickets.services.mailboxes import mailbox_create

pytestmark = pytest.mark.django_db

USER, PASSWORD = "service@shop.example", "imap-secret-1"


@pytest.fixture(scope="module")
def dovecot():
    server = PrivateDovecot({USER: PASSWORD}).start()
    yield server
    server.stop()


@pytest.fixture
def smtp(settings):
    receiver = SmtpReceiver().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", receiver.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield receiver
    receiver.stop()


@pytest.fixture
def mailbox(storefront, team, dovecot) -> Mailbox:
    # a fresh mailbox row per test over the one dovecot INBOX: it starts from the messages not yet there
    with dovecot_client(dovecot) as client:
        client.delete(client.uids())
    return mailbox_create(
        storefront=storefront,
        address=USER,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_user=USER,
        imap_password=PASSWORD,
        imap_security="plain",
        display_name="Shop Service",
    )


def dovecot_client(dovecot):
    from imap_tools import MailBoxUnencrypted

    return MailBoxUnencrypted("127.0.0.1", port=dovecot.port).login(USER, PASSWORD)


def customer_mail(subject: str, body: str, *, sender: str = "Li Lei <lilei@customer.example>", **headers) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "Shop Service <service@shop.example>"
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = make_msgid(domain="customer.example")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail.as_bytes()


def fetch(mailbox: Mailbox) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("fetch_mail", "--mailbox", str(mailbox.pk), stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_a_customer_mail_opens_a_ticket_and_fetching_again_creates_nothing(dovecot, mailbox, team):
    # given a customer's mail waiting in the mailbox
    raw = customer_mail("耳机左耳没有声音", "您好，我上周买的耳机左耳没有声音，订单号 88001。")
    dovecot.deliver(USER, raw)

    # when the mailbox is fetched, and fetched again
    first = fetch(mailbox)
    second = fetch(mailbox)

    # then one e-mail ticket is open for a customer found by the address, routed to the default team, clocked
    assert first == {"fetched": 1, "created": 1, "appended": 0, "ignored": 0, "quarantined": 0}
    assert second == {"fetched": 0, "created": 0, "appended": 0, "ignored": 0, "quarantined": 0}
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.status, ticket.subject, ticket.team) == (
        Channel.EMAIL,
        Status.NEW,
        "耳机左耳没有声音",
        team,
    )
    assert ticket.next_due_at is not None
    assert (ticket.customer.email, ticket.customer.name) == ("lilei@customer.example", "Li Lei")
    assert ticket.messages.get().body == "您好，我上周买的耳机左耳没有声音，订单号 88001。"
    # and the raw message is kept exactly once, byte for byte
    inbound = InboundMessage.objects.get()
    assert (inbound.status, inbound.ticket, inbound.opened_ticket) == (InboundStatus.PROCESSED, ticket, True)
    assert bytes(inbound.raw).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")


def test_the_same_message_fetched_again_from_a_new_folder_state_is_kept_once(dovecot, mailbox):
    # given a message already fetched, and the folder's UIDVALIDITY changed (a rebuilt folder: everything re-read)
    dovecot.deliver(USER, customer_mail("Refund?", "Where is my refund?"))
    fetch(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_uidvalidity=1, imap_last_uid=0)

    # when it is fetched again
    again = fetch(mailbox)

    # then it was looked at but nothing new was written
    assert again["fetched"] == 1 and again["created"] == 0
    assert (Ticket.objects.count(), InboundMessage.objects.count()) == (1, 1)


def test_the_reply_arrives_threaded_and_the_customers_answer_lands_on_the_same_ticket(
    dovecot, mailbox, smtp, agent, django_capture_on_commit_callbacks
):
    # given a ticket opened by a customer's mail
    first = customer_mail("Broken zipper", "The zipper of my jacket broke on the first day.")
    dovecot.deliver(USER, first)
    fetch(mailbox)
    ticket = Ticket.objects.get()
    first_id = message_from_bytes(first)["Message-ID"]

    # when the agent replies on the desk
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="Sorry! Please send us a photo <b>of it</b>.")

    # then the mail reaches the SMTP server threaded to the customer's, from the mailbox, plain text and HTML
    (received,) = smtp.wait_for(1)
    reply = message_from_bytes(received.as_bytes(), policy=policy.default)
    assert reply["Subject"] == f"Re: Broken zipper [{ticket.reference}]"
    assert reply["In-Reply-To"] == first_id
    assert first_id in reply["References"]
    assert reply["From"].addresses[0].addr_spec == "service@shop.example"
    assert "Ann Agent" in reply["From"].addresses[0].display_name
    assert reply["Reply-To"].addresses[0].addr_spec == f"service+{ticket.reference}@shop.example"
    assert received["X-RcptTo"] == "lilei@customer.example"
    assert reply.get_body(("plain",)).get_content().strip() == "Sorry! Please send us a photo <b>of it</b>."
    assert "&lt;b&gt;of it&lt;/b&gt;" in reply.get_body(("html",)).get_content()
    outbound = OutboundEmail.objects.get()
    assert (outbound.status, outbound.message_id) == (OutboundStatus.SENT, reply["Message-ID"])

    # and when the customer answers from a mail client (Re:, In-Reply-To, References, the history quoted)
    answer = EmailMessage()
    answer["From"] = "Li Lei <lilei@customer.example>"
    answer["To"] = reply["Reply-To"]
    answer["Subject"] = "Re: " + reply["Subject"]
    answer["Message-ID"] = make_msgid(domain="customer.example")
    answer["In-Reply-To"] = reply["Message-ID"]
    answer["References"] = f"{first_id} {reply['Message-ID']}"
    answer.set_content(
        "Here is the photo.\n\nOn Mon, 7 Dec 2026 at 10:00, Shop Service <service@shop.example> wrote:\n"
        "> Sorry! Please send us a photo.\n"
    )
    dovecot.deliver(USER, answer.as_bytes())
    counts = fetch(mailbox)

    # then it is on the same ticket, the new text only, and the full text kept
    assert counts["appended"] == 1 and counts["created"] == 0
    latest = ticket.messages.filter(kind=MessageKind.CUSTOMER).latest("created_at")
    assert latest.body == "Here is the photo."
    assert "> Sorry! Please send us a photo." in InboundMessage.objects.get(ticket_message=latest).full_text
    assert Ticket.objects.count() == 1 and Customer.objects.count() == 1


def test_a_mailbox_that_cannot_be_reached_is_noted_without_its_password(storefront, dovecot):
    # given a mailbox whose password is wrong
    mailbox = mailbox_create(
        storefront=storefront,
        address="other@shop.example",
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_user=USER,
        imap_password="wrong-password-42",
        imap_security="plain",
    )

    # when the beat's fetch of every mailbox runs
    counts = services_fetch_all()

    # then the others would go on, and the error is on the mailbox, the password nowhere
    mailbox.refresh_from_db()
    assert counts["fetched"] == 0
    assert mailbox.last_error and "wrong-password-42" not in mailbox.last_error


def services_fetch_all() -> dict:
    from tickets.tasks import fetch_mail

    return fetch_mail()
