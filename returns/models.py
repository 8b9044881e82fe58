"""Returns: order snapshots, return requests with their items, the return policy, refunds.

Return status moves live in ALLOWED_MOVES and refund status moves in REFUND_MOVES; `returns.services.returns._move`
and `returns.services.refunds._move_refund` are the only code that applies them.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from tickets.models import Attachment, Customer, Storefront, Ticket, reference_of_id


class Order(models.Model):
    """The order as the storefront sent it with its first return; later returns of the order reuse it."""

    storefront = models.ForeignKey(Storefront, on_delete=models.PROTECT, related_name="orders")
    external_id = models.CharField(_("order id"), max_length=100)
    placed_at = models.DateTimeField(_("placed at"))
    delivered_at = models.DateTimeField(_("delivered at"))
    currency = models.CharField(_("currency"), max_length=3)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [models.UniqueConstraint(fields=["storefront", "external_id"], name="order_unique_external_id")]

    def __str__(self) -> str:
        return self.external_id


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    external_id = models.CharField(_("line id"), max_length=100)
    sku = models.CharField(_("SKU"), max_length=100)
    name = models.CharField(_("name"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity bought"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price paid"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["order", "external_id"], name="order_line_unique_external_id")]

    def __str__(self) -> str:
        return f"{self.external_id} {self.sku}"


class Reason(models.TextChoices):
    QUALITY_ISSUE = "quality_issue", _("Quality issue")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    DAMAGED_IN_TRANSIT = "damaged_in_transit", _("Damaged in transit")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    MISSING_PARTS = "missing_parts", _("Missing parts")
    CHANGED_MIND = "changed_mind", _("Changed mind")
    SIZE_OR_FIT = "size_or_fit", _("Size or fit")
    OTHER = "other", _("Other")


FAULT_REASONS = frozenset(
    {
        Reason.QUALITY_ISSUE,
        Reason.NOT_AS_DESCRIBED,
        Reason.DAMAGED_IN_TRANSIT,
        Reason.WRONG_ITEM,
        Reason.MISSING_PARTS,
    }
)


class Resolution(models.TextChoices):
    REFUND = "refund", _("Refund")
    EXCHANGE = "exchange", _("Exchange")
    REPAIR = "repair", _("Repair")


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    COMPLETED = "completed", _("Completed")


# The return state machine (returns.md): the only moves `returns.services.returns._move` accepts.
# approved -> rejected and rejected -> approved exist only for an agent overruling the policy's automatic decision
# (return_overrule checks that the decision was the policy's, and that a reason is given); otherwise rejected is final.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    ReturnStatus.REQUESTED: frozenset({ReturnStatus.APPROVED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED}),
    ReturnStatus.APPROVED: frozenset(
        {ReturnStatus.IN_TRANSIT, ReturnStatus.COMPLETED, ReturnStatus.CANCELLED, ReturnStatus.REJECTED}
    ),
    # api.md: the customer may withdraw the return until it is received, so also while the parcel is on its way.
    ReturnStatus.IN_TRANSIT: frozenset({ReturnStatus.RECEIVED, ReturnStatus.CANCELLED}),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.INSPECTED}),
    ReturnStatus.INSPECTED: frozenset({ReturnStatus.COMPLETED, ReturnStatus.REJECTED}),
    ReturnStatus.COMPLETED: frozenset(),
    ReturnStatus.REJECTED: frozenset({ReturnStatus.APPROVED}),
    ReturnStatus.CANCELLED: frozenset(),
}
FINAL_STATUSES = (ReturnStatus.COMPLETED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED)
# Returns that no longer claim their items: their quantities may be returned again.
RELEASED_STATUSES = (ReturnStatus.REJECTED, ReturnStatus.CANCELLED)


class Outcome(models.TextChoices):
    AUTO_APPROVED = "auto_approved", _("Approved automatically")
    NEEDS_REVIEW = "needs_review", _("Needs review")
    AUTO_REJECTED = "auto_rejected", _("Rejected automatically")
    APPROVED = "approved", _("Approved by an agent")
    REJECTED = "rejected", _("Rejected by an agent")


class ReturnPolicy(models.Model):
    """A storefront's return policy; the one without a storefront is the default for the others (returns.md)."""

    storefront = models.OneToOneField(
        Storefront,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="return_policy",
        verbose_name=_("storefront"),
    )
    no_reason_days = models.PositiveIntegerField(
        _("no-reason window (days after delivery)"),
        default=7,
        help_text=_("The item must be unused and in its original packaging."),
    )
    fault_refund_days = models.PositiveIntegerField(_("fault refund window (days)"), default=7)
    fault_exchange_days = models.PositiveIntegerField(_("fault exchange window (days)"), default=15)
    repair_days = models.PositiveIntegerField(_("repair (warranty) window (days)"), default=365)
    auto_approve_limit = models.DecimalField(
        _("auto-approve limit"), max_digits=12, decimal_places=2, default=Decimal("500.00")
    )
    returnless_limit = models.DecimalField(
        _("returnless refund limit"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("Refunds up to this amount need no item back; 0 turns it off."),
    )
    advance_refund = models.BooleanField(
        _("advance refund"), default=False, help_text=_("Refund at approval, before the item is back.")
    )

    class Meta:
        verbose_name = _("return policy")
        verbose_name_plural = _("return policies")

    def __str__(self) -> str:
        return str(self.storefront) if self.storefront_id else str(_("Default policy"))


class ReturnRequest(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.GeneratedField(
        verbose_name=_("reference"),
        expression=reference_of_id("R-"),
        output_field=models.CharField(max_length=20),
        db_persist=True,
        unique=True,
    )
    storefront = models.ForeignKey(Storefront, on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="returns", null=True, blank=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="return_request")
    resolution = models.CharField(_("resolution"), max_length=20, choices=Resolution.choices)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED)
    # The policy's decision at creation, and an agent's when they decide or overrule it.
    decision_outcome = models.CharField(_("decision"), max_length=20, choices=Outcome.choices)
    decision_rule = models.CharField(_("rule"), max_length=50)
    decision_explanation = models.TextField(_("explanation"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("agent's reason"), blank=True)
    # Set at approval from the policy: the refund is made then, before (returnless: without) the item coming back.
    returnless = models.BooleanField(_("returnless"), default=False)
    advance_refund = models.BooleanField(_("advance refund"), default=False)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    inspection_passed = models.BooleanField(_("inspection passed"), null=True, blank=True)
    inspection_notes = models.TextField(_("inspection notes"), blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    inspected_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    replacement_sku = models.CharField(_("replacement SKU"), max_length=100, blank=True)
    repair_outcome = models.TextField(_("repair outcome"), blank=True)
    refundable_amount = models.DecimalField(_("refundable amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    evidence = models.ManyToManyField(Attachment, blank=True, related_name="+", verbose_name=_("evidence"))
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        indexes = [
            models.Index(fields=["storefront", "created_at", "id"], name="return_storefront_created_idx"),
            models.Index(fields=["status", "created_at"], name="return_status_created_idx"),
            # Return rate and reasons over a period, all storefronts.
            models.Index(fields=["created_at"], name="return_created_idx"),
        ]

    def __str__(self) -> str:
        return self.reference or f"#{self.pk}"

    @cached_property
    def item_list(self) -> list["ReturnItem"]:
        """The return's items, in order (from a prefetch when there was one). A service that has just written them
        sets it, so that its answer needs no read; likewise `refund_list` and `evidence_list`."""
        return list(self.items.all())

    @cached_property
    def refund_list(self) -> list["Refund"]:
        return list(self.refunds.all())

    @cached_property
    def evidence_list(self) -> list[Attachment]:
        return list(self.evidence.all())

    def can_move_to(self, status: str) -> bool:
        return status in ALLOWED_MOVES[self.status]

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class ReturnItem(models.Model):
    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="items")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_items")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    unused = models.BooleanField(_("unused"), default=False)
    original_packaging = models.BooleanField(_("in original packaging"), default=False)
    amount = models.DecimalField(_("amount paid"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("return item")
        verbose_name_plural = _("return items")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.order_line_id}"

    @property
    def is_fault(self) -> bool:
        return self.reason in FAULT_REASONS


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


# The refund state machine: finance issues a pending refund; the storefront (or finance by hand) settles it.
REFUND_MOVES: dict[str, frozenset[str]] = {
    RefundStatus.PENDING: frozenset({RefundStatus.PROCESSING}),
    RefundStatus.PROCESSING: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.SUCCEEDED: frozenset(),
    RefundStatus.FAILED: frozenset(),
}
# Refunds that count against what may still be refunded: everything but a failed one.
COUNTED_REFUND_STATUSES = (RefundStatus.PENDING, RefundStatus.PROCESSING, RefundStatus.SUCCEEDED)


class Refund(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    return_request = models.ForeignKey(ReturnRequest, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=20, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    # Why the amount is below what was paid (a damage deduction); set whenever an agent lowers it.
    amount_reason = models.TextField(_("reason for a lower amount"), blank=True)
    due_at = models.DateTimeField(_("due at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    transaction_id = models.CharField(_("storefront's transaction id"), max_length=200, blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]
        indexes = [
            models.Index(fields=["status", "due_at"], name="refund_status_due_idx"),
            models.Index(fields=["return_request", "status"], name="refund_return_status_idx"),
            # After-sales cost: refunds that succeeded in a period.
            models.Index(fields=["settled_at"], condition=Q(status="succeeded"), name="refund_succeeded_settled_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"RF-{self.pk:06d}" if self.pk else ""

    def can_move_to(self, status: str) -> bool:
        return status in REFUND_MOVES[self.status]
