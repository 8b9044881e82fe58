"""Mailboxes (email.md "Mailboxes"): created with their secrets, and fetched over IMAP (imap-tools).

Fetching stands on the folder's UIDs: every message with a UID above the last one fetched (in the same UIDVALIDITY)
is new. Each message is kept and processed in its own transaction (`inbound_receive`), and the mailbox's last UID
moves after each batch: a fetch cut short goes on where it stopped, and whatever is fetched twice is kept once
(one row per mailbox and Message-ID).
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage

from aftersales.errors import InvalidInput
from tickets.models import ImapSecurity, InboundKind, Mailbox, Storefront, Team
from tickets.services.inbound import (
    APPENDED,
    CREATED,
    DUPLICATE,
    IGNORED,
    QUARANTINED,
    inbound_receive,
    own_addresses,
)

logger = logging.getLogger(__name__)

# The providers whose inbound webhook /inbound/<provider>/ takes (tickets.mail_views).
PROVIDERS = ("mailgun", "mailjet", "postmark", "sendgrid")
FETCH_BATCH = 100
IMAP_TIMEOUT_SECONDS = 30


@transaction.atomic
def mailbox_create(
    *,
    storefront: Storefront,
    address: str,
    imap_host: str = "",
    imap_port: int | None = None,
    imap_user: str = "",
    imap_password: str = "",
    imap_security: str = ImapSecurity.SSL,
    imap_folder: str = "INBOX",
    provider: str = "",
    webhook_secret: str = "",
    display_name: str = "",
    language: str = "",
    default_team: Team | None = None,
    send_acknowledgement: bool = False,
) -> Mailbox:
    """A mailbox that takes mail by IMAP (host, user and password) or by a provider's inbound webhook (provider and
    its signing secret)."""
    address = address.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput(_("Enter a valid e-mail address."), field="address") from None
    if Mailbox.objects.filter(address__iexact=address).exists():
        raise InvalidInput(_("A mailbox with this address exists already."), field="address")
    if provider:
        if provider not in PROVIDERS:
            raise InvalidInput(_("Unknown provider %(provider)s.") % {"provider": provider}, field="provider")
        if not webhook_secret:
            raise InvalidInput(_("A provider's mailbox needs its webhook secret."), field="webhook_secret")
        inbound = InboundKind.PROVIDER
    else:
        if not (imap_host and imap_user and imap_password):
            raise InvalidInput(_("An IMAP mailbox needs its host, user and password."), field="imap_host")
        if imap_security not in ImapSecurity.values:
            raise InvalidInput(_("Unknown IMAP security."), field="imap_security")
        inbound = InboundKind.IMAP
    default_port = {ImapSecurity.SSL: 993}.get(imap_security, 143)
    return Mailbox.objects.create(
        storefront=storefront,
        address=address,
        inbound=inbound,
        imap_host=imap_host if inbound == InboundKind.IMAP else "",
        imap_port=(imap_port or default_port) if inbound == InboundKind.IMAP else None,
        imap_user=imap_user,
        imap_password=imap_password,
        imap_security=imap_security,
        imap_folder=imap_folder or "INBOX",
        provider=provider,
        webhook_secret=webhook_secret,
        display_name=display_name or storefront.name,
        language=language or storefront.language,
        default_team=default_team,
        send_acknowledgement=send_acknowledgement,
    )


@dataclass
class FetchCounts:
    fetched: int = 0
    created: int = 0
    appended: int = 0
    ignored: int = 0
    quarantined: int = 0

    def add(self, outcome: str) -> None:
        self.fetched += 1
        if outcome == CREATED:
            self.created += 1
        elif outcome == APPENDED:
            self.appended += 1
        elif outcome in (IGNORED, DUPLICATE):
            self.ignored += 1
        elif outcome == QUARANTINED:
            self.quarantined += 1

    def __iadd__(self, other: "FetchCounts") -> "FetchCounts":
        for name in ("fetched", "created", "appended", "ignored", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    def as_dict(self) -> dict[str, int]:
        return {
            "fetched": self.fetched,
            "created": self.created,
            "appended": self.appended,
            "ignored": self.ignored,
            "quarantined": self.quarantined,
        }


class RawMailMessage(MailMessage):
    """imap-tools' message with the bytes as fetched: they are what is kept."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        self.raw = self._get_message_data_parts(fetch_data)[0]


def _connect(mailbox: Mailbox) -> BaseMailBox:
    kind = {ImapSecurity.SSL: MailBox, ImapSecurity.STARTTLS: MailBoxStartTls}.get(
        mailbox.imap_security, MailBoxUnencrypted
    )
    client = kind(mailbox.imap_host, port=mailbox.imap_port, timeout=IMAP_TIMEOUT_SECONDS)
    client.email_message_class = RawMailMessage
    return client.login(mailbox.imap_user, mailbox.imap_password, initial_folder=mailbox.imap_folder)


def mailbox_fetch(*, mailbox: Mailbox, now: datetime | None = None) -> FetchCounts:
    """Fetch and process the mailbox's new messages. A server that cannot be reached or refuses the login is noted
    on the mailbox (never with its password) and raised for the caller."""
    counts = FetchCounts()
    try:
        with _connect(mailbox) as client:
            status = client.folder.status(mailbox.imap_folder, ["UIDVALIDITY"])
            validity = status.get("UIDVALIDITY")
            if validity != mailbox.imap_uidvalidity:
                # A new folder (or one rebuilt by the server): every message is looked at again; those kept already
                # are recognised by their Message-ID.
                mailbox.imap_uidvalidity, mailbox.imap_last_uid = validity, 0
            uids = [
                uid
                for uid in client.uids(AND(uid=f"{mailbox.imap_last_uid + 1}:*"))
                if int(uid) > mailbox.imap_last_uid
            ]
            ours = own_addresses()
            for start in range(0, len(uids), FETCH_BATCH):
                batch = uids[start : start + FETCH_BATCH]
                for message in client.fetch(uid_list=batch, mark_seen=False, bulk=True):
                    counts.add(inbound_receive(mailbox=mailbox, raw=message.raw, own=ours, now=now))
                mailbox.imap_last_uid = max(int(uid) for uid in batch)
                mailbox.save(update_fields=["imap_uidvalidity", "imap_last_uid"])
    except Exception as error:
        mailbox.last_error = f"{type(error).__name__}: {str(error)[:200]}".replace(mailbox.imap_password or "\0", "***")
        mailbox.last_fetched_at = timezone.now()
        mailbox.save(update_fields=["imap_uidvalidity", "imap_last_uid", "last_error", "last_fetched_at"])
        raise
    mailbox.last_error = ""
    mailbox.last_fetched_at = timezone.now()
    mailbox.save(update_fields=["imap_uidvalidity", "imap_last_uid", "last_error", "last_fetched_at"])
    return counts


def mailboxes_fetch(*, mailbox_id: int | None = None, now: datetime | None = None) -> FetchCounts:
    """Fetch every active IMAP mailbox (or one); a mailbox that fails is logged and the others go on."""
    mailboxes = Mailbox.objects.filter(inbound=InboundKind.IMAP, is_active=True).select_related("storefront")
    if mailbox_id is not None:
        mailboxes = Mailbox.objects.filter(pk=mailbox_id).select_related("storefront")
    total = FetchCounts()
    for mailbox in mailboxes.order_by("id"):
        try:
            total += mailbox_fetch(mailbox=mailbox, now=now)
        except Exception as error:
            logger.warning("Mailbox %s could not be fetched: %s", mailbox.pk, type(error).__name__)
    return total
