"""Desk pages and endpoints of the e-mail channel: the development outbox (with DEBUG and no mail server, mail is
kept as files under var/mail by Django's file-based backend; staff read it here) and the providers' inbound webhooks.
"""

import os
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from anymail.exceptions import AnymailConfigurationError, AnymailError, AnymailWebhookValidationFailure
from anymail.webhooks.base import AnymailBaseWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.mailjet import MailjetInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from aftersales.errors import error_body
from aftersales.mail import FILE_BACKEND
from tickets import selectors
from tickets.models import Channel, InboundKind, InboundMessage, Mailbox, OutboundEmail
from tickets.services.inbound import inbound_receive
from tickets.views import desk_view

# Django's file-based backend writes each message followed by a line of 79 dashes, several to a file.
_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
OUTBOX_PAGE = 100


@dataclass
class OutboxMessage:
    file: str
    index: int
    mail: EmailMessage

    @property
    def headers(self) -> dict[str, str]:
        return {name: str(self.mail.get(name, "")) for name in ("From", "To", "Date", "Subject", "In-Reply-To")}

    @property
    def sent_at(self) -> datetime | None:
        """The Date header as a time (shown in the desk's format, not the header's English day and month)."""
        try:
            return parsedate_to_datetime(str(self.mail.get("Date", "")))
        except (TypeError, ValueError):
            return None

    @property
    def in_reply_to(self) -> str:
        return str(self.mail.get("In-Reply-To", ""))

    @property
    def text(self) -> str:
        body = self.mail.get_body(("plain", "html"))
        return body.get_content() if body is not None else ""

    @property
    def attachments(self) -> list[str]:
        return [part.get_filename() or part.get_content_type() for part in self.mail.iter_attachments()]


def _outbox_dir() -> Path:
    if settings.EMAIL_BACKEND != FILE_BACKEND:
        raise Http404("The development outbox is used only when no mail server is configured.")
    return Path(settings.EMAIL_FILE_PATH)


def _messages_of(directory: Path, name: str) -> list[OutboxMessage]:
    raw = (directory / name).read_bytes()
    parser = BytesParser(policy=policy.default)
    return [
        OutboxMessage(file=name, index=index, mail=parser.parsebytes(chunk.lstrip(b"\n")))
        for index, chunk in enumerate(raw.split(_SEPARATOR))
        if chunk.strip()
    ]


@desk_view
def outbox(request: HttpRequest) -> HttpResponse:
    directory = _outbox_dir()
    names = sorted(
        (entry for entry in os.scandir(directory) if entry.is_file()) if directory.exists() else [],
        key=lambda entry: entry.stat().st_mtime,
        reverse=True,
    )
    messages: list[OutboxMessage] = []
    for entry in names:
        messages += reversed(_messages_of(directory, entry.name))
        if len(messages) >= OUTBOX_PAGE:
            break
    return render(request, "tickets/outbox.html", {"mails": messages[:OUTBOX_PAGE], "directory": directory})


@desk_view
def outbox_message(request: HttpRequest, name: str, index: int) -> HttpResponse:
    directory = _outbox_dir()
    # Only a file the outbox directory lists: a name never reaches outside it.
    if not directory.exists() or name not in os.listdir(directory):
        raise Http404
    messages = _messages_of(directory, name)
    if index >= len(messages):
        raise Http404
    return render(request, "tickets/outbox_message.html", {"message": messages[index]})


# Providers' inbound webhooks (Anymail's normalised inbound) and how each one's requests are proven to be theirs: a
# signature with the mailbox's signing key (Mailgun), or HTTP basic auth "user:password" set as the mailbox's secret.
def _provider_view(provider: str, secret: str) -> AnymailBaseWebhookView | None:
    if provider == "mailgun":
        return MailgunInboundWebhookView(webhook_signing_key=secret)
    basic_auth_views = {
        "postmark": PostmarkInboundWebhookView,
        "sendgrid": SendGridInboundWebhookView,
        "mailjet": MailjetInboundWebhookView,
    }
    view = basic_auth_views.get(provider)
    return view(webhook_secret=secret) if view else None


@csrf_exempt
@require_POST
def provider_inbound(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider posts one received message: the mailbox whose secret proves the request takes it."""
    mailboxes = Mailbox.objects.filter(inbound=InboundKind.PROVIDER, provider=provider, is_active=True).select_related(
        "storefront"
    )
    for mailbox in mailboxes:
        view = _provider_view(provider, mailbox.webhook_secret)
        if view is None:
            raise Http404
        try:
            view.run_validators(request)
        except AnymailWebhookValidationFailure:
            continue
        try:
            events = view.parse_events(request)
        except (AnymailError, AnymailConfigurationError, KeyError, ValueError):
            # Signed, but not a message Anymail can read (a tracking event sent to the inbound URL, say).
            return JsonResponse(error_body("invalid", _("Not an inbound message.")), status=400)
        for event in events:
            message = event.message
            inbound_receive(mailbox=mailbox, raw=message.as_bytes(), provider_spam=bool(message.spam_detected))
        return HttpResponse(status=200)
    if not mailboxes:
        raise Http404
    return JsonResponse(error_body("forbidden", _("The request's signature does not match.")), status=403)


def build_email_panel(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    """The ticket page's e-mail panel: the mails that came in (each one's full text a click away) and the mails that
    went out with their state. Nothing, and no query, for tickets of other channels."""
    if ticket.channel != Channel.EMAIL:
        return None
    return {
        "template": "tickets/_email_panel.html",
        "inbound": list(
            InboundMessage.objects.filter(ticket=ticket)
            .order_by("received_at", "id")
            .only("pk", "received_at", "from_address", "subject", "status")
        ),
        "outbound": list(
            OutboundEmail.objects.filter(ticket=ticket)
            .order_by("created_at", "id")
            .only("pk", "created_at", "to_address", "kind", "status", "last_error")
        ),
    }


@require_safe
@desk_view
def inbound_message(request: HttpRequest, reference: str, inbound_id: int) -> HttpResponse:
    """One mail of a ticket as it came in: the full text (quotes and signature included) and its HTML, sanitised."""
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    inbound = get_object_or_404(InboundMessage, pk=inbound_id, ticket=ticket)
    return render(request, "tickets/inbound_message.html", {"ticket": ticket, "inbound": inbound})
