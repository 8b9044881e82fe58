"""The supervisors' reports (analytics.md): every figure of `/reports/`, its CSV tables and `/api/v1/desk/reports/`.

`report_data(scope)` answers with plain JSON values (numbers, strings, None). Every aggregate is computed by the
database (GROUP BY, conditional aggregation, percentile_cont for the agents' medians) over the period's rows only,
reached through the index on the instant each row set is filtered by. The number of queries is fixed whatever the
number of tickets: kpi_values' own, the warning lines, and one per row set below, each grouped finely enough to serve
several tables (the tables then add up a few dozen grouped rows; no ticket is ever loaded into Python):

1. tickets created, per local hour: created per day, first response by hour of day and by weekday;
2. tickets created, per (category, channel): both tables and the first-response histogram;
3. tickets resolved, per day;
4. tickets resolved, per assignee: tickets handled and their median first response;
5. SLA clocks stopped, per (day, metric): compliance per day; 6. those of the tickets resolved, per assignee;
7. surveys answered, per assignee of the ticket; 8. the agents' names;
9. return items, per reason; 10. complaints, per (category, root cause).

Days, hours and weekdays are those of the time zone given, by default the current one (the user's, activated by the
middleware). Which rows each figure counts:

- daily: tickets created per day; tickets resolved per day (by resolved_at; a reopened ticket no longer counts).
- sla_daily: SLA clocks stopped per day and metric, and how many stopped by their deadline.
- first_response_*: tickets created in the period, first response = first public reply - creation, by the hour and
  weekday of creation; tickets without a reply yet count in `tickets` but not in the times.
- by_category, by_channel: tickets created in the period, how many are resolved (resolved_at set or closed), and
  their average first response.
- by_tag: tickets created in the period per tag (one ticket counts under each of its tags), the most used first.
- agents: tickets resolved in the period by their assignee (handled) and the median first response of those; the SLA
  clocks of those tickets that ended in the period; surveys answered in the period about the agent's tickets.
- return_reasons: return items of the returns requested in the period, by reason (Pareto: most frequent first).
- complaint_categories, complaint_root_causes: complaints filed in the period; "" = root cause not determined yet.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Lower, TruncHour
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
# First-response histogram bucket edges, in minutes: [0, 15), [15, 30), ... [480, 1440), then 1440 or more.
HISTOGRAM_EDGES = (15, 30, 60, 120, 240, 480, 1440)
# A clock met its target: stopped by its deadline.
_MET = Q(stopped_at__lte=F("due_at"))
# Counts name no primary key (COUNT(*), or COUNT of the column the range is on, which is never NULL there), so a
# covering index on that column can answer without reading the table (see bench/README.md).


class Median(Aggregate):
    """The median (percentile_cont(0.5)) on PostgreSQL. SQLite (`make run`) has no ordered-set aggregates: there
    the median is NULL, and the page shows "—" instead of failing."""

    name = "Median"
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        return "MAX(NULL)", []


class DayOfPeriod(Func):
    """Which of the period's days an instant falls on (0 = the first), given each day's start (a local midnight, so
    days of 23 or 25 hours around a daylight-saving change are right).

    On PostgreSQL a binary search of the day starts (width_bucket) instead of converting every row's instant to the
    local time zone, which costs more than the rest of a daily count; elsewhere (SQLite, `make run`) a CASE with one
    comparison per day.
    """

    output_field = IntegerField()

    def __init__(self, field: str, starts: list[datetime]) -> None:
        super().__init__(F(field))
        self.field_name = field
        self.starts = starts

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        days = Case(
            *(
                When(**{f"{self.field_name}__lt": start}, then=Value(index))
                for index, start in enumerate(self.starts[1:])
            ),
            default=Value(len(self.starts) - 1),
            output_field=IntegerField(),
        )
        return compiler.compile(days.resolve_expression(compiler.query))

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(width_bucket({sql}, %s::timestamptz[]) - 1)", [*params, list(self.starts)]


# --- Plain JSON values --------------------------------------------------------------------------------------------


def _hours(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value) / 1_000_000
    return round(seconds / 3600, 2)


def _average_hours(total: timedelta, count: int) -> float | None:
    return _hours(total / count) if count else None


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


def _duration(value: Any) -> timedelta:
    """A summed duration as the database gives it (a timedelta; SQLite may give microseconds)."""
    return value if isinstance(value, timedelta) else timedelta(microseconds=int(value))


# --- The row sets of a report, each one query, run at most once ---------------------------------------------------


class _Report:
    """One report's scope and calendar, with its grouped row sets fetched lazily and kept: the page's tables share
    them, a CSV of one table runs only the queries it needs."""

    def __init__(self, scope: KpiScope, tz: tzinfo) -> None:
        self.scope = scope
        self.tz = tz
        self._cache: dict[str, Any] = {}

    def once(self, name: str, fetch: Callable[[], Any]) -> Any:
        if name not in self._cache:
            self._cache[name] = fetch()
        return self._cache[name]

    def days(self) -> list[date]:
        """Every calendar day of the period, with or without rows."""
        first = self.scope.start.astimezone(self.tz).date()
        last = (self.scope.end - timedelta(microseconds=1)).astimezone(self.tz).date()
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]

    def day_of(self, field: str) -> DayOfPeriod:
        return DayOfPeriod(field, [datetime.combine(day, time.min, tzinfo=self.tz) for day in self.days()])

    # Scoped querysets.

    def tickets(self) -> QuerySet[Ticket]:
        tickets = Ticket.objects.order_by()
        if self.scope.storefront_id is not None:
            tickets = tickets.filter(storefront_id=self.scope.storefront_id)
        if self.scope.team_id is not None:
            tickets = tickets.filter(team_id=self.scope.team_id)
        return tickets

    def created(self) -> QuerySet[Ticket]:
        return self.tickets().filter(created_at__gte=self.scope.start, created_at__lt=self.scope.end)

    def resolved(self) -> QuerySet[Ticket]:
        return self.tickets().filter(
            status__in=RESOLVED_STATUSES, resolved_at__gte=self.scope.start, resolved_at__lt=self.scope.end
        )

    def stopped_clocks(self) -> QuerySet[SlaClock]:
        clocks = SlaClock.objects.order_by().filter(stopped_at__gte=self.scope.start, stopped_at__lt=self.scope.end)
        if self.scope.storefront_id is not None:
            clocks = clocks.filter(ticket__storefront_id=self.scope.storefront_id)
        if self.scope.team_id is not None:
            # The clock's own copy of the team (frozen when it stops), as the SLA compliance KPI counts it.
            clocks = clocks.filter(team_id=self.scope.team_id)
        return clocks

    def by_ticket(self, queryset: QuerySet, start: str) -> QuerySet:
        """Rows of another table whose `start` instant is in the period, scoped through their ticket."""
        queryset = queryset.order_by().filter(**{f"{start}__gte": self.scope.start, f"{start}__lt": self.scope.end})
        if self.scope.storefront_id is not None:
            queryset = queryset.filter(ticket__storefront_id=self.scope.storefront_id)
        if self.scope.team_id is not None:
            queryset = queryset.filter(ticket__team_id=self.scope.team_id)
        return queryset

    # Row sets.

    def created_hours(self) -> list[dict[str, Any]]:
        """Tickets created per local hour (at most 24 x 366 rows): created, answered, summed first response."""
        return self.once(
            "created_hours",
            lambda: list(
                self.created()
                .annotate(hour=TruncHour("created_at", tzinfo=self.tz))
                .values("hour")
                .annotate(tickets=Count("*"), answered=Count("first_response_at"), first_response=Sum(FIRST_RESPONSE))
            ),
        )

    def created_groups(self) -> list[dict[str, Any]]:
        """Tickets created per (category, channel): created, resolved, answered, summed first response, and how many
        were answered within each histogram edge."""

        def fetch() -> list[dict[str, Any]]:
            within = {
                f"within_{minutes}": Count(
                    "created_at", filter=Q(first_response_at__lt=F("created_at") + timedelta(minutes=minutes))
                )
                for minutes in HISTOGRAM_EDGES
            }
            return list(
                self.created()
                .values("category", "channel")
                .annotate(
                    created=Count("*"),
                    resolved=Count("created_at", filter=Q(resolved_at__isnull=False) | Q(status=Status.CLOSED)),
                    answered=Count("first_response_at"),
                    first_response=Sum(FIRST_RESPONSE),
                    **within,
                )
            )

        return self.once("created_groups", fetch)

    def resolved_days(self) -> dict[date, int]:
        def fetch() -> dict[date, int]:
            days = self.days()
            rows = self.resolved().annotate(day=self.day_of("resolved_at")).values("day").annotate(n=Count("*"))
            return {days[row["day"]]: row["n"] for row in rows}

        return self.once("resolved_days", fetch)

    def clock_days(self) -> list[dict[str, Any]]:
        """Clocks stopped per (day, metric): ended, met (stopped by the deadline)."""

        def fetch() -> list[dict[str, Any]]:
            days = self.days()
            rows = (
                self.stopped_clocks()
                .annotate(day=self.day_of("stopped_at"))
                .values("day", "metric")
                .annotate(ended=Count("*"), met=Count("stopped_at", filter=_MET))
            )
            return [{**row, "day": days[row["day"]]} for row in rows]

        return self.once("clock_days", fetch)


def _rolled_up(rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any], fields: Iterable[str]) -> dict:
    """Add up grouped rows under a coarser key (the database grouped them; this only sums their figures)."""
    fields = tuple(fields)
    totals: dict[Any, dict[str, Any]] = defaultdict(
        lambda: {name: timedelta(0) if name == "first_response" else 0 for name in fields}
    )
    for row in rows:
        target = totals[key(row)]
        for name in fields:
            value = row[name]
            if value is not None:
                target[name] += _duration(value) if name == "first_response" else value
    return totals


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
    created = _rolled_up(report.created_hours(), lambda row: row["hour"].date(), ["tickets"])
    resolved = report.resolved_days()
    return [
        {
            "date": day.isoformat(),
            "created": created[day]["tickets"] if day in created else 0,
            "resolved": resolved.get(day, 0),
        }
        for day in report.days()
    ]


def _sla_daily(report: _Report) -> list[dict[str, Any]]:
    counts = {(row["day"], row["metric"]): row for row in report.clock_days()}
    out = []
    for day in report.days():
        for metric in Metric:
            sums = counts.get((day, metric.value), {"ended": 0, "met": 0})
            out.append(
                {
                    "date": day.isoformat(),
                    "metric": metric.value,
                    "label": str(metric.label),
                    "ended": sums["ended"],
                    "met": sums["met"],
                    "compliance": _percent(sums["met"], sums["ended"]),
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
    edges = [f"within_{minutes}" for minutes in HISTOGRAM_EDGES]
    sums = _rolled_up(report.created_groups(), lambda row: None, ["answered", *edges]).get(None)
    within = [sums[name] for name in edges] if sums else [0] * len(edges)
    answered = sums["answered"] if sums else 0
    # Answered within each edge, cumulative; a bucket is the difference between neighbours. The first bucket also
    # takes a reply stamped before the ticket's creation (clock skew), so none is lost.
    counts = [within[0], *(within[i] - within[i - 1] for i in range(1, len(within))), answered - within[-1]]
    bounds = list(zip((0, *HISTOGRAM_EDGES), (*HISTOGRAM_EDGES, None), strict=True))
    return [
        {
            "bucket": index,
            "label": _bucket_label(low, high),
            "from_minutes": low,
            "to_minutes": high,
            "tickets": counts[index],
            "percent": _percent(counts[index], answered),
        }
        for index, (low, high) in enumerate(bounds)
    ]


def _times(sums: dict[str, Any] | None) -> dict[str, Any]:
    sums = sums or {"tickets": 0, "answered": 0, "first_response": timedelta(0)}
    return {
        "tickets": sums["tickets"],
        "answered": sums["answered"],
        "average_hours": _average_hours(sums["first_response"], sums["answered"]),
    }


def _first_response_by_hour(report: _Report) -> list[dict[str, Any]]:
    sums = _rolled_up(report.created_hours(), lambda row: row["hour"].hour, ["tickets", "answered", "first_response"])
    return [{"hour": hour, "label": f"{hour:02d}:00", **_times(sums.get(hour))} for hour in range(24)]


def _first_response_by_weekday(report: _Report) -> list[dict[str, Any]]:
    sums = _rolled_up(
        report.created_hours(), lambda row: row["hour"].isoweekday(), ["tickets", "answered", "first_response"]
    )
    # ISO weekdays: 1 = Monday ... 7 = Sunday; django.utils.dates.WEEKDAYS counts from 0 = Monday.
    return [{"weekday": day, "label": str(WEEKDAYS[day - 1]), **_times(sums.get(day))} for day in range(1, 8)]


def _by_field(report: _Report, field: str, choices: Any) -> list[dict[str, Any]]:
    sums = _rolled_up(
        report.created_groups(), lambda row: row[field], ["created", "resolved", "answered", "first_response"]
    )
    out = []
    for value, label in choices:
        row = sums.get(value, {"created": 0, "resolved": 0, "answered": 0, "first_response": timedelta(0)})
        out.append(
            {
                field: value,
                "label": str(label),
                "created": row["created"],
                "resolved": row["resolved"],
                "resolution_rate": _percent(row["resolved"], row["created"]),
                "average_first_response_hours": _average_hours(row["first_response"], row["answered"]),
            }
        )
    out.sort(key=lambda item: -item["created"])
    return out


def _by_category(report: _Report) -> list[dict[str, Any]]:
    return _by_field(report, "category", Category.choices)


def _by_channel(report: _Report) -> list[dict[str, Any]]:
    return _by_field(report, "channel", Channel.choices)


# The tags shown: the most used ones of the period (a report line per tag; the CSV has as many).
TAG_ROWS = 50


def _by_tag(report: _Report) -> list[dict[str, Any]]:
    """Tickets created in the period, per tag (a ticket with two tags counts in both): created, resolved, average
    first response; the most used tags first, at most TAG_ROWS. One grouped query over the tag links of the
    period's tickets."""
    first_response = ExpressionWrapper(
        F("ticket__first_response_at") - F("ticket__created_at"), output_field=DurationField()
    )
    rows = (
        Ticket.tags.through.objects.order_by()
        .filter(ticket__in=report.created())
        .values("tag__name")
        .annotate(
            created=Count("*"),
            resolved=Count("ticket_id", filter=Q(ticket__resolved_at__isnull=False) | Q(ticket__status=Status.CLOSED)),
            answered=Count("ticket__first_response_at"),
            first_response=Sum(first_response),
        )
        .order_by("-created", Lower("tag__name"), "tag__name")[:TAG_ROWS]
    )
    return [
        {
            "tag": row["tag__name"],
            "label": row["tag__name"],
            "created": row["created"],
            "resolved": row["resolved"],
            "resolution_rate": _percent(row["resolved"], row["created"]),
            "average_first_response_hours": _average_hours(_duration(row["first_response"] or 0), row["answered"]),
        }
        for row in rows
    ]


