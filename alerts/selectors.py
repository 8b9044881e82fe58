"""Reads of the alerts app: the supervisors' dashboard figures and the alert lists.

Every figure is an aggregate computed in SQL; the dashboard costs a fixed number of queries whatever the data size,
and each query is served by an index limited to running clocks, recent stopped clocks or recent alerts.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import TruncHour
from django.utils import timezone

from alerts.kpis import KpiScope, KpiValue, kpi_values, period_bounds
from alerts.models import Alert, AlertKind, Kpi, KpiThreshold, Notification, format_kpi_value
from tickets import roles
from tickets.forms import team_label
from tickets.models import Metric, SlaClock, Team

ALERT_FILTERS = ("team", "metric", "kind")


def _start_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _rate(met: int, total: int) -> float | None:
    return round(100.0 * met / total, 1) if total else None


@dataclass
class TeamRow:
    team_id: int | None
    name: str
    at_risk: int = 0
    breached: int = 0
    escalated: int = 0
    breaches_today: int = 0
    ended_7d: int = 0
    met_7d: int = 0

    @property
    def compliance_7d(self) -> float | None:
        return _rate(self.met_7d, self.ended_7d)


@dataclass
class Dashboard:
    now: datetime
    at_risk: int
    breached: int
    escalated: int
    breaches_today: int
    compliance: list[dict[str, Any]]
    teams: list[TeamRow]
    hourly: list[dict[str, Any]]
    max_hourly: int = field(default=0)


def dashboard_figures(*, now: datetime | None = None) -> Dashboard:
    """Counts now, breaches today, compliance today and over 7 days per metric, per-team rows, breaches per hour
    over the last 24 hours. Five queries."""
    now = now or timezone.now()
    today = _start_of_today(now)
    week_ago = now - timedelta(days=7)
    # Only warned clocks can be at risk, breached or escalated (the sweep marks a breached clock warned too), so the
    # partial index on running clocks by warned_at reads just those, not every running clock.
    running = SlaClock.objects.filter(stopped_at__isnull=True, paused_at__isnull=True, warned_at__isnull=False)
    at_risk_q = Q(breached_at__isnull=True)
    breached_q = Q(breached_at__isnull=False)
    escalated_q = Q(escalation_level__gte=2)

    # 1. Running clocks per team: the counts now (the sweep's marks; they lag at most one sweep).
    per_team_now = running.values("team").annotate(
        at_risk=Count("pk", filter=at_risk_q),
        breached=Count("pk", filter=breached_q),
        escalated=Count("pk", filter=escalated_q),
    )
    # 2. Clocks that ended in the last 7 days, per metric and team: met = stopped by the deadline.
    ended = (
        SlaClock.objects.filter(stopped_at__gte=week_ago, stopped_at__lte=now)
        .values("metric", "team")
        .annotate(
            total=Count("pk"),
            met=Count("pk", filter=Q(stopped_at__lte=F("due_at"))),
            total_today=Count("pk", filter=Q(stopped_at__gte=today)),
            met_today=Count("pk", filter=Q(stopped_at__gte=today, stopped_at__lte=F("due_at"))),
        )
    )
    # 3. Breaches per hour over the last 24 hours (by breach instant), and 4. breaches today per team.
    since = now - timedelta(hours=24)
    hourly_rows = (
        Alert.objects.filter(kind=AlertKind.BREACH, occurred_at__gt=since, occurred_at__lte=now)
        .annotate(hour=TruncHour("occurred_at", tzinfo=UTC))
        .values("hour")
        .annotate(n=Count("pk"))
    )
    today_rows = (
        Alert.objects.filter(kind=AlertKind.BREACH, occurred_at__gte=today, occurred_at__lte=now)
        .values("team")
        .annotate(n=Count("pk"))
    )
    # 5. The teams, for names.
    teams = {team.pk: TeamRow(team_id=team.pk, name=team_label(team)) for team in Team.objects.order_by("name")}
    no_team = TeamRow(team_id=None, name="")

    def row(team_id: int | None) -> TeamRow:
        return teams.get(team_id, no_team) if team_id is not None else no_team

    totals = {"at_risk": 0, "breached": 0, "escalated": 0}
    for item in per_team_now:
        target = row(item["team"])
        for key in totals:
            setattr(target, key, getattr(target, key) + item[key])
            totals[key] += item[key]
    by_metric = {metric: {"total": 0, "met": 0, "total_today": 0, "met_today": 0} for metric in Metric.values}
    for item in ended:
        sums = by_metric.setdefault(item["metric"], {"total": 0, "met": 0, "total_today": 0, "met_today": 0})
        for key in sums:
            sums[key] += item[key]
        target = row(item["team"])
        target.ended_7d += item["total"]
        target.met_7d += item["met"]
    breaches_today = 0
    for item in today_rows:
        row(item["team"]).breaches_today += item["n"]
        breaches_today += item["n"]
    compliance = [
        {
            "metric": metric,
            "label": Metric(metric).label,
            "today": _rate(sums["met_today"], sums["total_today"]),
            "week": _rate(sums["met"], sums["total"]),
            "ended_today": sums["total_today"],
            "ended_week": sums["total"],
        }
        for metric, sums in by_metric.items()
    ]
    counts = {item["hour"]: item["n"] for item in hourly_rows}
    first_hour = (now - timedelta(hours=23)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    peak = max(counts.values(), default=0)
    hourly = []
    for step in range(24):
        hour = first_hour + timedelta(hours=step)
        n = counts.get(hour, 0)
        # Bar geometry for the server-drawn SVG chart (24 bars, 20 units apart, 110 units at the peak).
        height = round(110 * n / peak) if peak else 0
        hourly.append({"hour": hour, "n": n, "x": step * 20 + 2, "y": 120 - height, "height": height})
    team_rows = list(teams.values())
    if any((no_team.at_risk, no_team.breached, no_team.breaches_today, no_team.ended_7d)):
        team_rows.append(no_team)
    return Dashboard(
        now=now,
        at_risk=totals["at_risk"],
        breached=totals["breached"],
        escalated=totals["escalated"],
        breaches_today=breaches_today,
        compliance=compliance,
        teams=team_rows,
        hourly=hourly,
        max_hourly=peak,
    )


@dataclass
class KpiCard:
    line: KpiThreshold
    value: KpiValue

    @property
    def label(self) -> str:
        return str(Kpi(self.line.kpi).label)

    @property
    def value_text(self) -> str:
        return format_kpi_value(self.value.value, self.value.unit)

    @property
    def ok(self) -> bool | None:
        return self.line.is_met(self.value.value)


def kpi_strip(*, now: datetime | None = None) -> list[KpiCard]:
    """The KPIs of the warning lines for all storefronts and teams, over the current day or week so far.

    One query for the lines, then kpi_values' five per period in use (day, week): at most eleven, whatever the data.
    """
    now = now or timezone.now()
    lines = sorted(
        KpiThreshold.objects.filter(is_active=True, storefront__isnull=True, team__isnull=True),
        key=lambda line: (Kpi.values.index(line.kpi), line.period, line.pk),
    )
    values: dict[str, dict[str, KpiValue]] = {}
    for period in sorted({line.period for line in lines}):
        start, _end = period_bounds(period, now)
        values[period] = kpi_values(KpiScope(start=start, end=now))
    return [KpiCard(line=line, value=values[line.period][line.kpi]) for line in lines]


def alerts_visible_to(user: Any) -> QuerySet[Alert]:
    """Supervisors see every alert; agents the alerts of tickets they can see (their teams' and their own)."""
    if roles.is_supervisor(user):
        return Alert.objects.all()
    if not roles.is_agent(user):
        return Alert.objects.none()
    return Alert.objects.filter(Q(ticket__team__in=user.teams.all()) | Q(ticket__assignee=user))


def alert_list(*, user: Any, filters: dict[str, Any] | None = None, open_only: bool = True) -> QuerySet[Alert]:
    """Alerts newest first, filtered by team, metric, kind (and still open unless open_only is False)."""
    filters = filters or {}
    alerts = alerts_visible_to(user)
    if open_only:
        alerts = alerts.filter(resolved_at__isnull=True)
    if filters.get("team"):
        alerts = alerts.filter(team_id=filters["team"])
    if filters.get("metric"):
        alerts = alerts.filter(metric=filters["metric"])
    if filters.get("kind"):
        alerts = alerts.filter(kind=filters["kind"])
    if filters.get("acknowledged") is not None:
        alerts = alerts.filter(acknowledged_at__isnull=not filters["acknowledged"])
    return alerts.select_related("ticket", "team", "acknowledged_by").order_by("-created_at", "-id")


# The stages of a clock's alerts, least to most urgent: at risk, breached, escalation level 2, level 3 (an escalation
# ranks 2 + its level). Alerts without a clock: a severe complaint ranks with a breach, a KPI below an at-risk clock.
def _stage_rank() -> Case:
    return Case(
        When(kind=AlertKind.ESCALATION, then=F("level") + 2),
        When(kind__in=(AlertKind.BREACH, AlertKind.SEVERE_COMPLAINT), then=Value(3)),
        When(kind=AlertKind.AT_RISK, then=Value(2)),
        default=Value(1),
        output_field=IntegerField(),
    )


def alert_rows(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Alert]:
    """The open alerts page: one row per ticket and clock, its current stage (the most urgent open alert of the
    clock), most urgent first, then the longest-standing; alerts without a clock are a row each. A kind filter keeps
    the rows whose current stage is of that kind. One query per page (and a count), whatever the number of stages."""
    filters = dict(filters or {})
    kind = filters.pop("kind", None)
    superseded = Alert.objects.annotate(rank=_stage_rank()).filter(
        clock_id=OuterRef("clock_id"), resolved_at__isnull=True, rank__gt=OuterRef("rank")
    )
    rows = (
        alert_list(user=user, filters=filters)
        .select_related("clock")
        .annotate(rank=_stage_rank())
        .filter(~Exists(superseded))
        # Two open alerts at the same stage of one clock cannot exist (alert_once_per_clock), so rank is enough.
        .order_by("-rank", "occurred_at", "id")
    )
    if kind:
        rows = rows.filter(kind=kind)
    return rows


def alert_get_for_user(*, user: Any, alert_id: int) -> Alert:
    from django.http import Http404

    alert = alert_list(user=user, open_only=False).filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    return alert


def ticket_alerts(*, ticket: Any, limit: int = 20) -> list[Alert]:
    """A ticket's alerts, open ones first, newest first (for the ticket page)."""
    return list(
        Alert.objects.filter(ticket=ticket)
        .select_related("acknowledged_by")
        .order_by(F("resolved_at").desc(nulls_first=True), "-created_at", "-id")[:limit]
    )


def notifications_for(*, user: Any, limit: int = 50) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=user)
        .select_related("alert__ticket", "alert__team")
        .order_by("-created_at", "-id")[:limit]
    )


def unread_notification_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
