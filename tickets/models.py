"""The ticket core: storefronts, customers, teams, tickets, messages, events.

Status moves live in ALLOWED_MOVES; `tickets.services.tickets.ticket_change_status` is the one function that
applies them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Cast, Concat, Lower, LPad
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from tickets.masking import customer_label


def reference_of_id(prefix: str) -> models.Expression:
    """The human reference a row carries from its insert on: `prefix` and its id, zero-padded to six digits
    (T-000123), longer ids as they are. A generated column: unique without a counter every create would lock, and
    written by the INSERT itself."""
    digits = Cast("id", models.CharField())
    return Concat(
        Value(prefix),
        Case(When(id__lt=1_000_000, then=LPad(digits, 6, Value("0"))), default=digits),
        output_field=models.CharField(),
    )


class Storefront(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    # Standard Webhooks secret ("whsec_" + base64); signs every delivery to this storefront.
    webhook_secret = models.CharField(_("webhook secret"), max_length=100)
    language = models.CharField(_("customer language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("storefront")
        verbose_name_plural = _("storefronts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A storefront's API key. Only a SHA-256 of the key is stored; the prefix finds the row."""

    storefront = models.ForeignKey(
        Storefront, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("storefront")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    hashed_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.storefront} {self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_zh = models.CharField(_("name in Chinese"), max_length=100, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, verbose_name=_("members")
    )
    is_default = models.BooleanField(_("default team"), default=False, help_text=_("Catches what no rule routes."))

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_team")
        ]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """Per-user desk preferences: language, time zone, availability for auto-assignment."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)
    is_available = models.BooleanField(_("available for new tickets"), default=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)


class Customer(models.Model):
    storefront = models.ForeignKey(Storefront, on_delete=models.PROTECT, related_name="customers")
    external_id = models.CharField(_("storefront's customer id"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When their personal data was first erased on request (tickets.services.privacy.customer_erase).
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["storefront", "external_id"], condition=~Q(external_id=""), name="customer_unique_external_id"
            )
        ]
        indexes = [models.Index(fields=["email"]), models.Index(fields=["phone"])]

    def __str__(self) -> str:
        # Masked contact details: this is what lists, the admin and the desk API's return rows show.
        return customer_label(self) or f"#{self.pk}"


class Kind(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    RETURN = "return", _("Return")
    COMPLAINT = "complaint", _("Complaint")


class Category(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("Product quality")
    LOGISTICS = "logistics", _("Logistics")
    POLICY = "policy", _("Policy")
    PAYMENT = "payment", _("Payment")
    ACCOUNT = "account", _("Account")
    SERVICE = "service", _("Service")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social")
    API = "api", _("API")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# The ticket state machine: the only moves `ticket_change_status` accepts.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.RESOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.RESOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Tag(models.Model):
    """A free-text label agents put on tickets. One row per name whatever its case: the first spelling stays."""

    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    reference = models.GeneratedField(
        verbose_name=_("reference"),
        expression=reference_of_id("T-"),
        output_field=models.CharField(max_length=20),
        db_persist=True,
        unique=True,
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INQUIRY)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.OTHER)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices, default=Severity.MINOR)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.API)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    storefront = models.ForeignKey(Storefront, on_delete=models.PROTECT, related_name="tickets")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets", null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    order_external_id = models.CharField(_("order id"), max_length=100, blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="tickets", null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assigned_tickets", null=True, blank=True
    )
    # Set when a person assigned the ticket: routing then leaves it alone.
    assigned_by_hand = models.BooleanField(default=False)
    # A customer writing to a closed ticket opens a new one linked here.
    previous_ticket = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The soonest deadline among the ticket's running SLA clocks; the queue's default order.
    next_due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    # The soonest warning point among the same clocks: at risk = next_warn_at <= now < next_due_at.
    next_warn_at = models.DateTimeField(_("next warning"), null=True, blank=True)
    # Wall-clock time spent waiting on the customer (`pending`), summed when the ticket leaves pending: processing
    # time = resolved_at - created_at - pending_seconds, computed in SQL by the reports.
    pending_since = models.DateTimeField(_("pending since"), null=True, blank=True)
    pending_seconds = models.PositiveIntegerField(_("time pending (seconds)"), default=0)
    # Since when the ticket has had its status (set by the mover); time rules count from it and fire once per stay.
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    # The last message from the customer and the last public reply by a person: time rules' hours_since.
    customer_replied_at = models.DateTimeField(_("customer replied at"), null=True, blank=True)
    agent_replied_at = models.DateTimeField(_("agent replied at"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, related_name="tickets", blank=True, verbose_name=_("tags"))
    # Set when the ticket was merged into another (it is then closed): storefronts are pointed there, and their
    # messages land there.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_sources",
        verbose_name=_("merged into"),
    )
    # Related tickets, both ways (a link is one pair whichever side made it).
    links = models.ManyToManyField("self", symmetrical=True, blank=True, verbose_name=_("linked tickets"))

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # The queue: open tickets by urgency, per team and per assignee.
            models.Index(fields=["next_due_at", "id"], name="ticket_due_idx"),
            models.Index(fields=["team", "next_due_at", "id"], name="ticket_team_due_idx"),
            models.Index(fields=["assignee", "next_due_at", "id"], name="ticket_assignee_due_idx"),
            # One agent's open tickets: the queue's Mine scope, and auto-assignment's count per agent.
            models.Index(fields=["assignee"], condition=Q(status__in=OPEN_STATUSES), name="ticket_assignee_open_idx"),
            models.Index(fields=["status", "next_due_at", "id"], name="ticket_status_due_idx"),
            models.Index(fields=["storefront", "created_at"], name="ticket_storefront_created_idx"),
            models.Index(fields=["order_external_id"], name="ticket_order_idx"),
            models.Index(fields=["status", "resolved_at"], name="ticket_status_resolved_idx"),
            models.Index(fields=["created_at"], name="ticket_created_idx"),
            # Reports and KPIs scoped to one team: its tickets created, and resolved, in a period.
            models.Index(fields=["team", "created_at"], name="ticket_team_created_idx"),
            models.Index(fields=["team", "status", "resolved_at"], name="ticket_team_resolved_idx"),
            # Time rules: the tickets in a status for longer than a rule's hours.
            models.Index(fields=["status", "status_changed_at"], name="ticket_status_since_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    def can_move_to(self, status: str) -> bool:
        return status in ALLOWED_MOVES[self.status]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MessageKind(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    CUSTOMER = "customer", _("Customer message")
    INTERNAL = "internal", _("Internal note")


# Replies, notes and customer messages: the same limit in the API, the desk forms and the services.
MESSAGE_BODY_MAX = 20_000


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    body = models.TextField(_("body"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.API)
    created_at = models.DateTimeField(_("created at"))
    # The ticket the message was written on before that ticket was merged into this one.
    merged_from = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("merged from")
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_created_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind != MessageKind.INTERNAL

    @cached_property
    def attachment_list(self) -> list["Attachment"]:
        """The message's attachments (from a prefetch when there was one). A service that has just written the
        message sets it, so that its answer needs no read."""
        return list(self.attachments.all())


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.ticket.public_id}/{uuid.uuid4().hex}/{filename}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments", null=True, blank=True)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ASSIGNED = "assigned", _("Assigned")
    REPLIED = "replied", _("Replied")
    CUSTOMER_MESSAGE = "customer_message", _("Customer message")
    NOTE = "note", _("Internal note")
    STATUS_CHANGED = "status_changed", _("Status changed")
    SEVERITY_CHANGED = "severity_changed", _("Severity changed")
    CATEGORY_CHANGED = "category_changed", _("Category changed")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breach")
    ESCALATION = "escalation", _("Escalation")
    MERGED = "merged", _("Merged")
    LINKED = "linked", _("Linked")
    TAGS_CHANGED = "tags_changed", _("Tags changed")
    SPLIT = "split", _("Split")
    RETURN = "return", _("Return")
    REFUND = "refund", _("Refund")
    COMPLAINT = "complaint", _("Complaint")
    SURVEY_ANSWERED = "survey_answered", _("Customer answered the survey")
    # Personal data (tickets.services.privacy): a supervisor saw the full contact details, the customer's data was
    # erased on request, attachments were deleted after the retention period.
    CONTACT_REVEALED = "contact_revealed", _("Contact details revealed")
    DATA_ERASED = "data_erased", _("Personal data erased")
    ATTACHMENTS_DELETED = "attachments_deleted", _("Attachments deleted")
    # An automation rule (trigger, time rule, SLA escalation) or a macro acted on the ticket; data names the rule.
    AUTOMATION = "automation", _("Automation rule")
    # The e-mail channel: a reply's mail could not be delivered (a bounce, or the mail server refused it).
    EMAIL_FAILED = "email_failed", _("E-mail not delivered")


class ActorType(models.TextChoices):
    USER = "user", _("Staff")
    STOREFRONT = "storefront", _("Storefront")
    SYSTEM = "system", _("System")


class TicketEvent(models.Model):
    """The append-only audit trail of a ticket; written only by services, never updated or deleted."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)
    actor_type = models.CharField(max_length=20, choices=ActorType.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    actor_storefront = models.ForeignKey(Storefront, on_delete=models.PROTECT, null=True, blank=True)
    message = models.ForeignKey(Message, on_delete=models.PROTECT, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="event_ticket_created_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"


class CannedResponse(models.Model):
    """A team's standard wording, in English and in Simplified Chinese; the customer's language picks the text.
    Placeholders: {customer_name} {reference} {order_id} {agent_name}."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="canned_responses", null=True, blank=True)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("body (English)"))
    body_zh = models.TextField(
        _("body (Simplified Chinese)"), blank=True, help_text=_("For customers writing in Chinese; English if empty.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def body_for(self, language: str) -> str:
        """The text for a customer of this language: the Chinese one for zh-hans when written, else the English."""
        return self.body_zh if language == "zh-hans" and self.body_zh.strip() else self.body


class TicketCriteria(models.Model):
    """Conditions on a ticket's own fields, each optional: a rule whose set conditions all match a ticket applies to
    it. Routing rules and SLA policies are ordered lists of these; the first match wins."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    storefront = models.ForeignKey(Storefront, on_delete=models.CASCADE, null=True, blank=True)

    class Meta:
        abstract = True

    def matches(self, ticket: Ticket) -> bool:
        return (
            (not self.kind or self.kind == ticket.kind)
            and (not self.category or self.category == ticket.category)
            and (not self.severity or self.severity == ticket.severity)
            and (not self.channel or self.channel == ticket.channel)
            and (self.storefront_id is None or self.storefront_id == ticket.storefront_id)
        )


class RoutingRule(TicketCriteria):
    """Ordered rules; the first whose set conditions all match picks the team."""

    position = models.PositiveIntegerField(_("position"), default=100)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="routing_rules")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"#{self.position} -> {self.team}"


class WebhookStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """The outbox: written in the transaction of the change it reports, sent by a Celery task.

    Deliveries sharing an `ordering_key` (one ticket, with its return) go out in creation order: a later one waits
    while an earlier one is still pending.
    """

    storefront = models.ForeignKey(Storefront, on_delete=models.CASCADE, related_name="webhook_deliveries")
    event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(_("event"), max_length=50)
    ordering_key = models.CharField(max_length=100, blank=True)
    payload = models.JSONField()
    status = models.CharField(_("status"), max_length=20, choices=WebhookStatus.choices, default=WebhookStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    # Retries stop here (24 hours after the first attempt, or after a resend from the admin).
    give_up_at = models.DateTimeField(_("give up at"))
    last_status_code = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_pending_due_idx"),
            models.Index(fields=["storefront", "ordering_key", "created_at"], name="webhook_ordering_idx"),
            # /metrics counts the failed ones at every scrape.
            models.Index(fields=["created_at"], condition=Q(status="failed"), name="webhook_failed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class IdempotencyRecord(models.Model):
    """The stored answer to a POST sent with an Idempotency-Key, per (storefront or user, key), for 24 hours."""

    owner = models.CharField(max_length=50)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveIntegerField()
    body = models.JSONField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class SalesStat(models.Model):
    """A storefront's orders and revenue on one day (its own calendar day), posted through the API: the denominator
    of the return rate, the complaint rate and the after-sales cost."""

    storefront = models.ForeignKey(Storefront, on_delete=models.CASCADE, related_name="sales_stats")
    date = models.DateField(_("date"))
    orders = models.PositiveIntegerField(_("orders"))
    revenue = models.DecimalField(_("revenue"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("daily sales")
        verbose_name_plural = _("daily sales")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["storefront", "date"], name="sales_stat_one_per_day"),
            models.CheckConstraint(condition=Q(revenue__gte=0), name="sales_stat_revenue_not_negative"),
        ]
        indexes = [models.Index(fields=["date", "storefront"], name="sales_stat_date_idx")]

    def __str__(self) -> str:
        return f"{self.storefront} {self.date}"


SURVEY_DIMENSIONS = ("response_speed", "attitude", "resolution_efficiency", "process_convenience", "channel")


def _score_field(label: object) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, null=True, blank=True)


class Survey(models.Model):
    """The satisfaction survey sent when a ticket is resolved. The token is the customer's only key to it: long,
    random, single use, and void after `expires_at`."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    # The ticket's assignee when it was resolved (the survey is created then): the reports' satisfaction per agent
    # reads the surveys alone. Kept if the ticket is later reassigned: the answer rates that resolution.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # Set when the e-mail with the link went out (claimed before sending: a second run of the task sends nothing).
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    overall = _score_field(_("overall"))
    response_speed = _score_field(_("response speed"))
    attitude = _score_field(_("attitude"))
    resolution_efficiency = _score_field(_("resolution efficiency"))
    process_convenience = _score_field(_("process convenience"))
    channel = _score_field(_("channel"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(overall__gte=1, overall__lte=5),
                name="survey_answered_has_overall",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"survey_{name}_1_to_5",
                )
                for name in ("overall", *SURVEY_DIMENSIONS)
            ),
        ]
        indexes = [
            models.Index(fields=["answered_at"], condition=Q(answered_at__isnull=False), name="survey_answered_idx"),
            models.Index(fields=["ticket", "created_at"], name="survey_ticket_idx"),
            # The e-mail catch-up looks only at recent surveys not yet e-mailed.
            models.Index(fields=["created_at"], condition=Q(emailed_at__isnull=True), name="survey_not_emailed_idx"),
        ]

    def __str__(self) -> str:
        return f"survey {self.pk} of {self.ticket_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


# --- SLA: policies, business calendars and the clocks that measure each ticket against them -----------------------


class Metric(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")
    REFUND = "refund", _("Refund")


def default_working_hours() -> dict[str, list[list[str]]]:
    """Monday to Friday, 09:00-18:00 (weekday numbers as strings, Monday = "0")."""
    return {str(day): [["09:00", "18:00"]] for day in range(5)}


class BusinessCalendar(models.Model):
    """When the clock runs for policies that count business time.

    `working_hours` maps a weekday ("0" = Monday ... "6" = Sunday) to local intervals [["09:00", "12:00"], ...];
    "24:00" ends a day. Holidays and make-up working days are `CalendarDay` rows; `holiday_country` adds that
    country's public holidays from the `holidays` package. A make-up working day uses Monday's hours.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    working_hours = models.JSONField(_("working hours"), default=default_working_hours)
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=8,
        blank=True,
        help_text=_("ISO country code, e.g. CN; leave empty to list holidays by hand only."),
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday")
    WORKING_DAY = "working_day", _("Make-up working day")


class CalendarDay(models.Model):
    """A date that differs from the weekly pattern: a holiday, or a weekend day worked to make up for one."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=CalendarDayKind.choices, default=CalendarDayKind.HOLIDAY)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class SlaPolicy(TicketCriteria):
    """Ordered; the first active policy whose set conditions all match a ticket applies to it.

    Targets are minutes of working time in the policy's calendar (none = 24x7); an empty target = not tracked.
    The refund clock counts in `refund_calendar` when set (business days), else in `calendar`.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("business calendar"),
        help_text=_("Empty: the clocks run around the clock (24x7)."),
    )
    refund_calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refund calendar"),
        help_text=_("Business days for the refund target; empty: the policy's calendar."),
    )
    acknowledgement_minutes = models.PositiveIntegerField(_("acknowledgement target (minutes)"), null=True, blank=True)
    response_minutes = models.PositiveIntegerField(_("response target (minutes)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"), null=True, blank=True)
    refund_minutes = models.PositiveIntegerField(
        _("refund target (working minutes)"),
        null=True,
        blank=True,
        help_text=_("3 business days of 9 hours = 1620."),
    )
    warning_percent = models.PositiveSmallIntegerField(_("warning at (% of target)"), default=75)
    # What escalation levels 2 and 3 do besides their alert (automation.md): actions of the vocabulary
    # (tickets.services.actions), e.g. [{"type": "assign_agent", "value": "lead"}, {"type": "set_severity", ...}].
    level2_actions = models.JSONField(_("escalation level 2 actions"), default=list, blank=True)
    level3_actions = models.JSONField(_("escalation level 3 actions"), default=list, blank=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def target_minutes(self, metric: str) -> int | None:
        return getattr(self, f"{metric}_minutes")

    def calendar_id_for(self, metric: str) -> int | None:
        if metric == Metric.REFUND and self.refund_calendar_id is not None:
            return self.refund_calendar_id
        return self.calendar_id


# A running clock: started, not stopped. The sweep reads only these, through the partial indexes below.
RUNNING = Q(stopped_at__isnull=True, paused_at__isnull=True)


class SlaClock(models.Model):
    """One measured deadline of a ticket. All instants are computed in Python when the clock starts, pauses, resumes
    or its policy changes; the sweep then needs nothing but indexed comparisons with now.

    `paused_seconds` is the working time spent paused (plain seconds on 24x7), so
    due_at = start + target + paused_seconds counted in working time. Escalation level 2 falls due one more
    target length after due_at, level 3 two more.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="clocks")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    # Tells apart several clocks of one metric on a ticket (e.g. one refund clock per refund); "" for the rest.
    key = models.CharField(max_length=64, blank=True, default="")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The ticket's team, copied while the clock runs (and frozen when it stops): per-team SLA figures then read
    # the clocks alone, without joining a million tickets.
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    target_minutes = models.PositiveIntegerField(_("target (minutes)"))
    started_at = models.DateTimeField(_("started at"))
    warn_at = models.DateTimeField(_("warning at"))
    due_at = models.DateTimeField(_("due at"))
    escalate2_at = models.DateTimeField(_("escalation level 2 at"))
    escalate3_at = models.DateTimeField(_("escalation level 3 at"))
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("paused (seconds)"), default=0)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "key"], condition=Q(stopped_at__isnull=True), name="sla_clock_one_running"
            )
        ]
        indexes = [
            models.Index(fields=["ticket", "started_at"], name="sla_clock_ticket_idx"),
            # The sweep's four steps, each limited to the running clocks still owed that step.
            models.Index(fields=["warn_at"], condition=RUNNING & Q(warned_at__isnull=True), name="sla_clock_warn_idx"),
            models.Index(fields=["due_at"], condition=RUNNING & Q(breached_at__isnull=True), name="sla_clock_due_idx"),
            models.Index(
                fields=["escalate2_at"], condition=RUNNING & Q(escalation_level__lt=2), name="sla_clock_esc2_idx"
            ),
            models.Index(
                fields=["escalate3_at"], condition=RUNNING & Q(escalation_level__lt=3), name="sla_clock_esc3_idx"
            ),
            # The dashboard's counts now and its compliance figures.
            models.Index(fields=["warned_at", "breached_at"], condition=RUNNING, name="sla_clock_running_idx"),
            # The reports' and KPIs' clocks stopped in a period, answered from the index alone (PostgreSQL INCLUDE;
            # a plain index on stopped_at elsewhere): the counts per day and metric, the team scope, the deadline.
            models.Index(
                fields=["stopped_at"], include=["metric", "due_at", "team", "ticket"], name="sla_clock_stopped_cov_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} on {self.ticket_id}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def met(self) -> bool | None:
        """True: stopped in time; False: stopped late; None: still running."""
        if self.stopped_at is None:
            return None
        return self.stopped_at <= self.due_at


class StaffToken(models.Model):
    """A staff user's API token (`Authorization: Token <token>`). As with storefront keys, only a SHA-256 of the
    token is stored and the prefix finds the row; the token itself is shown once, when it is issued. A user has at
    most one active token: issuing a new one (rotation) revokes the old."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_tokens")
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    hashed_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff API token")
        verbose_name_plural = _("staff API tokens")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="staff_token_one_active_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# --- Automation (automation.md): chat channels and their deliveries ----------------------------------------------


class ChatKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk custom robot")
    FEISHU = "feishu", _("Feishu custom bot")
    GENERIC = "generic", _("Generic JSON")


class ChatChannel(models.Model):
    """A chat group's robot that alerts and `notify` actions post to, in the format of its kind, in its language."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ChatKind.choices)
    url = models.URLField(_("webhook URL"), max_length=500)
    # DingTalk's and Feishu's signing secret; empty: the robot checks keywords or IPs instead.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChatDelivery(models.Model):
    """One message to a chat channel: written in the transaction of what raised it, posted by a Celery task with
    retries (as webhook deliveries); the log of what went out. The body is built at each attempt, in the channel's
    format, since DingTalk and Feishu sign the time of sending."""

    channel = models.ForeignKey(ChatChannel, on_delete=models.CASCADE, related_name="deliveries")
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=WebhookStatus.choices, default=WebhookStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    give_up_at = models.DateTimeField(_("give up at"))
    last_status_code = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("chat delivery")
        verbose_name_plural = _("chat deliveries")
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="chat_pending_due_idx"),
            models.Index(fields=["channel", "-created_at"], name="chat_channel_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.title}"


# --- Automation rules: triggers (on events) and time rules (on elapsed time) --------------------------------------


class TriggerEvent(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_CUSTOMER_REPLIED = "ticket.customer_replied", _("Customer replied")
    TICKET_AGENT_REPLIED = "ticket.agent_replied", _("Agent replied")
    TICKET_STATUS_CHANGED = "ticket.status_changed", _("Status changed")
    TICKET_ASSIGNED = "ticket.assigned", _("Ticket assigned")
    RETURN_CREATED = "return.created", _("Return created")
    RETURN_DECIDED = "return.decided", _("Return decided")
    COMPLAINT_CREATED = "complaint.created", _("Complaint created")
    COMPLAINT_MOVED = "complaint.moved", _("Complaint moved")
    SLA_WARNING = "sla.warning", _("SLA warning")
    SLA_BREACHED = "sla.breached", _("SLA breached")


def empty_conditions() -> dict[str, list]:
    return {"all": [], "any": []}


class AutomationRule(models.Model):
    """What triggers and time rules share: conditions ({"all": [...], "any": [...]}) and actions (the vocabulary of
    tickets.services.actions), both checked by the services before they are saved."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=100)
    conditions = models.JSONField(_("conditions"), default=empty_conditions)
    actions = models.JSONField(_("actions"), default=list)
    # Failures since the last success; at settings.AUTOMATION_MAX_FAILURES the rule is switched off with an alert.
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class BulkJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class BulkJob(models.Model):
    """A bulk action over more tickets than one request answers (workspace.md: over 100, up to 10,000), run by a
    Celery task in batches; each ticket is changed in its own transaction together with its result row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bulk_jobs")
    # The actions as the vocabulary's {"type", "value"} list, checked when the job was made.
    actions = models.JSONField(_("actions"), default=list)
    # The tickets chosen when the job was made (the references given, or all matching a filter then), in id order.
    ticket_ids = models.JSONField(default=list)
    status = models.CharField(_("status"), max_length=20, choices=BulkJobStatus.choices, default=BulkJobStatus.QUEUED)
    total = models.PositiveIntegerField(_("tickets"), default=0)
    succeeded = models.PositiveIntegerField(_("done"), default=0)
    failed = models.PositiveIntegerField(_("refused"), default=0)
    created_at = models.DateTimeField(_("created at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")

    def __str__(self) -> str:
        return f"bulk {self.pk} ({self.succeeded + self.failed}/{self.total})"


class BulkJobResult(models.Model):
    """What a bulk job did to one ticket: written in the ticket's own transaction, so a re-run of the job skips the
    tickets it already did and never does one twice."""

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="results")
    # Empty for a reference that named no ticket (refused when the job was made).
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    reference = models.CharField(_("reference"), max_length=20)
    ok = models.BooleanField(_("done"))
    error = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("bulk action result")
        verbose_name_plural = _("bulk action results")
        constraints = [models.UniqueConstraint(fields=["job", "ticket"], name="bulk_result_once_per_ticket")]

    def __str__(self) -> str:
        return f"{self.reference}: {'ok' if self.ok else self.error}"


class SavedView(models.Model):
    """A queue tab of its own (workspace.md): filters, sort and columns, personal (`team` empty: its owner's) or a
    team's (seen by every member). Checked by tickets.services.views before it is saved."""

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views", verbose_name=_("owner")
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="saved_views", verbose_name=_("team")
    )
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    sort = models.CharField(_("sort"), max_length=20, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=100)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["position", "name", "id"]
        indexes = [models.Index(fields=["owner"], condition=Q(team__isnull=True), name="saved_view_personal_idx")]

    def __str__(self) -> str:
        return self.name


