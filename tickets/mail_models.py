"""The e-mail channel's rows (email.md): mailboxes, every message that came in (kept raw), and the mail outbox.

Imported by `tickets.models`, so Django finds them there.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class InboundKind(models.TextChoices):
    IMAP = "imap", _("IMAP")
    PROVIDER = "provider", _("Provider's inbound webhook")


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("TLS from the start (IMAPS)")
    STARTTLS = "starttls", _("STARTTLS")
    PLAIN = "plain", _("None (local servers only)")


class Mailbox(models.Model):
    """A storefront's service address: how its mail comes in, and how replies from it look."""

    storefront = models.ForeignKey("tickets.Storefront", on_delete=models.CASCADE, related_name="mailboxes")
    address = models.EmailField(_("address"), max_length=254, unique=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    default_team = models.ForeignKey(
        "tickets.Team",
        verbose_name=_("default team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("New tickets go here when no routing rule says otherwise."),
    )
    inbound = models.CharField(_("mail comes in by"), max_length=20, choices=InboundKind.choices)
    imap_host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), null=True, blank=True)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_user = models.CharField(_("IMAP user"), max_length=200, blank=True)
    # Needed in clear to log in; never shown again after saving (the admin's form leaves it empty), never logged.
    imap_password = models.CharField(_("IMAP password"), max_length=200, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    # The provider's webhook signing key; as the password, never shown again.
    webhook_secret = models.CharField(_("webhook secret"), max_length=200, blank=True)
    plus_addressing = models.BooleanField(
        _("plus-addressing"), default=True, help_text=_("Replies go to service+T-000123@…, which threads them.")
    )
    send_acknowledgement = models.BooleanField(_("acknowledge new tickets by e-mail"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Where fetching stands: messages with a UID above `imap_last_uid` in this UIDVALIDITY are new.
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    imap_last_uid = models.BigIntegerField(default=0, editable=False)
    last_fetched_at = models.DateTimeField(_("last fetched at"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[-1]

    def reply_address(self, reference: str) -> str:
        """Where the customer's answers to a ticket go: service+T-000123@shop.example when plus-addressing is on."""
        if not self.plus_addressing:
            return self.address
        local, domain = self.address.rsplit("@", 1)
        return f"{local}+{reference}@{domain}"


class InboundStatus(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")
    QUARANTINED = "quarantined", _("Quarantined")


class InboundMessage(models.Model):
    """Every message that came in, raw, once per mailbox and Message-ID: nothing is ever lost."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="inbound_messages")
    message_id = models.CharField(_("Message-ID"), max_length=500)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received at"))
    size = models.PositiveIntegerField(_("size"), default=0)
    raw = models.BinaryField(_("raw message"))
    status = models.CharField(_("status"), max_length=20, choices=InboundStatus.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_messages"
    )
    ticket_message = models.ForeignKey(
        "tickets.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_messages"
    )
    # Whether it opened its ticket (the per-sender limit counts these).
    opened_ticket = models.BooleanField(default=False)
    # The whole text as the customer sent it (the ticket's message holds the new text only), and its HTML sanitised.
    full_text = models.TextField(_("full text"), blank=True)
    safe_html = models.TextField(_("HTML (sanitised)"), blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "message_id"], name="inbound_once_per_mailbox"),
        ]
        indexes = [
            models.Index(fields=["message_id"], name="inbound_message_id_idx"),
            models.Index(fields=["from_address", "received_at"], name="inbound_sender_idx"),
            models.Index(fields=["received_at"], condition=Q(status="quarantined"), name="inbound_quarantine_idx"),
        ]

    def __str__(self) -> str:
        return self.message_id


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")


class OutboundEmail(models.Model):
    """The mail outbox: written in the transaction of the reply it carries, sent after commit by a task with
    retries (and by the beat catch-up when the broker was down)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="outbound_emails")
    ticket_message = models.ForeignKey(
        "tickets.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="outbound_emails"
    )
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="outbound_emails")
    kind = models.CharField(_("kind"), max_length=20, choices=OutboundKind.choices, default=OutboundKind.REPLY)
    message_id = models.CharField(_("Message-ID"), max_length=500, unique=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to_address = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=500)
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=20, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(kind="acknowledgement"), name="outbound_one_acknowledgement"
            )
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="outbound_pending_idx"),
            models.Index(fields=["ticket", "created_at"], name="outbound_ticket_idx"),
        ]

    def __str__(self) -> str:
        return self.message_id
