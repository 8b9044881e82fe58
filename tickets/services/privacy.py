"""Personal data: revealing a customer's contact details on purpose, erasing a customer's data on request, and
deleting old attachments.

- `customer_reveal`: supervisors see the full e-mail address and phone number the desk otherwise masks
  (tickets.masking); each reveal is a `contact_revealed` event on the ticket, with who and when.
- `customer_erase`: the customer's name, e-mail and phone, the free text they wrote and their attachments are
  erased, and their name, e-mail and phone are scrubbed from everything else written about them (staff messages,
  events, stored webhook payloads, stored idempotent answers). Counts, times, statuses and amounts stay, so every
  figure (KPIs, reports) reads the same before and after. Irreversible, and safe to repeat: a second run finds
  nothing left and changes nothing. The apps above `tickets` erase their own rows (return descriptions, complaint
  notes) through parts they register here from their AppConfig.ready(): tickets imports none of them.
- `attachments_purge_expired`: attachments of tickets closed longer ago than ATTACHMENT_RETENTION_DAYS, deleted in
  batches with an event on each ticket; safe to re-run.
"""

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.utils.encoders import JSONEncoder

from aftersales.errors import NotFound, NotPermitted
from tickets import roles
from tickets.models import (
    ActorType,
    Attachment,
    Customer,
    EventKind,
    IdempotencyRecord,
    Kind,
    Message,
    MessageKind,
    Status,
    Storefront,
    Survey,
    Ticket,
    TicketEvent,
    WebhookDelivery,
)
from tickets.services.events import ticket_events_save
from tickets.services.webhooks import ticket_ordering_key

logger = logging.getLogger(__name__)

# What erased text reads as, everywhere.
ERASED = "[erased]"


def _event(
    ticket_id: int, kind: str, *, now: datetime, user: Any = None, storefront: Storefront | None = None, **data: Any
) -> TicketEvent:
    actor_type = ActorType.USER if user is not None else ActorType.STOREFRONT if storefront else ActorType.SYSTEM
    return TicketEvent(
        ticket_id=ticket_id,
        kind=kind,
        actor_type=actor_type,
        actor_user=user,
        actor_storefront=storefront,
        data=data,
        created_at=now,
    )


# --- Reveal ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def customer_reveal(*, ticket: Ticket, user: Any, now: datetime | None = None) -> Customer:
    """The ticket's customer with their full contact details, for a user whose role may see them; the reveal is
    written to the ticket's timeline (who, when, what). Others are refused (403); a ticket without a customer has
    nothing to reveal (404)."""
    if not roles.may_reveal_contact(user):
        raise NotPermitted(_("Your role may not reveal customers' contact details."))
    customer = Customer.objects.filter(pk=ticket.customer_id).first() if ticket.customer_id else None
    if customer is None:
        raise NotFound(_("This ticket has no customer."))
    shown = [name for name in ("email", "phone") if getattr(customer, name)]
    ticket_events_save(
        [_event(ticket.pk, EventKind.CONTACT_REVEALED, user=user, fields=shown, now=now or timezone.now())]
    )
    return customer


# --- Erasure ----------------------------------------------------------------------------------------------------------


# Whole texts of the customer found again in copies (webhook payloads, stored answers) are replaced where they stand
# inside a longer string only from this length on: a two-letter message must not eat every "ok" of a payload.
MIN_TEXT_IN_STRING = 12


def _token_pattern(token: str) -> re.Pattern[str]:
    # Latin names and words match whole words only ("Li" is not in "Delivery"); e-mail addresses, phone numbers and
    # CJK names match wherever they stand (Chinese has no spaces between words).
    escaped = re.escape(token)
    if re.fullmatch(r"[A-Za-z][A-Za-z .'-]*[A-Za-z]", token):
        escaped = rf"\b{escaped}\b"
    return re.compile(escaped, re.IGNORECASE)


