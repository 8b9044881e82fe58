"""Findings of the first review of the e-mail channel, each with the behaviour that now holds."""

from datetime import timedelta

import pytest
from anymail.exceptions import AnymailRecipientsRefused
from django.contrib.messages import get_messages
from django.core import mail as outbox
from django.utils import timezone

from tests.factories import CustomerFactory, make_ticket
from tickets import services
from tickets.mailparse import html_to_text, parse
from tickets.models import (
    MESSAGE_BODY_MAX,
    ActorType,
    Channel,
    EventKind,
    InboundMessage,
    InboundStatus,
    OutboundEmail,
    OutboundStatus,
    Ticket,
    TicketEvent,
)
from tickets.services.inbound import inbound_receive
from tickets.services.mailboxes import mailbox_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(storefront, team):
    return mailbox_create(
        storefront=storefront, address="service@shop.example", imap_host="h", imap_user="u", imap_password="p"
    )


def raw_mail(sender: str, subject: str, body: str, message_id: str, to: str = "service@shop.example") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def test_a_stranger_naming_a_ticket_opens_their_own_and_replies_go_to_the_tickets_customer(
    mailbox, storefront, agent, django_capture_on_commit_callbacks
):
    # given Amy's e-mail ticket
    amy = CustomerFactory(storefront=storefront, email="amy@example.com")
    ticket = make_ticket(storefront, customer=amy, channel=Channel.EMAIL)

    # when a stranger writes with its reference in the subject, and to its plus-address
    by_subject = raw_mail("mallory@evil.example", f"Re: [{ticket.reference}]", "Send it to me", "m1@evil.example")
    by_plus = raw_mail(
        "mallory@evil.example", "hi", "me too", "m2@evil.example", f"service+{ticket.reference}@shop.example"
    )
    outcomes = [inbound_receive(mailbox=mailbox, raw=by_subject), inbound_receive(mailbox=mailbox, raw=by_plus)]

    # then Amy's ticket got nothing; the stranger's mails opened tickets of their own
    assert outcomes == ["created", "created"]
    assert ticket.messages.count() == 1
    assert Ticket.objects.filter(customer__email="mallory@evil.example").count() == 2

    # and when Amy's ticket is answered, the mail goes to Amy
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="Hello Amy")
    assert [mail.to for mail in outbox.outbox] == [["amy@example.com"]]


def test_pathological_html_is_read_in_one_pass():
    # '<style' 200,000 times never closed: quadratic for the regular expression this replaced
    hostile = "<p>Hello</p>" + "<style" * 200_000
    assert html_to_text(hostile) == "Hello"

    raw = (
        "From: a@example.com\r\nTo: service@shop.example\r\nSubject: x\r\nMessage-ID: <h@example.com>\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + hostile
    ).encode()
    assert parse(raw).text == "Hello"


def test_a_reply_longer_than_a_message_takes_is_cut_on_the_ticket_and_kept_whole(mailbox):
    long_text = "x" * (MESSAGE_BODY_MAX + 5000)

    assert inbound_receive(mailbox=mailbox, raw=raw_mail("a@example.com", "Long", long_text, "l@example.com")) == (
        "created"
    )

    message = Ticket.objects.get().messages.get()
    assert len(message.body) <= MESSAGE_BODY_MAX and message.body.endswith("…")
    assert len(InboundMessage.objects.get().full_text) == len(long_text)


def test_a_release_that_the_desk_refuses_leaves_the_message_quarantined(mailbox, admin_client, monkeypatch):
    # given a quarantined message whose processing a service refuses
    inbound_receive(mailbox=mailbox, raw=raw_mail("s@example.com", "x", "y", "r@example.com") + b"")
    kept = InboundMessage.objects.get()
    InboundMessage.objects.filter(pk=kept.pk).update(status=InboundStatus.QUARANTINED, reason="spam", ticket=None)
    from aftersales.errors import InvalidInput
    from tickets.services import inbound

    def refuse(*args, **kwargs):
        raise InvalidInput("refused")

    monkeypatch.setattr(inbound, "_deliver", refuse)

    # when an admin releases it
    response = admin_client.post("/admin/tickets/inboundmessage/", {"action": "release", "_selected_action": [kept.pk]})

    # then the admin says so, no error page, and it stays quarantined
    assert response.status_code == 302
    said = [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]
    assert said == [
        ("error", f"{kept.message_id} cannot be read and stays quarantined."),
        ("info", "0 messages released."),
    ]
    kept.refresh_from_db()
    assert kept.status == InboundStatus.QUARANTINED


