"""Mail going out (email.md "Going out"): public replies on e-mail tickets and the optional acknowledgement, written
to the mail outbox (`OutboundEmail`) in the transaction of the reply and sent after commit, retried with backoff by
the beat catch-up; bounces of our mail mark it failed on the ticket.

A send claims its row (attempts + 1, not due for a lease) before talking to the mail server, so two workers never
send one row twice; a run that finds nothing due does nothing.
"""

import logging
import re
import smtplib
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid

from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import linebreaks
from django.utils.translation import gettext as _

from tickets.masking import mask_email
from tickets.models import (
    Channel,
    EventKind,
    InboundMessage,
    InboundStatus,
    Mailbox,
    Message,
    OutboundEmail,
    OutboundKind,
    OutboundStatus,
    Ticket,
)
from tickets.services.events import Actor, ticket_record_event

logger = logging.getLogger(__name__)

# Backoff: 1 min, 2, 4 ... capped at 2 hours; given up (failed on the ticket) after this many attempts.
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=2)
MAX_ATTEMPTS = 10
SEND_LEASE = timedelta(minutes=2)
# Answers that will not change on a retry: failed on the ticket at once.
REFUSALS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    BadHeaderError,
    AnymailRecipientsRefused,
    AnymailInvalidAddress,
)
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|回复|答复|转发)\s*[:\uff1a]\s*)+", re.IGNORECASE)
_SUBJECT_REFERENCE = re.compile(r"\s*\[T-\d{6,}\]")


def reply_subject(ticket: Ticket) -> str:
    """`Re: <subject> [T-000123]`, whatever prefixes and reference the subject carried already."""
    subject = _SUBJECT_REFERENCE.sub("", _SUBJECT_PREFIX.sub("", ticket.subject)).strip()
    return f"Re: {subject} [{ticket.reference}]"


def _mailbox_and_thread(ticket: Ticket) -> tuple[Mailbox | None, str, list[str]]:
    """The mailbox the ticket's mail came through (else the storefront's first), the ticket's customer's address,
    and the Message-IDs of the ticket's mail so far, oldest first."""
    inbound = list(
        InboundMessage.objects.filter(ticket=ticket, status=InboundStatus.PROCESSED)
        .select_related("mailbox")
        .order_by("received_at", "id")
        .only("message_id", "from_address", "received_at", "mailbox")
    )
    if inbound:
        mailbox = inbound[-1].mailbox
    else:
        mailbox = Mailbox.objects.filter(storefront_id=ticket.storefront_id, is_active=True).order_by("id").first()
    # Always the ticket's customer, whoever wrote last (a mail threaded by In-Reply-To may come from someone else).
    to_address = ticket.customer.email if ticket.customer_id else ""
    stamped = [(message.received_at, message.message_id) for message in inbound]
    stamped += list(OutboundEmail.objects.filter(ticket=ticket).values_list("created_at", "message_id"))
    return mailbox, to_address, [message_id for _at, message_id in sorted(stamped)]


def _enqueue(ticket: Ticket, *, kind: str, body: str, from_name: str, message: Message | None, now: datetime):
    mailbox, to_address, thread = _mailbox_and_thread(ticket)
    if mailbox is None or not to_address:
        return None
    outbound = OutboundEmail.objects.create(
        ticket=ticket,
        ticket_message=message,
        mailbox=mailbox,
        kind=kind,
        message_id=make_msgid(idstring=ticket.reference, domain=mailbox.domain),
        in_reply_to=thread[-1] if thread else "",
        # Mail clients thread by the whole chain; servers limit header length, so the first and the latest 20.
        references=" ".join(thread[:1] + thread[1:][-20:]),
        from_name=from_name,
        to_address=to_address,
        subject=reply_subject(ticket),
        body=body,
        next_attempt_at=now,
        created_at=now,
    )
    transaction.on_commit(lambda: _enqueue_send(outbound.pk))
    return outbound


def _enqueue_send(outbound_id: int) -> None:
    from tickets.tasks import send_outbound_email

    try:
        send_outbound_email.delay(outbound_id)
    except Exception:
        # The row is committed and due: the beat catch-up sends it once the broker is back.
        logger.warning("Could not enqueue e-mail %s; the catch-up will send it.", outbound_id)


def email_reply_enqueue(*, ticket: Ticket, message: Message, actor: Actor, now: datetime) -> OutboundEmail | None:
    """A public message on an e-mail ticket, as mail to the customer (nothing for other channels)."""
    if ticket.channel != Channel.EMAIL:
        return None
    author = (actor.user.get_full_name() or actor.user.get_username()) if actor.user else ""
    return _enqueue(ticket, kind=OutboundKind.REPLY, body=message.body, from_name=author, message=message, now=now)