def _tokens(customer: Customer) -> list[str]:
    """The customer's name, e-mail and phone as they are stored, and the phone's digits alone (staff often type a
    number without its spaces or country code)."""
    tokens = {customer.name.strip(), customer.email.strip(), customer.phone.strip()}
    digits = re.sub(r"\D", "", customer.phone)
    if len(digits) >= 7:
        tokens.add(digits)
        if len(digits) > 11:
            tokens.add(digits[-11:])  # a Chinese mobile number without +86
    tokens.discard(ERASED)
    return sorted((token for token in tokens if len(token) >= 2), key=len, reverse=True)


@dataclass
class Erasure:
    """One customer's erasure in progress: what to look for, where, and what was done so far.

    Parts registered by other apps read `ticket_ids`, scrub their own rows with `erase_text` (the customer's own
    words, replaced whole) and `scrub` (staff text about them: name, e-mail and phone replaced), add the public ids
    of their objects to `needles` (to find stored answers that show them) and count what they changed in `counts`.
    """

    customer: Customer
    ticket_ids: list[int]
    tokens: list[str]
    now: datetime
    texts: set[str] = field(default_factory=set)
    needles: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._patterns = [_token_pattern(token) for token in self.tokens]

    def erase_text(self, text: str) -> str:
        """The customer's own words: gone whole. Remembered, to be found again where they were copied."""
        if not text or text == ERASED:
            return text
        self.texts.add(text.strip())
        return ERASED

    def scrub(self, text: str) -> str:
        """Text written about the customer: their name, e-mail and phone (and their own words quoted) replaced."""
        if not text:
            return text
        if text.strip() in self.texts:
            return ERASED
        for copied in sorted(self.texts, key=len, reverse=True):
            if len(copied) >= MIN_TEXT_IN_STRING and copied in text:
                text = text.replace(copied, ERASED)
        for pattern in self._patterns:
            text = pattern.sub(ERASED, text)
        return text

    def scrub_json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {key: self.scrub_json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub_json(item) for item in value]
        return value


ErasurePart = Callable[[Erasure], None]
_parts: dict[str, ErasurePart] = {}


def register_erasure_part(name: str, part: ErasurePart) -> None:
    """Erase an app's own rows of a customer with the rest, in the same transaction: after the customer's messages
    are erased, before the staff messages and the copies (events, webhook payloads, stored answers) are scrubbed,
    so that the customer's words a part erases are found there too. Registering a name again replaces it (ready()
    may run twice)."""
    _parts[name] = part


@dataclass(frozen=True)
class ErasureResult:
    customer: Customer
    erased: dict[str, int]
    already_erased: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "external_id": self.customer.external_id,
            "erased_at": self.customer.erased_at.isoformat() if self.customer.erased_at else None,
            "already_erased": self.already_erased,
            "erased": self.erased,
        }


# The kinds of data an erasure reports, always all of them (0 when there was nothing), in this order.
ERASURE_KINDS = (
    "customer",
    "ticket_subjects",
    "customer_messages",
    "staff_messages",
    "attachments",
    "survey_comments",
    "return_requests",
    "refunds",
    "complaints",
    "events",
    "webhook_payloads",
    "stored_answers",
)


def _changed_rows(rows: Iterable[Any], fields: dict[str, Callable[[Any], Any]]) -> list[Any]:
    """Apply the functions to the fields of each row; the rows that changed."""
    changed = []
    for row in rows:
        dirty = False
        for name, function in fields.items():
            old = getattr(row, name)
            new = function(old)
            if new != old:
                setattr(row, name, new)
                dirty = True
        if dirty:
            changed.append(row)
    return changed


def _save(model: type, rows: list[Any], fields: list[str]) -> int:
    if rows:
        model.objects.bulk_update(rows, fields, batch_size=500)
    return len(rows)


def attachments_delete(attachments: list[Attachment]) -> int:
    """Delete attachment rows and their files. Called inside the caller's transaction, rows first: a file whose
    row is gone is deleted at once, and if the transaction then fails, the rows stay and point at a missing file
    (the download answers 404 "The file is missing") until a re-run deletes them, so no file is ever left behind
    without its row."""
    if not attachments:
        return 0
    Attachment.objects.filter(pk__in=[attachment.pk for attachment in attachments]).delete()
    for attachment in attachments:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)
    return len(attachments)