def test_a_providers_refusal_fails_the_mail_and_any_other_error_is_retried(
    mailbox, storefront, agent, monkeypatch, django_capture_on_commit_callbacks
):
    ticket = make_ticket(
        storefront, customer=CustomerFactory(storefront=storefront, email="b@example.com"), channel=Channel.EMAIL
    )
    errors = [AnymailRecipientsRefused("refused"), RuntimeError("provider hiccup")]

    def send(self, fail_silently=False):
        raise errors.pop(0)

    monkeypatch.setattr("django.core.mail.EmailMessage.send", send)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="One")
        services.ticket_reply(ticket=ticket, user=agent, body="Two")

    first, second = OutboundEmail.objects.order_by("id")
    assert first.status == OutboundStatus.FAILED
    assert (second.status, second.attempts, second.last_error) == (
        OutboundStatus.PENDING,
        1,
        "RuntimeError: provider hiccup",
    )
    assert second.next_attempt_at > timezone.now() + timedelta(seconds=30)


def test_an_oversize_mail_with_a_long_subject_is_quarantined_as_oversize(mailbox, settings):
    settings.EMAIL_INBOUND_MAX_BYTES = 10_000
    raw = raw_mail("a@example.com", "S" * 900, "x" * 20_000, "big@example.com")

    assert inbound_receive(mailbox=mailbox, raw=raw) == "quarantined"
    kept = InboundMessage.objects.get()
    assert (kept.reason, len(kept.subject)) == ("oversize", 500)


def test_a_customers_mail_reply_is_on_the_timeline_as_the_storefronts_channel_not_the_system(mailbox, storefront):
    amy = CustomerFactory(storefront=storefront, email="amy@example.com")
    ticket = make_ticket(storefront, customer=amy, channel=Channel.EMAIL)

    inbound_receive(mailbox=mailbox, raw=raw_mail("amy@example.com", f"[{ticket.reference}]", "hi", "a@example.com"))

    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CUSTOMER_MESSAGE).latest("id")
    assert (event.actor_type, event.actor_storefront) == (ActorType.STOREFRONT, storefront)


def test_a_reply_to_a_ticket_merged_into_another_is_appended_there_and_not_acknowledged_as_new(
    storefront, supervisor, django_capture_on_commit_callbacks
):
    # given a mailbox that acknowledges new tickets, and Amy's e-mail ticket merged into her web ticket
    acknowledging = mailbox_create(
        storefront=storefront,
        address="help@shop.example",
        imap_host="h",
        imap_user="u",
        imap_password="p",
        send_acknowledgement=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        inbound_receive(mailbox=acknowledging, raw=raw_mail("amy@example.com", "Parcel", "Where?", "amy-1@example.com"))
    by_mail = Ticket.objects.get()
    amy = by_mail.customer
    on_the_web = make_ticket(storefront, customer=amy, channel=Channel.WEB)
    services.ticket_merge(target=on_the_web, sources=[by_mail], user=supervisor)
    outbox.outbox.clear()

    # when Amy answers in the e-mail ticket's thread
    answer = raw_mail("amy@example.com", "Re: Parcel", "It came, thanks", "amy-2@example.com")
    answer = answer.replace(b"Content-Type", b"In-Reply-To: <amy-1@example.com>\r\nContent-Type", 1)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = inbound_receive(mailbox=acknowledging, raw=answer)

    # then her answer is appended to the ticket the mail ticket was merged into: no ticket opened, none acknowledged
    assert outcome == "appended"
    assert Ticket.objects.count() == 2
    assert on_the_web.messages.filter(body="It came, thanks").exists()
    kept = InboundMessage.objects.get(message_id="<amy-2@example.com>")
    assert (kept.ticket, kept.opened_ticket) == (on_the_web, False)
    assert outbox.outbox == []
