"""Real-shaped mail (tests/tickets/mail_corpus/, as Outlook, Gmail, Apple Mail, Foxmail and QQ Mail write it) and
the safety rules of email.md "Never loop, never drown": each message ends processed, ignored or quarantined as the
design says, every one is kept, none raises."""

from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory, make_ticket
from tickets import services
from tickets.models import (
    Attachment,
    Channel,
    EventKind,
    InboundMessage,
    InboundStatus,
    MessageKind,
    OutboundEmail,
    OutboundStatus,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.services import inbound
from tickets.services.inbound import inbound_receive
from tickets.services.mailboxes import mailbox_create

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent / "mail_corpus"


@pytest.fixture
def mailbox(storefront, team):
    return mailbox_create(
        storefront=storefront,
        address="service@shop.example",
        imap_host="imap.shop.example",
        imap_user="service@shop.example",
        imap_password="imap-secret-2",
    )


def our_mail(mailbox, message_id: str, *, subject: str = "Your order", email: str = "customer@example.com"):
    """An e-mail ticket with one reply of ours (Message-ID `message_id`), as if the customer had written before."""
    customer = CustomerFactory(storefront=mailbox.storefront, email=email)
    ticket = make_ticket(mailbox.storefront, subject=subject, customer=customer, channel=Channel.EMAIL)
    now = timezone.now()
    OutboundEmail.objects.create(
        ticket=ticket,
        mailbox=mailbox,
        message_id=message_id,
        to_address=email,
        subject=f"Re: {subject}",
        body="…",
        status=OutboundStatus.SENT,
        next_attempt_at=now,
        created_at=now,
    )
    return ticket


def receive(mailbox, name: str) -> str:
    return inbound_receive(mailbox=mailbox, raw=(CORPUS / name).read_bytes())


@pytest.mark.parametrize(
    ("name", "thread_start", "new_text"),
    [
        (
            "outlook_reply.eml",
            "<outlook-thread-start@shop.example>",
            "Hello,\n\nI can send the jacket back tomorrow – please tell me where.\n\nBest regards,\nFang",
        ),
        ("gmail_reply.eml", "<gmail-thread-start@shop.example>", "Thanks, the tracking number is SF1234567890."),
        ("apple_mail_reply.eml", "<apple-thread-start@shop.example>", "好的，我明天把照片发过来。"),
        (
            "foxmail_reply_gbk.eml",
            "<foxmail-thread-start@shop.example>",
            "您好：\n\n收到的茶杯有裂纹，堃喆镕三个字是我的名字里的字。请尽快处理。",
        ),
        (
            "qqmail_reply_gb18030.eml",
            "<qq-thread-start@shop.example>",
            "订单 20261207001 的退款还没有到账，麻烦再查一下𠀀。",
        ),
    ],
)
def test_mail_client_replies_land_on_their_ticket_without_the_quoted_history(mailbox, name, thread_start, new_text):
    # given our reply that the customer answers from their mail client
    ticket = our_mail(mailbox, thread_start)

    # when their answer comes in
    outcome = receive(mailbox, name)

    # then it is on the ticket, the new text only (GBK, GB18030 read right), the whole text kept beside it
    assert outcome == "appended"
    message = ticket.messages.filter(kind=MessageKind.CUSTOMER).latest("id")
    assert message.body == new_text
    kept = InboundMessage.objects.get(ticket_message=message)
    assert kept.status == InboundStatus.PROCESSED
    assert len(kept.full_text) > len(new_text)
    assert Ticket.objects.count() == 1


def test_rfc2047_subjects_open_a_ticket_under_the_decoded_subject(mailbox):
    assert receive(mailbox, "rfc2047_subject_new.eml") == "created"

    ticket = Ticket.objects.get()
    assert ticket.subject == "我的订单 — order “88002” 没有发货"
    assert (ticket.customer.email, ticket.customer.name) == ("soren@mueller.example", "Søren Müller")


def test_html_is_sanitised_and_remote_images_dropped(mailbox):
    our_mail(mailbox, "<gmail-thread-start@shop.example>")

    receive(mailbox, "gmail_reply.eml")

    html = InboundMessage.objects.get().safe_html
    assert "<b>SF1234567890</b>" in html
    assert "script" not in html and "onerror" not in html and "tracker.example" not in html


def test_an_inline_image_is_kept_as_an_attachment_and_winmail_dat_is_listed_not_stored(mailbox):
    # when a mail with an inline photo and one with a winmail.dat come in
    receive(mailbox, "inline_image.eml")
    receive(mailbox, "winmail_dat.eml")

    # then the photo is the message's attachment; the TNEF file is named on the message, not stored
    photo = Attachment.objects.get()
    assert (photo.filename, photo.content_type, photo.ticket.subject) == (
        "image001.png",
        "image/png",
        "Scratch on the screen (photo inside)",
    )
    invoice = Ticket.objects.get(subject="Invoice copy please").messages.get()
    assert "Attachments not kept: winmail.dat (application/ms-tnef" in invoice.body
    assert invoice.body.startswith("Please send me a copy of the invoice for order 88003.")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("out_of_office.eml", "auto_reply"),
        ("dsn_bounce.eml", "bounce"),
        ("loop_attempt.eml", "own_address"),
        ("list_mail.eml", "list"),
    ],
)
def test_automatic_mail_and_our_own_open_nothing_and_answer_nothing(mailbox, name, reason):
    # given a ticket the out-of-office answers (by its subject's reference and its In-Reply-To)
    ticket = our_mail(mailbox, "<ooo-thread-start@shop.example>")
    messages_before = ticket.messages.count()

    # when the automatic message comes in
    outcome = receive(mailbox, name)

    # then it is kept, ignored with its reason: no ticket, no message, no mail out
    assert outcome == "ignored"
    kept = InboundMessage.objects.get()
    assert (kept.status, kept.reason, kept.ticket) == (InboundStatus.IGNORED, reason, None)
    assert Ticket.objects.count() == 1 and ticket.messages.count() == messages_before
    assert OutboundEmail.objects.count() == 1