def _erase_their_words(erasure: Erasure, tickets: list[Ticket]) -> None:
    """What the customer wrote: their messages, survey comments and the subjects of their inquiries and complaints
    (a return's subject is ours: "Return for order ..."), replaced whole."""
    ids = erasure.ticket_ids
    counts = erasure.counts
    counts["ticket_subjects"] += _save(
        Ticket,
        _changed_rows((t for t in tickets if t.kind != Kind.RETURN), {"subject": erasure.erase_text})
        + _changed_rows((t for t in tickets if t.kind == Kind.RETURN), {"subject": erasure.scrub}),
        ["subject"],
    )
    theirs = Message.objects.filter(ticket_id__in=ids, kind=MessageKind.CUSTOMER).order_by("pk")
    counts["customer_messages"] += _save(Message, _changed_rows(theirs, {"body": erasure.erase_text}), ["body"])
    surveys = Survey.objects.filter(ticket_id__in=ids).exclude(comment="").order_by("pk")
    counts["survey_comments"] += _save(Survey, _changed_rows(surveys, {"comment": erasure.erase_text}), ["comment"])


def _scrub_staff_text(erasure: Erasure) -> None:
    """Replies and notes (a return's request form is a note on its ticket) lose the customer's details and any of
    their words quoted; the files on their tickets go."""
    ours = Message.objects.filter(ticket_id__in=erasure.ticket_ids).exclude(kind=MessageKind.CUSTOMER).order_by("pk")
    erasure.counts["staff_messages"] += _save(Message, _changed_rows(ours, {"body": erasure.scrub}), ["body"])
    attachments = list(Attachment.objects.filter(ticket_id__in=erasure.ticket_ids).order_by("pk"))
    erasure.counts["attachments"] += attachments_delete(attachments)


def _scrub_copies(erasure: Erasure, tickets: list[Ticket], storefront: Storefront) -> None:
    """Events, webhook payloads and stored idempotent answers that carry the customer's data."""
    counts = erasure.counts
    events = TicketEvent.objects.filter(ticket_id__in=erasure.ticket_ids).exclude(data={}).order_by("pk")
    counts["events"] += _save(TicketEvent, _changed_rows(events, {"data": erasure.scrub_json}), ["data"])
    # Everything a storefront hears about a ticket (its return and refunds included) carries the ticket's ordering
    # key: read through the (storefront, ordering_key, created_at) index.
    deliveries = WebhookDelivery.objects.filter(
        storefront=storefront, ordering_key__in=[ticket_ordering_key(ticket) for ticket in tickets]
    ).order_by("pk")
    counts["webhook_payloads"] += _save(
        WebhookDelivery, _changed_rows(deliveries, {"payload": erasure.scrub_json}), ["payload"]
    )
    # Stored answers live IDEMPOTENCY_TTL (a day): the few that name one of the objects or the customer's details.
    needles = [needle for needle in erasure.needles | set(erasure.tokens) if len(needle) >= 3]
    if needles:
        records = (
            IdempotencyRecord.objects.annotate(text=Cast("body", TextField()))
            .filter(reduce(or_, (Q(text__contains=needle) for needle in needles)))
            .order_by("pk")
        )
        counts["stored_answers"] += _save(
            IdempotencyRecord, _changed_rows(records, {"body": lambda body: _scrub_stored(erasure, body)}), ["body"]
        )


def _scrub_stored(erasure: Erasure, body: Any) -> Any:
    # Stored as JSON text so that a replay is the first answer byte for byte (tickets.idempotency): scrubbed as data
    # and written back the same way, keys in the same order.
    if not isinstance(body, str):
        return erasure.scrub_json(body)
    scrubbed = erasure.scrub_json(json.loads(body))
    return json.dumps(scrubbed, cls=JSONEncoder, ensure_ascii=False)


