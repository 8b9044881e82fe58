"""Mail coming in (email.md): every message kept raw once per mailbox and Message-ID, then processed (threaded onto
its ticket or opening one), ignored (automatic mail, our own) or quarantined (oversize, undecodable, spam, over the
per-sender limit, failing). One message's failure never stops the rest: it is quarantined with its reason.
"""

import logging
import re
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError
from tickets.mailparse import ParsedMail, Undecodable, message_id_of, parse
from tickets.models import (
    MESSAGE_BODY_MAX,
    Channel,
    Customer,
    InboundMessage,
    InboundStatus,
    Mailbox,
    Message,
    OutboundEmail,
    Ticket,
)
from tickets.services.lifecycle import ticket_create
from tickets.services.messages import attachment_add, ticket_add_customer_message
from tickets.services.outbound import email_acknowledgement_enqueue, outbound_mark_bounced

if TYPE_CHECKING:
    from tickets.services.privacy import Erasure

logger = logging.getLogger(__name__)

CREATED = "created"
APPENDED = "appended"
IGNORED = "ignored"
QUARANTINED = "quarantined"
DUPLICATE = "duplicate"
_PLUS_REFERENCE = re.compile(r"^(?P<local>[^+@]+)\+(?P<reference>T-\d{6,})@(?P<domain>.+)$", re.IGNORECASE)


def _without_plus(address: str) -> str:
    """service+T-000123@shop.example -> service@shop.example (our own reply addresses are our own address)."""
    local, _at, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _headers(raw: bytes) -> tuple[str, str]:
    """From and Subject of a message not parsed whole (oversize, undecodable)."""
    try:
        head = BytesHeaderParser().parsebytes(raw[:65536])
        return parseaddr(str(head.get("From", "")))[1].lower()[:254], " ".join(str(head.get("Subject", "")).split())
    except Exception:
        return "", ""


