"""Complaints: a ticket (kind `complaint`) with its own workflow, owned by a department, ending in an archived
record with a root cause (complaints.md).

The workflow's allowed moves live in ALLOWED_MOVES; `complaints.services._move` is the only code that applies them.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.models import Severity, Team, Ticket, reference_of_id

DEFAULT_CURRENCY = getattr(settings, "DEFAULT_CURRENCY", "CNY")


class ComplaintCategory(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("Product quality")
    LOGISTICS = "logistics", _("Logistics")
    SERVICE = "service", _("Service")
    PAYMENT = "payment", _("Payment")
    ACCOUNT = "account", _("Account")
    OTHER = "other", _("Other")


class Department(models.TextChoices):
    PRODUCT = "product", _("Product")
    LOGISTICS = "logistics", _("Logistics")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    FINANCE = "finance", _("Finance")
    SECURITY = "security", _("Security")


# complaints.md's default mapping; seeded into CategoryDepartment by a data migration, then edited in the admin.
DEFAULT_DEPARTMENTS: dict[str, str] = {
    ComplaintCategory.PRODUCT_QUALITY: Department.PRODUCT,
    ComplaintCategory.LOGISTICS: Department.LOGISTICS,
    ComplaintCategory.SERVICE: Department.CUSTOMER_SERVICE,
    ComplaintCategory.PAYMENT: Department.FINANCE,
    ComplaintCategory.ACCOUNT: Department.SECURITY,
    ComplaintCategory.OTHER: Department.CUSTOMER_SERVICE,
}


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    INVESTIGATING = "investigating", _("Investigating")
    SOLUTION_PROPOSED = "solution_proposed", _("Solution proposed")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXECUTING = "executing", _("Executing")
    FOLLOW_UP = "follow_up", _("Follow-up")
    ARCHIVED = "archived", _("Archived")


# The complaint workflow: the only moves `complaints.services` accepts.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    ComplaintStatus.RECEIVED: frozenset({ComplaintStatus.INVESTIGATING}),
    ComplaintStatus.INVESTIGATING: frozenset({ComplaintStatus.SOLUTION_PROPOSED}),
    ComplaintStatus.SOLUTION_PROPOSED: frozenset({ComplaintStatus.ACCEPTED, ComplaintStatus.DECLINED}),
    ComplaintStatus.ACCEPTED: frozenset({ComplaintStatus.EXECUTING}),
    ComplaintStatus.DECLINED: frozenset({ComplaintStatus.INVESTIGATING}),
    ComplaintStatus.EXECUTING: frozenset({ComplaintStatus.FOLLOW_UP}),
    ComplaintStatus.FOLLOW_UP: frozenset({ComplaintStatus.ARCHIVED}),
    ComplaintStatus.ARCHIVED: frozenset(),
}


class CustomerResponse(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class RootCause(models.TextChoices):
    PRODUCT_DEFECT = "product_defect", _("Product defect")
    SUPPLIER = "supplier", _("Supplier")
    CARRIER = "carrier", _("Carrier")
    WAREHOUSE = "warehouse", _("Warehouse")
    POLICY_UNCLEAR = "policy_unclear", _("Unclear policy")
    STAFF_ERROR = "staff_error", _("Staff error")
    SYSTEM_ERROR = "system_error", _("System error")
    FRAUD = "fraud", _("Fraud")
    OTHER = "other", _("Other")


class CategoryDepartment(models.Model):
    """Which department handles a complaint category. Editable by supervisors in the admin."""

    category = models.CharField(_("category"), max_length=20, choices=ComplaintCategory.choices, unique=True)
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)

    class Meta:
        verbose_name = _("complaint category mapping")
        verbose_name_plural = _("complaint category mappings")
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} -> {self.get_department_display()}"


class DepartmentTeam(models.Model):
    """The desk team that works a department's complaints. Without a row, the team named like the department
    (e.g. "Logistics") is used, and failing that the ticket stays where routing put it."""

    department = models.CharField(_("department"), max_length=20, choices=Department.choices, unique=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))

    class Meta:
        verbose_name = _("department team")
        verbose_name_plural = _("department teams")
        ordering = ["department"]

    def __str__(self) -> str:
        return f"{self.get_department_display()} -> {self.team}"


class Complaint(models.Model):
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="complaint")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.GeneratedField(
        verbose_name=_("reference"),
        expression=reference_of_id("C-"),
        output_field=models.CharField(max_length=20),
        db_persist=True,
        unique=True,
    )
    category = models.CharField(_("category"), max_length=20, choices=ComplaintCategory.choices)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices, default=Severity.MINOR)
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    findings = models.TextField(_("findings"), blank=True)
    proposed_solution = models.TextField(_("proposed solution"), blank=True)
    compensation_amount = models.DecimalField(
        _("compensation"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    customer_response = models.CharField(
        _("customer's response"), max_length=20, choices=CustomerResponse.choices, blank=True
    )
    customer_response_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    customer_response_note = models.TextField(_("customer's note"), blank=True)
    execution_note = models.TextField(_("execution note"), blank=True)
    follow_up_note = models.TextField(_("follow-up note"), blank=True)
    follow_up_satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction at follow-up"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    root_cause_code = models.CharField(_("root cause"), max_length=20, choices=RootCause.choices, blank=True)
    root_cause = models.TextField(_("root cause details"), blank=True)
    lessons = models.TextField(_("lessons"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up_satisfaction__isnull=True) | Q(follow_up_satisfaction__range=(1, 5)),
                name="complaint_satisfaction_1_5",
            ),
            models.CheckConstraint(
                condition=Q(compensation_amount__isnull=True) | Q(compensation_amount__gte=0),
                name="complaint_compensation_not_negative",
            ),
            # The service refuses this first with a message; the database guarantees it whatever writes the row.
            models.CheckConstraint(
                condition=~Q(status="archived") | (~Q(root_cause_code="") & ~Q(root_cause="") & ~Q(lessons="")),
                name="complaint_archived_has_root_cause",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at", "id"], name="complaint_created_idx"),
            models.Index(fields=["status", "created_at"], name="complaint_status_created_idx"),
            models.Index(fields=["department", "status"], name="complaint_department_idx"),
            models.Index(fields=["severity", "created_at"], name="complaint_severity_idx"),
            # After-sales cost: compensation of the complaints whose solution was accepted in a period.
            models.Index(fields=["customer_response_at"], name="complaint_response_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_category_display()}"

    def can_move_to(self, status: str) -> bool:
        return status in ALLOWED_MOVES[self.status]

    @property
    def is_archived(self) -> bool:
        return self.status == ComplaintStatus.ARCHIVED