def email_acknowledgement_enqueue(*, ticket: Ticket, mailbox: Mailbox, now: datetime) -> OutboundEmail | None:
    """The optional acknowledgement of a new e-mail ticket (at most one per ticket: a constraint says so)."""
    if not mailbox.send_acknowledgement or OutboundEmail.objects.filter(ticket=ticket, kind="acknowledgement").exists():
        return None
    with translation.override(mailbox.language):
        body = _(
            "We have received your message and opened request %(reference)s. We will answer you by e-mail; "
            "please keep %(reference)s in the subject when you write about it."
        ) % {"reference": ticket.reference}
    return _enqueue(ticket, kind=OutboundKind.ACKNOWLEDGEMENT, body=body, from_name="", message=None, now=now)


def _build(outbound: OutboundEmail) -> EmailMultiAlternatives:
    mailbox = outbound.mailbox
    name = " · ".join(part for part in (outbound.from_name, mailbox.display_name) if part)
    headers = {"Message-ID": outbound.message_id, "Auto-Submitted": "no"}
    if outbound.kind == OutboundKind.ACKNOWLEDGEMENT:
        # RFC 3834: an automatic answer, which the customer's own auto-responder must not answer again.
        headers["Auto-Submitted"] = "auto-replied"
    if outbound.in_reply_to:
        headers["In-Reply-To"] = outbound.in_reply_to
    if outbound.references:
        headers["References"] = outbound.references
    mail = EmailMultiAlternatives(
        subject=outbound.subject,
        body=outbound.body,
        from_email=formataddr((name, mailbox.address)) if name else mailbox.address,
        to=[outbound.to_address],
        reply_to=[mailbox.reply_address(outbound.ticket.reference)],
        headers=headers,
    )
    mail.attach_alternative(linebreaks(outbound.body, autoescape=True), "text/html")
    if outbound.ticket_message_id:
        for attachment in outbound.ticket_message.attachments.all():
            with attachment.file.open("rb") as handle:
                mail.attach(attachment.filename, handle.read(), attachment.content_type)
    return mail


def _fail(outbound: OutboundEmail, *, reason: str, now: datetime) -> None:
    outbound.status = OutboundStatus.FAILED
    outbound.last_error = reason[:500]
    outbound.save(update_fields=["status", "last_error"])
    ticket_record_event(
        ticket=outbound.ticket,
        kind=EventKind.EMAIL_FAILED,
        message=outbound.ticket_message,
        # Masked: the timeline and the desk API show event data to every agent (operations.md, personal data); the
        # outbox row keeps the full address for sending.
        data={"to": mask_email(outbound.to_address), "reason": reason[:200]},
        now=now,
    )


def outbound_send(*, outbound_id: int, now: datetime | None = None) -> bool:
    """Send one due outbox row; True when the mail server took it. A transient failure leaves it pending with a
    later attempt; a refusal, or the last attempt, marks it failed on the ticket."""
    now = now or timezone.now()
    with transaction.atomic():
        outbound = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=outbound_id, status=OutboundStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if outbound is None:
            return False
        outbound.attempts += 1
        outbound.next_attempt_at = now + SEND_LEASE
        outbound.save(update_fields=["attempts", "next_attempt_at"])
    outbound = OutboundEmail.objects.select_related("mailbox", "ticket", "ticket_message").get(pk=outbound_id)
    try:
        _build(outbound).send(fail_silently=False)
    except REFUSALS as error:
        with transaction.atomic():
            _fail(outbound, reason=f"refused: {type(error).__name__}", now=now)
        return False
    except Exception as error:  # the server away, a timeout, a provider's error: tried again until MAX_ATTEMPTS
        reason = f"{type(error).__name__}: {str(error)[:200]}"
        with transaction.atomic():
            if outbound.attempts >= MAX_ATTEMPTS:
                _fail(outbound, reason=reason, now=now)
            else:
                outbound.last_error = reason
                outbound.next_attempt_at = now + min(FIRST_RETRY * 2 ** (outbound.attempts - 1), MAX_RETRY)
                outbound.save(update_fields=["last_error", "next_attempt_at"])
        logger.warning("E-mail %s not sent (attempt %s): %s", outbound.pk, outbound.attempts, type(error).__name__)
        return False
    OutboundEmail.objects.filter(pk=outbound.pk).update(status=OutboundStatus.SENT, sent_at=now, last_error="")
    return True


def outbound_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """The catch-up (beat, every minute): send what is due, retries and rows whose task was lost."""
    now = now or timezone.now()
    due = list(
        OutboundEmail.objects.filter(status=OutboundStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(outbound_send(outbound_id=outbound_id, now=now) for outbound_id in due)


def outbound_mark_bounced(*, message_ids: list[str], now: datetime) -> int:
    """A delivery status notification named these Message-IDs: those that are ours are failed on their ticket."""
    bounced = 0
    for outbound in OutboundEmail.objects.filter(message_id__in=message_ids).exclude(status=OutboundStatus.FAILED):
        _fail(outbound, reason="bounced", now=now)
        bounced += 1
    return bounced