def test_a_bounce_of_our_reply_marks_it_failed_on_the_ticket(mailbox):
    # given our reply that the customer's server refused
    ticket = our_mail(mailbox, "<our-reply-bounced@shop.example>", email="nobody@customer.example")

    # when the delivery status notification comes in
    receive(mailbox, "dsn_bounce.eml")

    # then the reply is failed and the ticket's timeline says so
    assert OutboundEmail.objects.get().status == OutboundStatus.FAILED
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.EMAIL_FAILED)
    assert event.data == {"to": "n***@customer.example", "reason": "bounced"}


def test_spam_broken_mime_and_oversize_mail_are_quarantined_and_kept(mailbox):
    # given a 30 MB mail, made here
    big = (CORPUS / "rfc2047_subject_new.eml").read_bytes().replace(b"rfc2047-subject-1", b"thirty-megabytes")
    big += b"x" * (30 * 1024 * 1024)

    # when it and the spam-flagged and the broken one come in
    outcomes = [
        receive(mailbox, "spam_flagged.eml"),
        receive(mailbox, "broken_mime.eml"),
        inbound_receive(mailbox=mailbox, raw=big),
    ]

    # then all three are quarantined with their reasons, kept whole, and no ticket came of them
    assert outcomes == ["quarantined"] * 3
    kept = dict(InboundMessage.objects.values_list("message_id", "reason"))
    assert kept == {
        "<spam-1@lottery.example>": "spam",
        "<broken-mime-1@client.example>": "undecodable",
        "<thirty-megabytes@mueller.example>": "oversize",
    }
    assert len(bytes(InboundMessage.objects.get(reason="oversize").raw)) == len(big)
    assert Ticket.objects.count() == 0


