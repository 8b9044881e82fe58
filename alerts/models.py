"""Alerts raised by the SLA sweep (and by KPI evaluation and severe complaints) and the staff they notify.

Exactly once: an SLA alert is unique per (clock, kind, level) and a complaint alert per (complaint, kind), enforced
by the database, so overlapping sweeps, a task delivered twice or a retried worker never raise one twice. Other
producers (KPI alerts) pass a `key`, unique per kind, e.g. "threshold:7:2026-W12".
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint
from tickets.models import ChatChannel, Metric, SlaClock, Storefront, Team, Ticket


class AlertKind(models.TextChoices):
    AT_RISK = "at_risk", _("At risk")
    BREACH = "breach", _("Breach")
    ESCALATION = "escalation", _("Escalation")
    SEVERE_COMPLAINT = "severe_complaint", _("Severe complaint")
    KPI = "kpi", _("KPI")
    # A notify action of an automation rule, or a rule that was cut at the depth limit, failed or was disabled.
    AUTOMATION = "automation", _("Automation")


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
    # What a KPI alert is about (KPI, value, warning line, scope, period), so its text is composed in each reader's
    # language (kpi_alert_text) rather than frozen in the language of the evaluation.
    data = models.JSONField(_("details"), default=dict, db_default={}, blank=True)
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
        if self.kind == AlertKind.KPI and self.data.get("kpi"):
            return kpi_alert_text(self.data)
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


# --- KPIs and their warning lines (analytics.md; computed in alerts.kpis) ------------------------------------------


class Kpi(models.TextChoices):
    FIRST_RESPONSE_TIME = "first_response_time", _("First response time")
    PROCESSING_TIME = "processing_time", _("Processing time")
    SLA_COMPLIANCE = "sla_compliance", _("SLA compliance")
    RESOLUTION_RATE = "resolution_rate", _("Resolution rate")
    SATISFACTION = "satisfaction", _("Satisfaction")
    RETURN_RATE = "return_rate", _("Return rate")
    COMPLAINT_RATE = "complaint_rate", _("Complaint rate")
    AFTER_SALES_COST = "after_sales_cost", _("After-sales cost")


# Hours for the two times, percent (0-100) for the rest.
KPI_UNITS: dict[str, str] = {
    Kpi.FIRST_RESPONSE_TIME: "hours",
    Kpi.PROCESSING_TIME: "hours",
    Kpi.SLA_COMPLIANCE: "percent",
    Kpi.RESOLUTION_RATE: "percent",
    Kpi.SATISFACTION: "percent",
    Kpi.RETURN_RATE: "percent",
    Kpi.COMPLAINT_RATE: "percent",
    Kpi.AFTER_SALES_COST: "percent",
}


class Comparison(models.TextChoices):
    AT_MOST = "at_most", _("at most")
    AT_LEAST = "at_least", _("at least")
    BETWEEN = "between", _("between")


class KpiPeriod(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")


class KpiThreshold(models.Model):
    """A warning line: the KPI over one period (a calendar day or ISO week in settings.TIME_ZONE), for all tickets or
    one storefront or one team, must stay at most / at least / between its value(s). Evaluated hourly; a crossing
    raises one `kpi` alert per (threshold, period)."""

    kpi = models.CharField(_("KPI"), max_length=30, choices=Kpi.choices)
    comparison = models.CharField(_("comparison"), max_length=10, choices=Comparison.choices)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=2, help_text=_("Hours or percent."))
    value_max = models.DecimalField(
        _("upper value"), max_digits=10, decimal_places=2, null=True, blank=True, help_text=_("Only for between.")
    )
    period = models.CharField(_("period"), max_length=10, choices=KpiPeriod.choices, default=KpiPeriod.DAY)
    storefront = models.ForeignKey(
        Storefront,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("storefront"),
        help_text=_("Empty: all storefronts."),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Empty: all teams."),
    )
    # Where a crossing is also posted (automation.md): a WeCom, DingTalk or Feishu group, in its language.
    chat_channel = models.ForeignKey(
        ChatChannel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chat channel"),
        help_text=_("Also post its alerts to this chat group."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("KPI warning line")
        verbose_name_plural = _("KPI warning lines")
        ordering = ["kpi", "period", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(comparison="between") | Q(value_max__isnull=False, value_max__gt=models.F("value")),
                name="kpi_threshold_between_has_upper_value",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="kpi_threshold_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kpi_display()} {self.line}"

    @property
    def unit(self) -> str:
        return KPI_UNITS[self.kpi]

    @property
    def line(self) -> str:
        """The warning line in the reader's language, e.g. "<= 2 h", ">= 95 %", "1 % - 3 %"."""
        return format_line(self.comparison, self.value, self.value_max, self.unit)

    def is_met(self, value: Decimal | None) -> bool | None:
        """None when there is nothing to measure (no tickets, no orders): no alert then."""
        if value is None:
            return None
        if self.comparison == Comparison.AT_MOST:
            return value <= self.value
        if self.comparison == Comparison.AT_LEAST:
            return value >= self.value
        return self.value <= value <= (self.value_max if self.value_max is not None else self.value)

    def clean(self) -> None:
        errors: dict[str, object] = {}
        if self.comparison == Comparison.BETWEEN:
            if self.value_max is None:
                errors["value_max"] = _("Enter the upper value of the range.")
            elif self.value is not None and self.value_max <= self.value:
                errors["value_max"] = _("The upper value must be greater than the value.")
        elif self.value_max is not None:
            errors["value_max"] = _("Only a between line has an upper value.")
        if self.value is not None and self.value < 0:
            errors["value"] = _("Enter a value of 0 or more.")
        if KPI_UNITS.get(self.kpi) == "percent":
            for name in ("value", "value_max"):
                number = getattr(self, name)
                if number is not None and not (0 <= number <= 100) and name not in errors:
                    errors[name] = _("A percentage is between 0 and 100.")
        if errors:
            raise ValidationError(errors)


