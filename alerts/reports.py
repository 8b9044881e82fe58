"""The supervisors' reports (analytics.md): every figure of `/reports/`, its CSV tables and `/api/v1/desk/reports/`.

`report_data(scope)` answers with plain JSON values (numbers, strings, None). Every aggregate is computed by the
database: GROUP BY, conditional aggregation and percentile_cont for medians, over the period's rows only, reached
through the indexes on the instant each section is filtered by (created_at, resolved_at, stopped_at, answered_at).
The number of queries is fixed whatever the number of tickets: one per section (two for the daily series, three for
the agents plus one for their names, one for the warning lines) plus kpi_values' own.

Days, hours and weekdays are those of the time zone given, by default the current one (the user's, activated by the
middleware). Which rows each figure counts:

- daily: tickets created per day; tickets resolved per day (by resolved_at; a reopened ticket no longer counts).
- sla_daily: SLA clocks stopped per day and metric, and how many stopped by their deadline.
- first_response_*: tickets created in the period, first response = first public reply - creation, by the hour and
  weekday of creation; tickets without a reply yet count in `tickets` but not in the times.
- by_category, by_channel: tickets created in the period, how many are resolved (resolved_at set or closed).
- agents: tickets resolved in the period by their assignee (handled) and the median first response of those; SLA
  clocks stopped in the period on tickets assigned to the agent; surveys answered in the period about their tickets.
- return_reasons: return items of the returns requested in the period, by reason (Pareto: most frequent first).
- complaint_categories, complaint_root_causes: complaints filed in the period; "" = root cause not determined yet.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from alerts.kpis import KpiScope, KpiValue, kpi_values
from alerts.models import Kpi, KpiThreshold
from complaints.models import Complaint, ComplaintCategory, RootCause
from returns.models import Reason, ReturnItem
from tickets.models import Category, Channel, Metric, SlaClock, Status, Survey, Ticket

# Resolved tickets keep resolved_at when they close; reopening clears it. Naming both statuses lets the
# (status, resolved_at) index serve the range.
RESOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)
FIRST_RESPONSE = ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=DurationField())
# First-response histogram buckets, in minutes: [low, high), the last one open-ended.
HISTOGRAM_MINUTES: tuple[tuple[int, int | None], ...] = (
    (0, 15),
    (15, 30),
    (30, 60),
    (60, 120),
    (120, 240),
    (240, 480),
    (480, 1440),
    (1440, None),
)


class Median(Aggregate):
    """The median (percentile_cont(0.5)) on PostgreSQL. SQLite (`make run`) has no ordered-set aggregates: there
    the median is NULL, and the page shows "—" instead of failing."""

    name = "Median"
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        return "MAX(NULL)", []


@dataclass(frozen=True)
class _Report:
    scope: KpiScope
    tz: tzinfo

    def days(self) -> list[date]:
        """Every calendar day of the period, with or without rows."""
        first = self.scope.start.astimezone(self.tz).date()
        last = (self.scope.end - timedelta(microseconds=1)).astimezone(self.tz).date()
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


# --- Plain JSON values --------------------------------------------------------------------------------------------


def _hours(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value) / 1_000_000
    return round(seconds / 3600, 2)


def _percent(part: int | float, whole: int | float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _plain(value: Any) -> Any:
    """Decimals, instants and nested containers as JSON values (floats, ISO strings, lists, dicts)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _hours(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# --- Row sets of the scope ----------------------------------------------------------------------------------------


def _tickets(scope: KpiScope) -> QuerySet[Ticket]:
    tickets = Ticket.objects.order_by()
    if scope.storefront_id is not None:
        tickets = tickets.filter(storefront_id=scope.storefront_id)
    if scope.team_id is not None:
        tickets = tickets.filter(team_id=scope.team_id)
    return tickets


def _created(scope: KpiScope) -> QuerySet[Ticket]:
    return _tickets(scope).filter(created_at__gte=scope.start, created_at__lt=scope.end)


def _resolved(scope: KpiScope) -> QuerySet[Ticket]:
    return _tickets(scope).filter(status__in=RESOLVED_STATUSES, resolved_at__gte=scope.start, resolved_at__lt=scope.end)


def _stopped_clocks(scope: KpiScope) -> QuerySet[SlaClock]:
    clocks = SlaClock.objects.order_by().filter(stopped_at__gte=scope.start, stopped_at__lt=scope.end)
    if scope.storefront_id is not None:
        clocks = clocks.filter(ticket__storefront_id=scope.storefront_id)
    if scope.team_id is not None:
        # The clock's own copy of the team (frozen when it stops), as the SLA compliance KPI counts it.
        clocks = clocks.filter(team_id=scope.team_id)
    return clocks


def _answered_surveys(scope: KpiScope) -> QuerySet[Survey]:
    surveys = Survey.objects.order_by().filter(answered_at__gte=scope.start, answered_at__lt=scope.end)
    if scope.storefront_id is not None:
        surveys = surveys.filter(ticket__storefront_id=scope.storefront_id)
    if scope.team_id is not None:
        surveys = surveys.filter(ticket__team_id=scope.team_id)
    return surveys


def _complaints(scope: KpiScope) -> QuerySet[Complaint]:
    complaints = Complaint.objects.order_by().filter(created_at__gte=scope.start, created_at__lt=scope.end)
    if scope.storefront_id is not None:
        complaints = complaints.filter(ticket__storefront_id=scope.storefront_id)
    if scope.team_id is not None:
        complaints = complaints.filter(ticket__team_id=scope.team_id)
    return complaints


def _met() -> Q:
    return Q(stopped_at__lte=F("due_at"))


# --- Sections -----------------------------------------------------------------------------------------------------


def _threshold_out(threshold: KpiThreshold | None) -> dict[str, Any] | None:
    if threshold is None:
        return None
    return {
        "comparison": threshold.comparison,
        "value": _plain(threshold.value),
        "value_max": _plain(threshold.value_max),
        "period": threshold.period,
        "storefront": threshold.storefront_id,
        "team": threshold.team_id,
    }


def _kpis(report: _Report) -> list[dict[str, Any]]:
    """The eight KPI cards, each against its warning line: the active threshold of exactly this scope, else the one
    for all storefronts and teams (several of one scope: the lowest id)."""
    scope = report.scope
    values: dict[str, KpiValue] = kpi_values(scope)
    same_scope = Q(storefront_id=scope.storefront_id) if scope.storefront_id is not None else Q(storefront=None)
    same_scope &= Q(team_id=scope.team_id) if scope.team_id is not None else Q(team=None)
    thresholds = KpiThreshold.objects.filter(is_active=True).filter(same_scope | Q(storefront=None, team=None))
    chosen: dict[str, tuple[int, KpiThreshold]] = {}
    for threshold in thresholds.order_by("id"):
        rank = 0 if (threshold.storefront_id, threshold.team_id) == (scope.storefront_id, scope.team_id) else 1
        if threshold.kpi not in chosen or rank < chosen[threshold.kpi][0]:
            chosen[threshold.kpi] = (rank, threshold)
    cards = []
    for kpi in Kpi:
        measured = values.get(kpi.value)
        threshold = chosen[kpi.value][1] if kpi.value in chosen else None
        value = measured.value if measured is not None else None
        cards.append(
            {
                "kpi": kpi.value,
                "label": str(kpi.label),
                "value": _plain(value),
                "unit": measured.unit if measured is not None else "",
                "numerator": _plain(measured.numerator) if measured is not None else None,
                "denominator": _plain(measured.denominator) if measured is not None else None,
                "detail": _plain(measured.detail) if measured is not None else {},
                "threshold": _threshold_out(threshold),
                "ok": threshold.is_met(value) if threshold is not None else None,
            }
        )
    return cards


def _daily(report: _Report) -> list[dict[str, Any]]:
    scope, tz = report.scope, report.tz
    created = dict(
        _created(scope)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    resolved = dict(
        _resolved(scope)
        .annotate(day=TruncDate("resolved_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return [
        {"date": day.isoformat(), "created": created.get(day, 0), "resolved": resolved.get(day, 0)}
        for day in report.days()
    ]


def _sla_daily(report: _Report) -> list[dict[str, Any]]:
    rows = (
        _stopped_clocks(report.scope)
        .annotate(day=TruncDate("stopped_at", tzinfo=report.tz))
        .values("day", "metric")
        .annotate(ended=Count("pk"), met=Count("pk", filter=_met()))
    )
    counts = {(row["day"], row["metric"]): (row["ended"], row["met"]) for row in rows}
    out = []
    for day in report.days():
        for metric in Metric:
            ended, met = counts.get((day, metric.value), (0, 0))
            out.append(
                {
                    "date": day.isoformat(),
                    "metric": metric.value,
                    "label": str(metric.label),
                    "ended": ended,
                    "met": met,
                    "compliance": _percent(met, ended),
                }
            )
    return out


def _bucket_label(low: int, high: int | None) -> str:
    if high is None:
        return _("%(hours)s h or more") % {"hours": low // 60}
    if high <= 60:
        return _("%(low)s-%(high)s min") % {"low": low, "high": high}
    return _("%(low)s-%(high)s h") % {"low": low // 60, "high": high // 60}


def _first_response_histogram(report: _Report) -> list[dict[str, Any]]:
    answered = _created(report.scope).filter(first_response_at__isnull=False).annotate(first_response=FIRST_RESPONSE)
    buckets = {}
    for index, (low, high) in enumerate(HISTOGRAM_MINUTES):
        # The first bucket also takes a reply stamped before the ticket's creation (clock skew), so none is lost.
        condition = Q(first_response__gte=timedelta(minutes=low)) if index else Q()
        if high is not None:
            condition &= Q(first_response__lt=timedelta(minutes=high))
        buckets[f"b{index}"] = Count("pk", filter=condition) if condition else Count("pk")
    counts = answered.aggregate(**buckets)
    total = sum(counts.values())
    return [
        {
            "bucket": index,
            "label": _bucket_label(low, high),
            "from_minutes": low,
            "to_minutes": high,
            "tickets": counts[f"b{index}"],
            "percent": _percent(counts[f"b{index}"], total),
        }
        for index, (low, high) in enumerate(HISTOGRAM_MINUTES)
    ]


def _first_response_times(report: _Report, part: Callable[..., Any], keys: Iterable[int]) -> dict[int, dict]:
    rows = (
        _created(report.scope)
        .annotate(part=part("created_at", tzinfo=report.tz))
        .values("part")
        .annotate(
            tickets=Count("pk"),
            answered=Count("first_response_at"),
            average=Avg(FIRST_RESPONSE),
            median=Median(FIRST_RESPONSE),
        )
    )
    by_part = {row["part"]: row for row in rows}
    out = {}
    for key in keys:
        row = by_part.get(key, {})
        out[key] = {
            "tickets": row.get("tickets", 0),
            "answered": row.get("answered", 0),
            "average_hours": _hours(row.get("average")),
            "median_hours": _hours(row.get("median")),
        }
    return out


def _first_response_by_hour(report: _Report) -> list[dict[str, Any]]:
    times = _first_response_times(report, ExtractHour, range(24))
    return [{"hour": hour, "label": f"{hour:02d}:00", **times[hour]} for hour in range(24)]


def _first_response_by_weekday(report: _Report) -> list[dict[str, Any]]:
    times = _first_response_times(report, ExtractIsoWeekDay, range(1, 8))
    # ISO weekdays: 1 = Monday ... 7 = Sunday; django.utils.dates.WEEKDAYS counts from 0 = Monday.
    return [{"weekday": day, "label": str(WEEKDAYS[day - 1]), **times[day]} for day in range(1, 8)]


def _by_field(report: _Report, field: str, choices: Any) -> list[dict[str, Any]]:
    rows = (
        _created(report.scope)
        .values(field)
        .annotate(
            created=Count("pk"),
            resolved=Count("pk", filter=Q(resolved_at__isnull=False) | Q(status=Status.CLOSED)),
            median=Median(FIRST_RESPONSE),
        )
    )
    by_value = {row[field]: row for row in rows}
    out = []
    for value, label in choices:
        row = by_value.get(value, {})
        created, resolved = row.get("created", 0), row.get("resolved", 0)
        out.append(
            {
                field: value,
                "label": str(label),
                "created": created,
                "resolved": resolved,
                "resolution_rate": _percent(resolved, created),
                "median_first_response_hours": _hours(row.get("median")),
            }
        )
    out.sort(key=lambda item: -item["created"])
    return out


def _by_category(report: _Report) -> list[dict[str, Any]]:
    return _by_field(report, "category", Category.choices)


def _by_channel(report: _Report) -> list[dict[str, Any]]:
    return _by_field(report, "channel", Channel.choices)


def _agents(report: _Report) -> list[dict[str, Any]]:
    scope = report.scope
    handled = (
        _resolved(scope)
        .filter(assignee__isnull=False)
        .values("assignee")
        .annotate(handled=Count("pk"), median=Median(FIRST_RESPONSE))
    )
    clocks = (
        _stopped_clocks(scope)
        .filter(ticket__assignee__isnull=False)
        .values("ticket__assignee")
        .annotate(ended=Count("pk"), met=Count("pk", filter=_met()))
    )
    surveys = (
        _answered_surveys(scope)
        .filter(ticket__assignee__isnull=False)
        .values("ticket__assignee")
        .annotate(answered=Count("pk"), average=Avg("overall"))
    )
    rows: dict[int, dict[str, Any]] = {}

    def row(user_id: int) -> dict[str, Any]:
        return rows.setdefault(
            user_id,
            {
                "agent_id": user_id,
                "agent": "",
                "handled": 0,
                "median_first_response_hours": None,
                "sla_ended": 0,
                "sla_met": 0,
                "sla_compliance": None,
                "surveys": 0,
                "average_satisfaction": None,
            },
        )

    for item in handled:
        target = row(item["assignee"])
        target["handled"] = item["handled"]
        target["median_first_response_hours"] = _hours(item["median"])
    for item in clocks:
        target = row(item["ticket__assignee"])
        target["sla_ended"], target["sla_met"] = item["ended"], item["met"]
        target["sla_compliance"] = _percent(item["met"], item["ended"])
    for item in surveys:
        target = row(item["ticket__assignee"])
        target["surveys"] = item["answered"]
        target["average_satisfaction"] = round(float(item["average"]), 2) if item["average"] is not None else None
    # One query for all the names, only when some agent has figures.
    if rows:
        users = get_user_model().objects.filter(pk__in=list(rows)).only("username", "first_name", "last_name")
        for user in users:
            rows[user.pk]["agent"] = user.get_full_name() or user.get_username()
    return sorted(rows.values(), key=lambda item: (-item["handled"], -item["sla_ended"], item["agent"]))


def _pareto(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Most frequent first, with each row's share and the running (cumulative) share of the total."""
    rows.sort(key=lambda item: -item["count"])
    total = sum(item["count"] for item in rows)
    running = 0
    for item in rows:
        running += item["count"]
        item["percent"] = _percent(item["count"], total)
        item["cumulative_percent"] = _percent(running, total)
    return rows


def _return_reasons(report: _Report) -> list[dict[str, Any]]:
    scope = report.scope
    items = ReturnItem.objects.order_by().filter(
        return_request__created_at__gte=scope.start, return_request__created_at__lt=scope.end
    )
    if scope.storefront_id is not None:
        items = items.filter(return_request__storefront_id=scope.storefront_id)
    if scope.team_id is not None:
        items = items.filter(return_request__ticket__team_id=scope.team_id)
    labels = dict(Reason.choices)
    rows = [
        {
            "reason": row["reason"],
            "label": str(labels.get(row["reason"], row["reason"])),
            "count": row["count"],
            "quantity": row["quantity"] or 0,
        }
        for row in items.values("reason").annotate(count=Count("pk"), quantity=Sum("quantity"))
    ]
    return _pareto(rows)


def _complaint_categories(report: _Report) -> list[dict[str, Any]]:
    labels = dict(ComplaintCategory.choices)
    rows = [
        {
            "category": row["category"],
            "label": str(labels.get(row["category"], row["category"])),
            "count": row["count"],
            "compensation": _plain(row["compensation"]) or 0.0,
        }
        for row in _complaints(report.scope)
        .values("category")
        .annotate(count=Count("pk"), compensation=Sum("compensation_amount"))
    ]
    return _pareto(rows)


def _complaint_root_causes(report: _Report) -> list[dict[str, Any]]:
    labels = dict(RootCause.choices)
    rows = [
        {
            "root_cause": row["root_cause_code"],
            "label": str(labels.get(row["root_cause_code"], row["root_cause_code"]))
            if row["root_cause_code"]
            else _("Not determined yet"),
            "count": row["count"],
        }
        for row in _complaints(report.scope).values("root_cause_code").annotate(count=Count("pk"))
    ]
    return _pareto(rows)


SECTIONS: dict[str, Callable[[_Report], Any]] = {
    "kpis": _kpis,
    "daily": _daily,
    "sla_daily": _sla_daily,
    "first_response_histogram": _first_response_histogram,
    "first_response_by_hour": _first_response_by_hour,
    "first_response_by_weekday": _first_response_by_weekday,
    "by_category": _by_category,
    "by_channel": _by_channel,
    "agents": _agents,
    "return_reasons": _return_reasons,
    "complaint_categories": _complaint_categories,
    "complaint_root_causes": _complaint_root_causes,
}


def _period(report: _Report) -> dict[str, Any]:
    days = report.days()
    scope = report.scope
    return {
        "start": scope.start.isoformat(),
        "end": scope.end.isoformat(),
        "first_day": days[0].isoformat() if days else None,
        "last_day": days[-1].isoformat() if days else None,
        "time_zone": str(report.tz),
        "storefront": scope.storefront_id,
        "team": scope.team_id,
    }


def report_data(scope: KpiScope, *, tz: tzinfo | None = None, sections: Iterable[str] | None = None) -> dict:
    """Every figure of the reports for `scope` ([start, end), optional storefront and team), JSON-serializable.

    `tz`: the calendar for days, hours and weekdays (default: the current time zone). `sections`: only these keys
    (a CSV needs one table); "period" is always there.
    """
    report = _Report(scope=scope, tz=tz or timezone.get_current_timezone())
    names = list(SECTIONS) if sections is None else [name for name in sections if name in SECTIONS]
    data: dict[str, Any] = {"period": _period(report)}
    for name in names:
        data[name] = SECTIONS[name](report)
    return data
