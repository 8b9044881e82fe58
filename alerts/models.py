"""Alerts raised by the SLA sweep (and by KPI evaluation and severe complaints) and the staff they notify.

Exactly once: an SLA alert is unique per (clock, kind, level) and a complaint alert per (complaint, kind), enforced
by the database, so overlapping sweeps, a task delivered twice or a retried worker never raise one twice. Other
producers (KPI alerts) pass a `key`, unique per kind, e.g. "threshold:7:2026-W12".
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint
from tickets.models import Metric, SlaClock, Team, Ticket


class AlertKind(models.TextChoices):
    AT_RISK = "at_risk", _("At risk")
    BREACH = "breach", _("Breach")
    ESCALATION = "escalation", _("Escalation")
    SEVERE_COMPLAINT = "severe_complaint", _("Severe complaint")
    KPI = "kpi", _("KPI")


class Alert(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    key = models.CharField(max_length=200, blank=True, default="")
    # Free text for alerts without a clock (KPI); SLA alerts compose theirs from kind, metric and level.
    message = models.CharField(_("message"), max_length=500, blank=True)
    # The instant the alert is about: the warning point, the breach instant (= the deadline), the escalation point.
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(_("raised at"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Set once the outgoing alert webhook accepted it, so a re-run task does not post it twice.
    webhook_sent_at = models.DateTimeField(null=True, blank=True)
    # Set once the admin contacts (settings.ADMIN_ALERT_EMAILS) were e-mailed about a level-3 escalation.
    admins_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "kind", "level"], condition=Q(clock__isnull=False), name="alert_once_per_clock"
            ),
            models.UniqueConstraint(fields=["kind", "key"], condition=~Q(key=""), name="alert_once_per_key"),
            models.UniqueConstraint(
                fields=["complaint", "kind"], condition=Q(complaint__isnull=False), name="alert_once_per_complaint"
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], condition=Q(resolved_at__isnull=True), name="alert_open_idx"),
            models.Index(fields=["clock"], condition=Q(resolved_at__isnull=True), name="alert_open_clock_idx"),
            models.Index(fields=["kind", "occurred_at"], name="alert_kind_occurred_idx"),
            models.Index(fields=["ticket", "created_at"], name="alert_ticket_idx"),
            models.Index(fields=["created_at"], name="alert_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def text(self) -> str:
        """What the alert says, in the reader's language."""
        if self.message:
            return self.message
        metric = self.get_metric_display()
        if self.kind == AlertKind.AT_RISK:
            return _("%(metric)s deadline is near") % {"metric": metric}
        if self.kind == AlertKind.BREACH:
            return _("%(metric)s deadline missed") % {"metric": metric}
        if self.kind == AlertKind.ESCALATION:
            return _("%(metric)s overdue: escalation level %(level)s") % {"metric": metric, "level": self.level}
        if self.kind == AlertKind.SEVERE_COMPLAINT:
            return _("Severe complaint")
        return self.get_kind_display()


class Notification(models.Model):
    """An alert shown to one person in the desk (and e-mailed to them once)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["recipient", "alert"], name="notification_once")]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
            models.Index(fields=["created_at"], condition=Q(emailed_at__isnull=True), name="notification_unsent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.alert} -> {self.recipient}"