class KpiPeriodResult(models.Model):
    """The final value of a warning line's KPI over a closed period, written by the one evaluation that follows the
    period's end: its presence is what tells later evaluations the period needs no more looking at."""

    threshold = models.ForeignKey(KpiThreshold, on_delete=models.CASCADE, related_name="results")
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, null=True, blank=True)
    met = models.BooleanField(_("met"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("evaluated at"))

    class Meta:
        verbose_name = _("KPI period result")
        verbose_name_plural = _("KPI period results")
        constraints = [
            models.UniqueConstraint(fields=["threshold", "period_start"], name="kpi_period_result_once"),
        ]

    def __str__(self) -> str:
        return f"{self.threshold_id} {self.period_start:%Y-%m-%d}"


def _number(value: Decimal | None) -> str:
    """2.00 -> "2", 2.50 -> "2.5"."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_kpi_value(value: Decimal | None, unit: str) -> str:
    """A KPI value with its unit in the reader's language: "2.5 h", "95 %"."""
    if value is None:
        return str(_("no data"))
    if unit == "hours":
        return _("%(value)s h") % {"value": _number(value)}
    return _("%(value)s %%") % {"value": _number(value)}


def format_line(comparison: str, value: Decimal, value_max: Decimal | None, unit: str) -> str:
    if comparison == Comparison.BETWEEN:
        return f"{format_kpi_value(value, unit)} - {format_kpi_value(value_max, unit)}"
    sign = "≤" if comparison == Comparison.AT_MOST else "≥"
    return f"{sign} {format_kpi_value(value, unit)}"


def format_kpi_scope(storefront: str | None, team: str | None) -> str:
    parts = []
    if storefront:
        parts.append(_("storefront %(name)s") % {"name": storefront})
    if team:
        parts.append(_("team %(name)s") % {"name": team})
    return ", ".join(str(part) for part in parts) if parts else str(_("all storefronts and teams"))


def format_kpi_period(period: str, start: date) -> str:
    if period == KpiPeriod.WEEK:
        year, week, _weekday = start.isocalendar()
        return _("week %(week)s (from %(start)s)") % {"week": f"{year}-W{week:02d}", "start": start.isoformat()}
    return _("day %(date)s") % {"date": start.isoformat()}


def kpi_alert_text(data: dict) -> str:
    """A KPI alert in the reader's language, from the facts stored with it (see alerts.services.kpis)."""
    unit = data.get("unit", KPI_UNITS.get(data["kpi"], "percent"))
    value_max = data.get("line_value_max")
    facts = {
        "kpi": Kpi(data["kpi"]).label,
        "value": format_kpi_value(Decimal(data["value"]), unit),
        "line": format_line(
            data["comparison"], Decimal(data["line_value"]), Decimal(value_max) if value_max else None, unit
        ),
        "scope": format_kpi_scope(data.get("storefront"), data.get("team")),
        "period": format_kpi_period(data["period"], date.fromisoformat(data["period_start"])),
    }
    if data.get("final"):
        return _("%(kpi)s was %(value)s, outside its warning line %(line)s (%(scope)s, %(period)s)") % facts
    return _("%(kpi)s is %(value)s so far, outside its warning line %(line)s (%(scope)s, %(period)s)") % facts