@transaction.atomic
def customer_erase(
    *, customer: Customer, user: Any = None, storefront: Storefront | None = None, now: datetime | None = None
) -> ErasureResult:
    """Erase one customer's personal data for good (see the module's docstring); what was erased, per kind.

    `storefront` when the storefront asked (API), `user` when a person did; neither for the command. Locks: the
    customer's tickets first, in id order, as every ticket service does, then the customer row without its key
    (FOR NO KEY UPDATE), so a ticket being created for them meanwhile is neither blocked nor deadlocked; such a
    ticket's data, sent after the request, is left for another erasure.
    """
    now = now or timezone.now()
    tickets = list(Ticket.objects.select_for_update().filter(customer=customer).order_by("pk"))
    customer = (
        Customer.objects.select_for_update(no_key=True, of=("self",)).select_related("storefront").get(pk=customer.pk)
    )
    erasure = Erasure(
        customer=customer, ticket_ids=[ticket.pk for ticket in tickets], tokens=_tokens(customer), now=now
    )
    for ticket in tickets:
        erasure.needles |= {str(ticket.public_id), ticket.reference}
    if customer.external_id:
        erasure.needles.add(customer.external_id)

    # Their own words first, everywhere (each app's parts included), so that the staff text and the copies scrubbed
    # afterwards lose those words where they were quoted.
    _erase_their_words(erasure, tickets)
    for part in _parts.values():
        part(erasure)
    _scrub_staff_text(erasure)
    _scrub_copies(erasure, tickets, customer.storefront)

    if customer.name not in ("", ERASED) or customer.email or customer.phone:
        erasure.counts["customer"] += 1
    already_erased = customer.erased_at is not None and not any(erasure.counts.values())
    customer.name = ERASED if erasure.counts["customer"] or customer.name else ""
    customer.email = customer.phone = ""
    customer.erased_at = customer.erased_at or now
    customer.save(update_fields=["name", "email", "phone", "erased_at"])

    erased = {kind: erasure.counts.get(kind, 0) for kind in ERASURE_KINDS}
    erased.update({kind: count for kind, count in erasure.counts.items() if kind not in erased})
    if any(erased.values()):
        ticket_events_save(
            _event(ticket.pk, EventKind.DATA_ERASED, user=user, storefront=storefront, now=now) for ticket in tickets
        )
    # Ids and counts only: the log must not hold what was just erased.
    logger.info("Customer %s erased: %s", customer.pk, json.dumps(erased))
    return ErasureResult(customer=customer, erased=erased, already_erased=already_erased)


# --- Retention --------------------------------------------------------------------------------------------------------


def attachments_purge_expired(*, now: datetime | None = None, batch_size: int = 100) -> int:
    """Delete the attachments (rows and files) of tickets closed more than ATTACHMENT_RETENTION_DAYS ago, a batch of
    tickets per transaction, with an `attachments_deleted` event on each ticket; the number of attachments deleted.
    Safe to re-run: a ticket whose attachments are gone is no longer picked, and a batch that failed is picked again
    (its files, deleted with their rows, are simply absent)."""
    now = now or timezone.now()
    days = settings.ATTACHMENT_RETENTION_DAYS
    cutoff = now - timedelta(days=days)
    deleted = 0
    while True:
        with transaction.atomic():
            # From the attachments' side: there are far fewer of them than closed tickets.
            ticket_ids = list(
                Attachment.objects.filter(ticket__status=Status.CLOSED, ticket__closed_at__lte=cutoff)
                .values_list("ticket_id", flat=True)
                .distinct()
                .order_by("ticket_id")[:batch_size]
            )
            if not ticket_ids:
                return deleted
            # The tickets' row locks, as any change to a ticket takes them; one closed is never reopened.
            locked = list(
                Ticket.objects.select_for_update()
                .filter(pk__in=ticket_ids, status=Status.CLOSED)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            attachments = list(Attachment.objects.filter(ticket_id__in=locked).order_by("ticket_id", "pk"))
            per_ticket = Counter(attachment.ticket_id for attachment in attachments)
            deleted += attachments_delete(attachments)
            ticket_events_save(
                _event(ticket_id, EventKind.ATTACHMENTS_DELETED, count=count, retention_days=days, now=now)
                for ticket_id, count in sorted(per_ticket.items())
            )