def _agents(report: _Report) -> list[dict[str, Any]]:
    handled = (
        report.resolved()
        .filter(assignee__isnull=False)
        .values("assignee")
        .annotate(handled=Count("*"), median=Median(FIRST_RESPONSE))
    )
    # The clocks that ended in the period on the tickets they handled: both sides limited to the period, so the join
    # reads the period's clocks and the period's resolved tickets, never all tickets (a clock knows its ticket's team
    # but not its assignee).
    clocks = (
        report.stopped_clocks()
        .filter(
            ticket__status__in=RESOLVED_STATUSES,
            ticket__resolved_at__gte=report.scope.start,
            ticket__resolved_at__lt=report.scope.end,
            ticket__assignee__isnull=False,
        )
        .values("ticket__assignee")
        .annotate(ended=Count("*"), met=Count("stopped_at", filter=_MET))
    )
    # The surveys carry the assignee of the resolution they rate: grouped by it, without reading the tickets (but for
    # a storefront or team scope).
    surveys = (
        report.by_ticket(Survey.objects, "answered_at")
        .filter(assignee__isnull=False)
        .values("assignee")
        .annotate(answered=Count("*"), average=Avg("overall"))
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
        target = row(item["assignee"])
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
    rows = [item for item in rows if item["count"]]
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
        for row in items.values("reason").annotate(count=Count("*"), quantity=Sum("quantity"))
    ]
    return _pareto(rows)


def _complaint_groups(report: _Report) -> list[dict[str, Any]]:
    return report.once(
        "complaint_groups",
        lambda: list(
            report.by_ticket(Complaint.objects, "created_at")
            .values("category", "root_cause_code")
            .annotate(count=Count("*"), compensation=Sum("compensation_amount"))
        ),
    )


def _complaint_categories(report: _Report) -> list[dict[str, Any]]:
    labels = dict(ComplaintCategory.choices)
    sums = _rolled_up(_complaint_groups(report), lambda row: row["category"], ["count", "compensation"])
    rows = [
        {
            "category": category,
            "label": str(labels.get(category, category)),
            "count": row["count"],
            "compensation": float(row["compensation"]),
        }
        for category, row in sums.items()
    ]
    return _pareto(rows)


def _complaint_root_causes(report: _Report) -> list[dict[str, Any]]:
    labels = dict(RootCause.choices)
    sums = _rolled_up(_complaint_groups(report), lambda row: row["root_cause_code"], ["count"])
    rows = [
        {
            "root_cause": code,
            "label": str(labels.get(code, code)) if code else _("Not determined yet"),
            "count": row["count"],
        }
        for code, row in sums.items()
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
    "by_tag": _by_tag,
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