def test_the_whole_corpus_twice_none_lost_none_raising(mailbox):
    files = sorted(CORPUS.glob("*.eml"))

    first = [receive(mailbox, path.name) for path in files]
    again = [receive(mailbox, path.name) for path in files]

    assert "duplicate" not in first
    assert set(again) == {"duplicate"}
    assert InboundMessage.objects.count() == len(files)


def test_a_message_that_fails_is_quarantined_and_the_next_one_goes_on(mailbox, monkeypatch):
    # given a fault while one message is processed
    real_create = inbound.ticket_create

    def failing_create(**kwargs):
        if kwargs["subject"] == "Invoice copy please":
            raise RuntimeError("disk full")
        return real_create(**kwargs)

    monkeypatch.setattr(inbound, "ticket_create", failing_create)

    # when it and the next come in
    outcomes = [receive(mailbox, "winmail_dat.eml"), receive(mailbox, "inline_image.eml")]

    # then the first is quarantined with the failure, nothing half-written, the second processed
    assert outcomes == ["quarantined", "created"]
    failed = InboundMessage.objects.get(status=InboundStatus.QUARANTINED)
    assert failed.reason == "failed: RuntimeError" and failed.ticket is None
    assert Ticket.objects.get().subject == "Scratch on the screen (photo inside)"


def mail_from(sender: str, number: int) -> bytes:
    return (
        f"From: {sender}\r\nTo: service@shop.example\r\nSubject: Question {number}\r\n"
        f"Message-ID: <q{number}@flood.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello {number}\r\n"
    ).encode()


def test_a_sender_opens_at_most_20_tickets_an_hour_and_the_rest_are_quarantined(mailbox):
    outcomes = [inbound_receive(mailbox=mailbox, raw=mail_from("flood@flood.example", n)) for n in range(21)]

    assert outcomes == ["created"] * 20 + ["quarantined"]
    assert InboundMessage.objects.get(status=InboundStatus.QUARANTINED).reason == "rate_limited"
    # another sender is not held up
    assert inbound_receive(mailbox=mailbox, raw=mail_from("calm@other.example", 99)) == "created"


def test_releasing_a_quarantined_message_processes_it(mailbox, admin_client):
    # given a message quarantined as spam by mistake
    receive(mailbox, "spam_flagged.eml")
    quarantined = InboundMessage.objects.get()

    # when an admin releases it
    response = admin_client.post(
        "/admin/tickets/inboundmessage/", {"action": "release", "_selected_action": [quarantined.pk]}
    )

    # then it opened its ticket
    assert response.status_code == 302
    quarantined.refresh_from_db()
    assert quarantined.status == InboundStatus.PROCESSED and quarantined.released_at is not None
    assert quarantined.ticket.subject == "You won!"


def test_threading_by_subject_reference_and_by_plus_address_and_reopen_and_follow_up(mailbox, agent):
    # given an e-mail ticket, resolved
    ticket = our_mail(mailbox, "<first@shop.example>", subject="Late parcel")
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent)

    # when the customer writes with only the reference in the subject
    by_subject = (
        f"From: customer@example.com\r\nTo: service@shop.example\r\nSubject: still late [{ticket.reference}]\r\n"
        "Message-ID: <s1@example.com>\r\n\r\nStill nothing.\r\n"
    ).encode()
    assert inbound_receive(mailbox=mailbox, raw=by_subject) == "appended"

    # then the resolved ticket reopened
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN

    # and once it is closed, a mail to its plus-address opens a follow-up linked to it
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent)
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED, user=agent)
    by_plus = (
        f"From: customer@example.com\r\nTo: service+{ticket.reference}@shop.example\r\nSubject: hello again\r\n"
        "Message-ID: <s2@example.com>\r\n\r\nAnother question.\r\n"
    ).encode()
    assert inbound_receive(mailbox=mailbox, raw=by_plus) == "created"
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert follow_up.previous_ticket == ticket and follow_up.channel == Channel.EMAIL
