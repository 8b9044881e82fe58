"""Messages on a ticket: public replies, internal notes, customer messages, attachments, the acknowledgement with its
message to the customer, and canned responses filled in. What a message does to the ticket's status and clocks is
the lifecycle's (`ticket_move`)."""

from datetime import datetime, timedelta

import filetype
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.errors import IllegalStateChange, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from tickets.models import (
    MESSAGE_BODY_MAX,
    Attachment,
    CannedResponse,
    EventKind,
    Kind,
    Message,
    MessageKind,
    Status,
    Storefront,
    Ticket,
    TriggerEvent,
)
from tickets.services.automation import automation_event
from tickets.services.collision import ticket_check_seen
from tickets.services.events import Actor, ticket_record_event
from tickets.services.lifecycle import ticket_create, ticket_lock, ticket_move
from tickets.services.outbound import email_reply_enqueue
from tickets.services.webhooks import ticket_ordering_key, ticket_ref, webhook_enqueue

ALLOWED_ATTACHMENT_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
Uploads = list[UploadedFile] | tuple[UploadedFile, ...]


def _validate_attachment(upload: UploadedFile) -> str:
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise PayloadTooLarge(_("The file is larger than 10 MB."), field="file")
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_ATTACHMENT_TYPES:
        raise UnsupportedMediaType(_("Only JPEG, PNG, WebP and PDF files are accepted."), field="file")
    return kind.mime


def attachment_add(*, ticket: Ticket, upload: UploadedFile, message: Message | None = None) -> Attachment:
    """Store one file on a ticket; the type is read from the content, never from the name."""
    content_type = _validate_attachment(upload)
    name = (upload.name or "file").rsplit("/", 1)[-1][-200:]
    return Attachment.objects.create(
        ticket=ticket, message=message, file=upload, filename=name, content_type=content_type, size=upload.size
    )


def _clean_body(body: str, *, empty: str) -> str:
    """The text of a message, trimmed; empty or over MESSAGE_BODY_MAX characters is refused (whatever the caller:
    a page with a 3,000,000-character note takes seconds to open for everyone after)."""
    body = body.strip()
    if not body:
        raise InvalidInput(empty, field="body")
    if len(body) > MESSAGE_BODY_MAX:
        raise InvalidInput(
            _("Ensure this field has no more than %(limit)s characters.") % {"limit": f"{MESSAGE_BODY_MAX:,}"},
            field="body",
        )
    return body


def _public_message(ticket: Ticket, *, body: str, actor: Actor, now: datetime) -> Message:
    """A message to the customer: stored, on the timeline, and sent to the storefront (`ticket.replied`)."""
    message = Message.objects.create(
        ticket=ticket, kind=MessageKind.PUBLIC, body=body, author=actor.user, channel=ticket.channel, created_at=now
    )
    ticket_record_event(ticket=ticket, kind=EventKind.REPLIED, actor=actor, message=message, now=now)
    author = (actor.user.get_full_name() or actor.user.get_username()) if actor.user else ""
    webhook_enqueue(
        storefront=ticket.storefront,
        event_type="ticket.replied",
        data={
            "ticket": ticket_ref(ticket),
            "message": {"id": message.pk, "body": message.body, "author": author, "created_at": now.isoformat()},
        },
        ordering_key=ticket_ordering_key(ticket),
        now=now,
    )
    # An e-mail ticket's customer gets it by mail too (email.md "Going out").
    email_reply_enqueue(ticket=ticket, message=message, actor=actor, now=now)
    return message


def _acknowledgement_text(ticket: Ticket, now: datetime) -> str:
    expect_by = timezone.localtime(now + timedelta(hours=24)).strftime("%Y-%m-%d %H:%M")
    with translation.override(ticket.storefront.language):
        return _(
            "We have received your request %(reference)s and are working on it. "
            "You will hear from us by %(expect_by)s at the latest."
        ) % {"reference": ticket.reference, "expect_by": expect_by}


@transaction.atomic
def ticket_acknowledge(
    *,
    ticket: Ticket,
    user: AbstractUser | None = None,
    actor: Actor | None = None,
    send_message: bool = True,
    now: datetime | None = None,
) -> Ticket:
    """Take ownership and tell the customer their reference and when to expect an answer (that message is no reply:
    the response clock keeps running)."""
    now = now or timezone.now()
    ticket = ticket_lock(ticket.pk)
    actor = actor or Actor(user=user)
    if ticket.acknowledged_at is not None:
        raise IllegalStateChange(_("This ticket is already acknowledged."), field="status")
    if not ticket.is_open:
        raise IllegalStateChange(_("Only an open ticket can be acknowledged."), field="status")
    fields: tuple[str, ...] = ()
    if user is not None and ticket.assignee_id is None:
        ticket.assignee = user
        fields = ("assignee",)
        ticket_record_event(
            ticket=ticket, kind=EventKind.ASSIGNED, actor=actor, data={"assignee": user.get_username()}, now=now
        )
    ticket_move(ticket=ticket, actor=actor, now=now, acknowledge=True, fields=fields)
    if send_message:
        _public_message(ticket, body=_acknowledgement_text(ticket, now), actor=actor, now=now)
    return ticket


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    user: AbstractUser | None = None,
    body: str,
    attachments: Uploads = (),
    status: str | None = None,
    actor: Actor | None = None,
    seen_event_id: int | None = None,
    confirm: bool = False,
    now: datetime | None = None,
) -> Message:
    """A public reply to the customer; the first one acknowledges the ticket. Optionally moves the status too
    (reply and set pending, reply and resolve). With `seen_event_id`, held if the ticket changed since (collision).

    Written by a person (`user`), or by an automation rule (`actor` without a user, e.g. SYSTEM): an automatic reply
    is sent like any other, but it neither acknowledges the ticket nor answers the customer, so the SLA clocks keep
    measuring the people (as the acknowledgement message does)."""
    now = now or timezone.now()
    body = _clean_body(body, empty=_("Write a reply first."))
    ticket = ticket_lock(ticket.pk)
    ticket_check_seen(ticket=ticket, user=user, seen_event_id=seen_event_id, confirm=confirm)
    if ticket.status == Status.CLOSED:
        raise IllegalStateChange(_("A closed ticket cannot be replied to."), field="status")
    actor = actor or Actor(user=user)
    if actor.user is not None:
        ticket_move(ticket=ticket, actor=actor, now=now, acknowledge=True, answer=True)
    message = _public_message(ticket, body=body, actor=actor, now=now)
    for upload in attachments:
        attachment_add(ticket=ticket, upload=upload, message=message)
    if status:
        ticket_move(ticket=ticket, actor=actor, now=now, status=status)
    if actor.user is not None:
        automation_event(event=TriggerEvent.TICKET_AGENT_REPLIED, ticket=ticket, now=now)
    return message


