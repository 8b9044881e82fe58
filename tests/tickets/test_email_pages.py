"""The providers' inbound webhooks (through Anymail: Mailgun's signature checked with the mailbox's key, Postmark's and
SendGrid's basic auth with its secret) and the development outbox staff read in the browser when no mail server is
configured."""

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from aftersales.mail import FILE_BACKEND
from tests.factories import make_staff
from tickets.models import Channel, InboundMessage, Ticket
from tickets.services.mailboxes import mailbox_create

pytestmark = pytest.mark.django_db

KEY = "mailgun-signing-key-1"
RAW = (
    "From: Zhou Jie <zhoujie@customer.example>\r\nTo: help@shop.example\r\nSubject: 发票\r\n"
    "Message-ID: <mg-1@customer.example>\r\nX-Mailgun-Sflag: No\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n请开一张发票。\r\n"
)


@pytest.fixture
def provider_mailbox(storefront, team):
    return mailbox_create(storefront=storefront, address="help@shop.example", provider="mailgun", webhook_secret=KEY)


def mailgun_post(raw: str, *, key: str = KEY, spam: bool = False) -> dict:
    timestamp, token = str(int(time.time())), "a" * 50
    if spam:
        raw = raw.replace("X-Mailgun-Sflag: No", "X-Mailgun-Sflag: Yes")
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "body-mime": raw,
        "recipient": "help@shop.example",
        "sender": "zhoujie@customer.example",
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }


def test_a_signed_mailgun_post_opens_a_ticket_once(provider_mailbox):
    client = Client()

    first = client.post("/inbound/mailgun/", mailgun_post(RAW))
    again = client.post("/inbound/mailgun/", mailgun_post(RAW))

    assert (first.status_code, again.status_code) == (200, 200)
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.channel, ticket.messages.get().body) == ("发票", Channel.EMAIL, "请开一张发票。")
    assert InboundMessage.objects.get().mailbox == provider_mailbox


def test_a_wrong_signature_is_refused_and_nothing_is_kept(provider_mailbox):
    response = Client().post("/inbound/mailgun/", mailgun_post(RAW, key="someone-elses-key"))

    assert response.status_code == 403
    assert response.json()["type"] == "forbidden"
    assert InboundMessage.objects.count() == 0


def test_mail_the_provider_flags_as_spam_is_quarantined(provider_mailbox):
    Client().post("/inbound/mailgun/", mailgun_post(RAW, spam=True))

    assert InboundMessage.objects.get().reason == "spam"
    assert Ticket.objects.count() == 0


def test_an_unknown_provider_or_one_without_a_mailbox_is_404(provider_mailbox):
    assert Client().post("/inbound/postmark/", {}).status_code == 404
    assert Client().post("/inbound/nonsense/", {}).status_code == 404


def test_the_development_outbox_shows_sent_mail_to_staff_only(settings, tmp_path, client, team):
    # given the development outbox (DEBUG, no mail server) and a reply that went into it
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    mail = EmailMultiAlternatives(
        "Re: Broken zipper [T-000042]", "Sorry! <script>x</script>", "service@shop.example", ["lilei@example.com"]
    )
    mail.send()

    # when an agent opens the outbox and the message
    agent = make_staff("outbox-agent", "agent", teams=(team,))
    client.force_login(agent)
    listing = client.get("/desk/outbox/")
    (name,) = [path.name for path in (tmp_path / "mail").iterdir()]
    detail = client.get(f"/desk/outbox/{name}/0/")

    # then the mail is there, its text escaped
    assert listing.status_code == 200 and "Re: Broken zipper [T-000042]" in listing.content.decode()
    assert detail.status_code == 200
    assert "Sorry! &lt;script&gt;x&lt;/script&gt;" in detail.content.decode()
    # and nothing outside the outbox, nor for anyone but staff
    assert client.get("/desk/outbox/..%2F..%2Fsettings.py/0/").status_code == 404
    client.logout()
    assert client.get("/desk/outbox/").status_code == 302


def test_with_a_real_mail_server_there_is_no_outbox_page(settings, client, team):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    client.force_login(make_staff("outbox-agent-2", "agent", teams=(team,)))

    assert client.get("/desk/outbox/").status_code == 404


def li_leis_mail(storefront, message_id: str, content: bytes) -> tuple[Ticket, InboundMessage]:
    """The ticket and the kept mail after Li Lei's mail about a broken cup came in (`content`: its Content-Type
    header onwards)."""
    from tickets.services.inbound import inbound_receive

    mailbox = mailbox_create(storefront=storefront, address="care@shop.example", provider="mailgun", webhook_secret="k")
    raw = (
        b"From: Li Lei <lilei@customer.example>\r\nTo: care@shop.example\r\nSubject: Broken cup\r\n"
        b"Message-ID: <" + message_id.encode() + b">\r\nMIME-Version: 1.0\r\n" + content
    )
    inbound_receive(mailbox=mailbox, raw=raw)
    return Ticket.objects.get(), InboundMessage.objects.get()


def test_the_ticket_page_lists_its_mails_and_the_full_text_is_a_click_away(storefront, agent_desk):
    # given an e-mail ticket opened by a mail with quoted history and HTML
    ticket, kept = li_leis_mail(
        storefront,
        "cup-1@customer.example",
        b'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe cup is broken.\r\n\r\n"
        b"On Mon, Shop wrote:\r\n> What happened?\r\n"
        b"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>The cup is <b>broken</b>.</p><script>alert(1)</script>\r\n--b1--\r\n",
    )

    # when the agent opens the ticket, then the mail's full text
    page = agent_desk.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    full = agent_desk.get(f"/desk/tickets/{ticket.reference}/mail/{kept.pk}/").content.decode()

    # then the panel links to it, and it holds the quote and the HTML without its script
    assert f"/desk/tickets/{ticket.reference}/mail/{kept.pk}/" in page
    assert ticket.messages.get().body == "The cup is broken."
    assert "&gt; What happened?" in full
    assert "<b>broken</b>" in full and "alert(1)" not in full