def _thread(mailbox: Mailbox, mail: ParsedMail) -> Ticket | None:
    """The ticket of the mailbox's storefront this message answers (email.md "Threading"), in this order: a
    Message-ID it names, the reference in its subject, the plus-address it was sent to (these two only for mail from
    the ticket's customer)."""
    storefront_id = mailbox.storefront_id
    ids = mail.thread_ids
    if ids:
        ticket_id = (
            OutboundEmail.objects.filter(message_id__in=ids, ticket__storefront_id=storefront_id)
            .order_by("-id")
            .values_list("ticket_id", flat=True)
            .first()
        ) or (
            InboundMessage.objects.filter(
                message_id__in=ids, mailbox__storefront_id=storefront_id, ticket__isnull=False
            )
            .order_by("-id")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if ticket_id:
            return Ticket.objects.get(pk=ticket_id)
    references = [mail.ticket_reference] if mail.ticket_reference else []
    if mailbox.plus_addressing:
        local, domain = mailbox.address.lower().rsplit("@", 1)
        for recipient in mail.recipients:
            match = _PLUS_REFERENCE.match(recipient)
            if match and match["local"] == local and match["domain"] == domain:
                references.append(match["reference"].upper())
    for reference in references:
        ticket = (
            Ticket.objects.filter(storefront_id=storefront_id, reference=reference).select_related("customer").first()
        )
        # A reference can be typed by anyone: it threads only the ticket's own customer's mail (anyone else's opens a
        # ticket of their own), so a stranger can neither write into nor receive the replies of someone's ticket.
        if ticket is not None and ticket.customer and ticket.customer.email.lower() == mail.from_address:
            return ticket
    return None


def _customer(mailbox: Mailbox, mail: ParsedMail) -> Customer:
    """The storefront's customer with this address (the longest-standing one), created on first sight."""
    customer = (
        Customer.objects.filter(storefront_id=mailbox.storefront_id, email__iexact=mail.from_address)
        .order_by("id")
        .first()
    )
    if customer is None:
        customer = Customer.objects.create(
            storefront_id=mailbox.storefront_id, email=mail.from_address, name=mail.from_name[:200]
        )
    return customer


# The message on the ticket holds at most this much of the new text (the whole mail stays on InboundMessage), leaving
# room for the list of attachments not kept.
BODY_KEPT = MESSAGE_BODY_MAX - 1000


def _within_limit(text: str) -> str:
    return text if len(text) <= BODY_KEPT else text[: BODY_KEPT - 1].rstrip() + "…"


def _add_attachments(message: Message, mail: ParsedMail) -> None:
    """Files within the API's limits (type and size) become the message's attachments; the rest are listed on it."""
    listed: list[str] = []
    for attachment in mail.attachments:
        upload = ContentFile(attachment.content, name=attachment.filename)
        try:
            attachment_add(ticket=message.ticket, upload=upload, message=message)
        except ApplicationError:  # checked before anything is written: too large, or a type the desk does not keep
            listed.append(f"{attachment.filename} ({attachment.content_type}, {len(attachment.content)} B)")
    if listed:
        files = Truncator("; ".join(listed)).chars(800)
        message.body += "\n\n" + _("Attachments not kept: %(files)s") % {"files": files}
        message.save(update_fields=["body"])


def own_addresses() -> frozenset[str]:
    """Every mailbox's address: mail from one of them is our own coming back (a loop)."""
    return frozenset(address.lower() for address in Mailbox.objects.values_list("address", flat=True))


def _process(
    mailbox: Mailbox, raw: bytes, message_id: str, now: datetime, provider_spam: bool, ours: frozenset[str]
) -> str:
    def keep(status: str, reason: str = "", **fields: object) -> InboundMessage:
        if "from_address" not in fields:
            fields["from_address"], fields["subject"] = _headers(raw)
        fields["subject"] = str(fields["subject"])[:500]
        return InboundMessage.objects.create(
            mailbox=mailbox,
            message_id=message_id,
            received_at=now,
            size=len(raw),
            raw=raw,
            status=status,
            reason=reason,
            **fields,
        )

    if len(raw) > settings.EMAIL_INBOUND_MAX_BYTES:
        keep(InboundStatus.QUARANTINED, "oversize")
        return QUARANTINED
    try:
        mail = parse(raw)
    except Undecodable:
        keep(InboundStatus.QUARANTINED, "undecodable")
        return QUARANTINED
    about = {
        "from_address": mail.from_address[:254],
        "subject": mail.subject[:500],
        "full_text": mail.text,
        "safe_html": mail.safe_html,
    }
    if _without_plus(mail.from_address) in ours:
        keep(InboundStatus.IGNORED, "own_address", **about)
        return IGNORED
    if mail.automatic:
        if mail.automatic == "bounce":
            outbound_mark_bounced(message_ids=mail.bounced_ids, now=now)
        keep(InboundStatus.IGNORED, mail.automatic, **about)
        return IGNORED
    if provider_spam or mail.spam:
        keep(InboundStatus.QUARANTINED, "spam", **about)
        return QUARANTINED
    if not mail.from_address:
        keep(InboundStatus.QUARANTINED, "no_sender", **about)
        return QUARANTINED
    message, outcome = _deliver(mailbox, mail, now=now, limit=True)
    if message is None:
        keep(InboundStatus.QUARANTINED, "rate_limited", **about)
        return QUARANTINED
    keep(
        InboundStatus.PROCESSED,
        ticket=message.ticket,
        ticket_message=message,
        opened_ticket=outcome == CREATED,
        **about,
    )
    if outcome == CREATED:
        # After the message is kept: the acknowledgement answers it (In-Reply-To), to its sender.
        email_acknowledgement_enqueue(ticket=message.ticket, mailbox=mailbox, now=now)
    return outcome


def _deliver(mailbox: Mailbox, mail: ParsedMail, *, now: datetime, limit: bool) -> tuple[Message | None, str]:
    """The customer's message on the ticket it answers, or on a new one (None when `limit` and the sender has opened
    too many tickets within the hour), with its attachments."""
    body = _within_limit(mail.new_text) or _("(no text)")
    ticket = _thread(mailbox, mail)
    if ticket is not None:
        # On a closed ticket this opens a follow-up ticket linked to it (tickets.md); on a merged one it lands on the
        # ticket it was merged into. Only the first opens a ticket: the message is then its ticket's first.
        message = ticket_add_customer_message(
            ticket=ticket, body=body, storefront=mailbox.storefront, channel=Channel.EMAIL, now=now
        )
        _add_attachments(message, mail)
        opened = not Message.objects.filter(ticket_id=message.ticket_id, pk__lt=message.pk).exists()
        return message, CREATED if opened else APPENDED
    if limit:
        opened_lately = InboundMessage.objects.filter(
            mailbox__storefront_id=mailbox.storefront_id,
            from_address=mail.from_address,
            opened_ticket=True,
            received_at__gte=now - timedelta(hours=1),
        ).count()
        if opened_lately >= settings.EMAIL_NEW_TICKETS_PER_SENDER_PER_HOUR:
            return None, QUARANTINED
    ticket = ticket_create(
        storefront=mailbox.storefront,
        subject=mail.subject[:200] or _("(no subject)"),
        body=body,
        channel=Channel.EMAIL,
        customer=_customer(mailbox, mail),
        fallback_team=mailbox.default_team,
        now=now,
    )
    message = ticket.opening_message
    _add_attachments(message, mail)
    return message, CREATED


def inbound_receive(
    *,
    mailbox: Mailbox,
    raw: bytes,
    provider_spam: bool = False,
    own: frozenset[str] | None = None,
    now: datetime | None = None,
) -> str:
    """Keep and process one raw message; what came of it: created, appended, ignored, quarantined, or duplicate (this
    mailbox has it already: nothing is written). `own`: the mailboxes' addresses, when the caller read them once for
    many messages."""
    now = now or timezone.now()
    message_id = message_id_of(raw)
    if InboundMessage.objects.filter(mailbox=mailbox, message_id=message_id).exists():
        return DUPLICATE
    try:
        with transaction.atomic():
            ours = own if own is not None else own_addresses()
            return _process(mailbox, raw, message_id, now, provider_spam, ours)
    except Exception as error:
        if isinstance(error, IntegrityError) and (
            InboundMessage.objects.filter(mailbox=mailbox, message_id=message_id).exists()
        ):
            return DUPLICATE  # another fetch kept it first
        # Kept all the same, with the reason, for someone to look at and release: the rest of the mailbox goes on.
        logger.exception("Inbound e-mail %s of mailbox %s failed; quarantined.", message_id, mailbox.pk)
        from_address, subject = _headers(raw)
        with transaction.atomic():
            InboundMessage.objects.create(
                mailbox=mailbox,
                message_id=message_id,
                received_at=now,
                size=len(raw),
                raw=raw,
                status=InboundStatus.QUARANTINED,
                reason=f"failed: {type(error).__name__}"[:200],
                from_address=from_address,
                subject=subject[:500],
            )
        return QUARANTINED


def inbound_release(*, inbound: InboundMessage, now: datetime | None = None) -> str:
    """Process a quarantined message as if it had just arrived, its quarantine lifted (the admin's release): the
    checks that put it there (size, spam, the per-sender limit) are not made again."""
    now = now or timezone.now()
    with transaction.atomic():
        inbound = InboundMessage.objects.select_for_update().select_related("mailbox__storefront").get(pk=inbound.pk)
        if inbound.status != InboundStatus.QUARANTINED:
            return DUPLICATE
        raw = bytes(inbound.raw)
        mail = parse(raw)  # an undecodable message stays quarantined (Undecodable propagates to the admin)
        message, outcome = _deliver(inbound.mailbox, mail, now=now, limit=False)
        inbound.status = InboundStatus.PROCESSED
        inbound.ticket = message.ticket
        inbound.ticket_message = message
        inbound.opened_ticket = outcome == CREATED
        inbound.released_at = now
        inbound.full_text = mail.text
        inbound.safe_html = mail.safe_html
        inbound.save(
            update_fields=[
                "status",
                "ticket",
                "ticket_message",
                "opened_ticket",
                "released_at",
                "full_text",
                "safe_html",
            ]
        )
        if outcome == CREATED:
            email_acknowledgement_enqueue(ticket=message.ticket, mailbox=inbound.mailbox, now=now)
        return outcome


def erase_customer_mail(erasure: "Erasure") -> None:
    """Privacy (a customer's erasure): the mails they sent, kept raw with their tickets or quarantined under their
    address, lose their content and address; the mails sent to them lose the address and what it names."""
    from tickets.services.privacy import ERASED

    email = erasure.customer.email.lower()
    mails = InboundMessage.objects.filter(ticket_id__in=erasure.ticket_ids)
    if email:
        mails = mails | InboundMessage.objects.filter(mailbox__storefront_id=erasure.customer.storefront_id).filter(
            from_address=email
        )
    erased = 0
    for inbound in mails.select_for_update(of=("self",)).order_by("pk"):
        erasure.erase_text(inbound.full_text)
        inbound.raw, inbound.full_text, inbound.safe_html = b"", ERASED, ""
        inbound.from_address, inbound.subject = "", ERASED
        inbound.save(update_fields=["raw", "full_text", "safe_html", "from_address", "subject"])
        erased += 1
    sent = OutboundEmail.objects.filter(ticket_id__in=erasure.ticket_ids).order_by("pk")
    for outbound in sent.select_for_update(of=("self",)):
        outbound.to_address = ""
        outbound.body, outbound.subject = erasure.scrub(outbound.body), erasure.scrub(outbound.subject)
        outbound.save(update_fields=["to_address", "body", "subject"])
        erased += 1
    if erased:
        erasure.counts["emails"] += erased