@transaction.atomic
def ticket_add_note(
    *,
    ticket: Ticket,
    user: AbstractUser | None = None,
    body: str,
    attachments: Uploads = (),
    actor: Actor | None = None,
    seen_event_id: int | None = None,
    confirm: bool = False,
    now: datetime | None = None,
) -> Message:
    """An internal note: never shown to customers or storefronts. By a person (`user`) or an automation rule
    (`actor`)."""
    now = now or timezone.now()
    body = _clean_body(body, empty=_("Write a note first."))
    ticket = ticket_lock(ticket.pk)
    ticket_check_seen(ticket=ticket, user=user, seen_event_id=seen_event_id, confirm=confirm)
    actor = actor or Actor(user=user)
    message = Message.objects.create(
        ticket=ticket, kind=MessageKind.INTERNAL, body=body, author=actor.user, channel=ticket.channel, created_at=now
    )
    for upload in attachments:
        attachment_add(ticket=ticket, upload=upload, message=message)
    ticket_record_event(ticket=ticket, kind=EventKind.NOTE, actor=actor, message=message, now=now)
    return message


@transaction.atomic
def ticket_add_customer_message(
    *,
    ticket: Ticket,
    body: str,
    storefront: Storefront | None = None,
    user: AbstractUser | None = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> Message:
    """A message from the customer (through the API, or logged by an agent from a call).

    Reopens a pending or resolved ticket; on a closed ticket it opens a new ticket linked to the old one.
    """
    now = now or timezone.now()
    body = _clean_body(body, empty=_("The message is empty."))
    ticket = ticket_lock(ticket.pk)
    # A merged ticket's messages land on the ticket it was merged into (and further, if that one was merged too).
    while ticket.merged_into_id is not None:
        ticket = ticket_lock(ticket.merged_into_id)
    actor = Actor(user=user, storefront=storefront)
    if ticket.status == Status.CLOSED:
        follow_up = ticket_create(
            storefront=ticket.storefront,
            subject=ticket.subject,
            body=body,
            kind=Kind.INQUIRY,
            category=ticket.category,
            severity=ticket.severity,
            channel=channel or ticket.channel,
            customer=ticket.customer,
            order_external_id=ticket.order_external_id,
            previous_ticket=ticket,
            now=now,
        )
        ticket_record_event(
            ticket=ticket, kind=EventKind.LINKED, actor=actor, data={"follow_up": follow_up.reference}, now=now
        )
        ticket_record_event(
            ticket=follow_up, kind=EventKind.LINKED, actor=actor, data={"previous": ticket.reference}, now=now
        )
        return follow_up.messages.get()
    message = Message.objects.create(
        ticket=ticket, kind=MessageKind.CUSTOMER, body=body, channel=channel or ticket.channel, created_at=now
    )
    ticket_record_event(ticket=ticket, kind=EventKind.CUSTOMER_MESSAGE, actor=actor, message=message, now=now)
    ticket_move(ticket=ticket, actor=actor, now=now, customer_message=True)
    automation_event(event=TriggerEvent.TICKET_CUSTOMER_REPLIED, ticket=ticket, now=now)
    return message


def canned_response_render(*, canned: CannedResponse, ticket: Ticket, agent: AbstractUser) -> str:
    """The canned response in the customer's language (their storefront's), its placeholders filled for one ticket;
    the agent edits the result before sending."""
    language = ticket.storefront.language
    with translation.override(language):
        return placeholders_fill(canned.body_for(language), ticket=ticket, agent=agent)


PLACEHOLDERS = ("customer_name", "reference", "order_id", "agent_name")


def placeholders_fill(text: str, *, ticket: Ticket, agent: AbstractUser | None) -> str:
    """The canned-response placeholders {customer_name} {reference} {order_id} {agent_name} filled for one ticket
    (also the text of automation rules' replies and notes; without an agent, {agent_name} is the assignee's)."""
    agent = agent or ticket.assignee
    values = {
        "customer_name": (ticket.customer.name if ticket.customer else "") or _("customer"),
        "reference": ticket.reference,
        "order_id": ticket.order_external_id,
        "agent_name": (agent.get_full_name() or agent.get_username()) if agent is not None else "",
    }
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