def test_a_signed_post_that_is_no_message_is_400(provider_mailbox):
    # given Mailgun's tracking webhook sent, signed, to the inbound URL
    body = mailgun_post(RAW)
    del body["body-mime"]
    body["event"] = "delivered"

    response = Client().post("/inbound/mailgun/", body)

    assert response.status_code == 400 and response.json()["type"] == "invalid"
    assert InboundMessage.objects.count() == 0


def test_a_mailbox_change_is_audited_with_its_secrets_masked(storefront, admin_client):
    from auditlog.models import LogEntry

    mailbox = mailbox_create(storefront=storefront, address="a@shop.example", provider="mailgun", webhook_secret="s1")
    mailbox.webhook_secret = "s2-new-secret"
    mailbox.save()

    changes = " ".join(str(entry.changes) for entry in LogEntry.objects.get_for_object(mailbox))
    assert "s2-new-secret" not in changes and "'s1'" not in changes and '"s1"' not in changes
    assert "webhook_secret" in changes and "********" in changes


# Providers proven by HTTP basic auth: the mailbox's secret is "user:password", set in the provider's webhook URL.

BASIC_SECRET = "inbound:s3cret-words"


def basic_auth(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def postmark_post(client: Client, raw: str, secret: str) -> Any:
    # Postmark's inbound JSON with the whole message ("Include raw email content" on).
    body = {"FromFull": {"Email": "zhoujie@customer.example", "Name": "Zhou Jie"}, "Subject": "发票", "RawEmail": raw}
    return client.post("/inbound/postmark/", json.dumps(body), content_type="application/json", **basic_auth(secret))


def sendgrid_post(client: Client, raw: str, secret: str) -> Any:
    # SendGrid's Inbound Parse with "Send Raw": the whole message in the form field `email`.
    envelope = json.dumps({"from": "zhoujie@customer.example", "to": ["help@shop.example"]})
    return client.post("/inbound/sendgrid/", {"email": raw, "envelope": envelope}, **basic_auth(secret))


@pytest.mark.parametrize("provider, post", [("postmark", postmark_post), ("sendgrid", sendgrid_post)])
def test_a_basic_auth_provider_post_opens_a_ticket_once_and_a_wrong_password_keeps_nothing(
    storefront, team, provider, post
):
    mailbox_create(storefront=storefront, address="help@shop.example", provider=provider, webhook_secret=BASIC_SECRET)
    client = Client()

    refused = post(client, RAW, "inbound:wrong-password")
    assert refused.status_code == 403 and InboundMessage.objects.count() == 0

    first, again = post(client, RAW, BASIC_SECRET), post(client, RAW, BASIC_SECRET)

    assert (first.status_code, again.status_code) == (200, 200)
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.channel, ticket.messages.get().body) == ("发票", Channel.EMAIL, "请开一张发票。")
    assert InboundMessage.objects.get().mailbox.provider == provider


def test_the_full_mail_page_shows_the_senders_address_masked(storefront, agent_desk):
    # given an e-mail ticket opened by Li Lei's mail
    ticket, kept = li_leis_mail(
        storefront, "cup-2@customer.example", b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe cup is broken.\r\n"
    )

    # when an agent opens the mail as it came in
    full = agent_desk.get(f"/desk/tickets/{ticket.reference}/mail/{kept.pk}/").content.decode()

    # then the address is masked as everywhere on the desk (the full one only through a logged reveal)
    assert "l***@customer.example" in full
    assert "lilei@customer.example" not in full


def test_the_mail_admin_masks_customers_addresses_and_finds_by_the_whole_one(storefront, team, admin_client):
    # given a mail that came in from Zhou Jie and a reply going out to him
    from django.utils import timezone

    from tickets.models import OutboundEmail
    from tickets.services.inbound import inbound_receive

    mailbox = mailbox_create(storefront=storefront, address="help@shop.example", provider="mailgun", webhook_secret=KEY)
    inbound_receive(mailbox=mailbox, raw=RAW.encode())
    inbound, ticket = InboundMessage.objects.get(), Ticket.objects.get()
    outbound = OutboundEmail.objects.create(
        ticket=ticket,
        mailbox=mailbox,
        message_id="<reply-1@shop.example>",
        to_address="zhoujie@customer.example",
        subject="Re: 发票",
        body="Attached.",
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )

    # when an administrator browses both, searching by the whole address
    pages = [
        admin_client.get("/admin/tickets/inboundmessage/", {"q": "zhoujie@customer.example"}),
        admin_client.get(f"/admin/tickets/inboundmessage/{inbound.pk}/change/"),
        admin_client.get("/admin/tickets/outboundemail/", {"q": "zhoujie@customer.example"}),
        admin_client.get(f"/admin/tickets/outboundemail/{outbound.pk}/change/"),
    ]

    # then each finds its row and shows the address masked (the whole one only echoes in the search box)
    for page in pages:
        assert page.status_code == 200 and "z***@customer.example" in page.content.decode()
    for page in pages[1::2]:
        assert "zhoujie@customer.example" not in page.content.decode()
    assert "1 inbound e-mail" in pages[0].content.decode() and "1 outgoing e-mail" in pages[2].content.decode()