class Trigger(AutomationRule):
    event = models.CharField(_("event"), max_length=40, choices=TriggerEvent.choices)

    class Meta(AutomationRule.Meta):
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")


class TriggerFiring(models.Model):
    """One firing of a trigger on a ticket (insert-only: counting firings never contends on the rule's row)."""

    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40)
    fired_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["trigger", "fired_at"], name="trigger_firing_idx")]

    def __str__(self) -> str:
        return f"{self.trigger_id} on {self.ticket_id}"


class TimeRule(AutomationRule):
    class Meta(AutomationRule.Meta):
        verbose_name = _("time rule")
        verbose_name_plural = _("time rules")


class TimeRuleFiring(models.Model):
    """A time rule fired on a ticket in one state: the status and since when the ticket has been in it. Unique: with
    several workers checking at once, a rule acts on a ticket once per stay in a state; after the ticket leaves and
    re-enters the state, `state_since` differs and it may fire again."""

    rule = models.ForeignKey(TimeRule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20)
    state_since = models.DateTimeField()
    fired_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "ticket", "state_since"], name="time_rule_once_per_state")
        ]
        indexes = [models.Index(fields=["rule", "fired_at"], name="time_rule_firing_idx")]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.ticket_id}"


class MacroScope(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    TEAM = "team", _("Team")
    GLOBAL = "global", _("Global")


class Macro(models.Model):
    """A named, ordered list of actions of the vocabulary (tickets.services.actions), applied by an agent to a ticket
    in one go (workspace.md). Personal (its owner's), a team's, or global; reply and note texts per language."""

    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=20, choices=MacroScope.choices, default=MacroScope.PERSONAL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="macros", verbose_name=_("owner")
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="macros", verbose_name=_("team")
    )
    # The vocabulary's [{"type", "value"}], checked when saved.
    actions = models.JSONField(_("actions"), default=list)
    # Off: in the desk, the reply's text lands in the reply box for editing instead of being sent.
    send_reply = models.BooleanField(_("send the reply"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=100)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["position", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="team", team__isnull=False) | (~Q(scope="team") & Q(team__isnull=True)),
                name="macro_team_scope_has_team",
            )
        ]

    def __str__(self) -> str:
        return self.name


# The e-mail channel (email.md), in its own module.
from tickets.mail_models import (  # noqa: E402, F401
    ImapSecurity,
    InboundKind,
    InboundMessage,
    InboundStatus,
    Mailbox,
    OutboundEmail,
    OutboundKind,
    OutboundStatus,
)
