"""The eight KPIs of analytics.md for one scope (a period, optionally one storefront or one team), computed in SQL.

Six queries whatever the data size, each over one period through an index on its time column:

1. tickets created in the period: resolution rate, first response time (average; its 90th percentile is read by a
   second query, from the one or two rows around its rank);
2. tickets resolved in the period (status resolved or closed, resolved_at): processing time;
3. SLA clocks stopped in the period, per metric: SLA compliance;
4. surveys answered in the period: satisfaction;
5. one UNION ALL of the small tables: return requests and complaints created, refunds succeeded and compensation
   accepted (per currency), and the storefronts' daily orders and revenue (per currency): the rates and the cost.

docs/analytics.md holds the definitions and the decisions (periods, time zone, scopes, currency).
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.utils import timezone

from alerts.models import KPI_UNITS, Kpi, KpiPeriod
from complaints.models import Complaint, CustomerResponse
from returns.models import Refund, RefundStatus, ReturnRequest
from tickets.models import Metric, SalesStat, SlaClock, Status, Survey, Ticket

HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class KpiScope:
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    storefront_id: int | None = None
    team_id: int | None = None


@dataclass(frozen=True)
class KpiValue:
    kpi: str
    value: Decimal | None  # hours for the two times, percent (0-100) for the rest; None = nothing to measure
    unit: str  # "hours" | "percent"
    numerator: Decimal | int | None
    denominator: Decimal | int | None
    detail: dict = field(default_factory=dict)


def period_bounds(period: str, at: datetime) -> tuple[datetime, datetime]:
    """The calendar day or ISO week (Monday to Monday) holding `at`, in settings.TIME_ZONE: [start, end) in UTC.

    Boundaries are local midnights built from dates, so a daylight-saving change inside the period is handled."""
    if timezone.is_naive(at):
        raise ValueError("period_bounds needs an aware datetime")
    tz = timezone.get_default_timezone()
    day = timezone.localtime(at, tz).date()
    if period == KpiPeriod.DAY:
        first, after = day, day + timedelta(days=1)
    elif period == KpiPeriod.WEEK:
        first = day - timedelta(days=day.weekday())
        after = first + timedelta(days=7)
    else:
        raise ValueError(f"unknown KPI period {period!r}")
    # Returned in UTC: arithmetic between two datetimes of one ZoneInfo is wall-clock arithmetic in Python (a 23-hour
    # day would measure 24 hours), in UTC it is exact.
    return (
        datetime.combine(first, time.min, tzinfo=tz).astimezone(UTC),
        datetime.combine(after, time.min, tzinfo=tz).astimezone(UTC),
    )


class SecondsBetween(Func):
    """Seconds from `start` to `end` (two datetime columns)."""

    output_field = FloatField()

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - ", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


def _percentile(queryset: QuerySet, expression: Any, fraction: float, count: int) -> float | None:
    """The continuous percentile of `expression` over the queryset's `count` rows (as PostgreSQL's percentile_cont:
    interpolated between the two rows around rank fraction * (count - 1)), read from those rows alone."""
    if not count:
        return None
    rank = fraction * (count - 1)
    low = math.floor(rank)
    values = list(
        queryset.annotate(measured=expression).order_by("measured").values_list("measured", flat=True)[low : low + 2]
    )
    if len(values) < 2 or rank == low:
        return values[0] if values else None
    return values[0] + (rank - low) * (values[1] - values[0])


def _decimal(number: Any) -> Decimal | None:
    if number is None:
        return None
    return number if isinstance(number, Decimal) else Decimal(str(number))


def _hours(seconds: Any) -> Decimal | None:
    seconds = _decimal(seconds)
    return None if seconds is None else (seconds / 3600).quantize(HUNDREDTH, ROUND_HALF_UP)


def _percent(part: Any, whole: Any) -> Decimal | None:
    """part / whole in percent, or None when there is nothing to divide by."""
    whole = _decimal(whole)
    if not whole:
        return None
    return (_decimal(part) * 100 / whole).quantize(HUNDREDTH, ROUND_HALF_UP)


def _average_hours(total_seconds: Any, count: int) -> tuple[Decimal | None, Decimal | None]:
    """(average in hours, total in hours); (None, None) when nothing was measured."""
    if not count or total_seconds is None:
        return None, None
    total = _decimal(total_seconds)
    return (total / count / 3600).quantize(HUNDREDTH, ROUND_HALF_UP), _hours(total)


def _scoped(queryset: QuerySet, scope: KpiScope, *, storefront: str | None, team: str | None) -> QuerySet:
    """Restrict to the scope's storefront and team through the given lookups (None: not restrictable)."""
    if scope.storefront_id is not None and storefront:
        queryset = queryset.filter(**{storefront: scope.storefront_id})
    if scope.team_id is not None and team:
        queryset = queryset.filter(**{team: scope.team_id})
    return queryset


def _part(queryset: QuerySet, what: str, currency: Any, count: Any, amount: Any) -> QuerySet:
    """One branch of the UNION ALL: (what, currency, count, amount), every column an annotation so the branches of
    different models line up column by column."""
    return (
        queryset.annotate(what=Value(what, output_field=CharField()), cur=currency)
        .values("what", "cur")
        .annotate(n=count, amount=amount)
        .order_by()
    )


_NO_CURRENCY = Value("", output_field=CharField())
_NO_AMOUNT = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


def _small_tables(scope: KpiScope) -> dict[str, dict[str, tuple[int, Decimal]]]:
    """Query 5: {"return"|"complaint"|"refund"|"compensation"|"sales": {currency: (count, amount)}}."""
    start, end = scope.start, scope.end
    returns = _scoped(
        ReturnRequest.objects.filter(created_at__gte=start, created_at__lt=end),
        scope,
        storefront="storefront_id",
        team="ticket__team_id",
    )
    complaints = _scoped(
        Complaint.objects.filter(created_at__gte=start, created_at__lt=end),
        scope,
        storefront="ticket__storefront_id",
        team="ticket__team_id",
    )
    refunds = _scoped(
        Refund.objects.filter(status=RefundStatus.SUCCEEDED, settled_at__gte=start, settled_at__lt=end),
        scope,
        storefront="return_request__storefront_id",
        team="return_request__ticket__team_id",
    )
    compensation = _scoped(
        Complaint.objects.filter(
            customer_response=CustomerResponse.ACCEPTED,
            customer_response_at__gte=start,
            customer_response_at__lt=end,
            compensation_amount__isnull=False,
        ),
        scope,
        storefront="ticket__storefront_id",
        team="ticket__team_id",
    )
    # Orders and revenue are per calendar day in settings.TIME_ZONE: every day the period touches. A team has no
    # orders of its own: the team scope keeps the storefront scope's orders (docs/analytics.md).
    first_day = timezone.localdate(start)
    last_day = timezone.localdate(end - timedelta(microseconds=1))
    sales = _scoped(
        SalesStat.objects.filter(date__gte=first_day, date__lte=last_day),
        scope,
        storefront="storefront_id",
        team=None,
    )
    union = _part(returns, "return", _NO_CURRENCY, Count("*"), _NO_AMOUNT).union(
        _part(complaints, "complaint", _NO_CURRENCY, Count("*"), _NO_AMOUNT),
        _part(refunds, "refund", F("currency"), Count("*"), Sum("amount")),
        _part(compensation, "compensation", F("currency"), Count("*"), Sum("compensation_amount")),
        _part(sales, "sales", F("currency"), Sum("orders"), Sum("revenue")),
        all=True,
    )
    result: dict[str, dict[str, tuple[int, Decimal]]] = {
        what: {} for what in ("return", "complaint", "refund", "compensation", "sales")
    }
    for row in union:
        result[row["what"]][row["cur"] or ""] = (int(row["n"] or 0), _decimal(row["amount"]) or Decimal("0.00"))
    return result


def kpi_values(scope: KpiScope) -> dict[str, KpiValue]:
    """All eight KPIs of the scope, keyed by Kpi value. Six queries."""
    start, end = scope.start, scope.end

    # Counts name no primary key (COUNT(*) or a column of the range): with COUNT(id) PostgreSQL must read the table
    # even where an index covers everything else.
    # 1. Tickets created in the period (index on created_at, or (storefront, created_at)).
    responded = Q(first_response_at__isnull=False)
    response_seconds = SecondsBetween(F("first_response_at"), F("created_at"))
    aggregates: dict[str, Any] = {
        "created": Count("*"),
        "resolved": Count("created_at", filter=Q(resolved_at__isnull=False) | Q(status=Status.CLOSED)),
        "responded": Count("first_response_at"),
        "response_seconds": Sum(response_seconds, filter=responded),
    }
    created_in_period = _scoped(
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end),
        scope,
        storefront="storefront_id",
        team="team_id",
    )
    created = created_in_period.aggregate(**aggregates)
    created["response_p90"] = _percentile(
        created_in_period.filter(responded), response_seconds, 0.9, created["responded"]
    )

    # 2. Tickets resolved in the period. resolved_at is set exactly while the status is resolved or closed (a reopen
    # clears it), and naming both statuses lets the (status, resolved_at) index serve the range.
    processing_seconds = ExpressionWrapper(
        SecondsBetween(F("resolved_at"), F("created_at")) - F("pending_seconds"), output_field=FloatField()
    )
    resolved = _scoped(
        Ticket.objects.filter(status__in=(Status.RESOLVED, Status.CLOSED), resolved_at__gte=start, resolved_at__lt=end),
        scope,
        storefront="storefront_id",
        team="team_id",
    ).aggregate(n=Count("*"), seconds=Sum(processing_seconds))

    # 3. SLA clocks stopped in the period, per metric (covering index on stopped_at); the team is the clock's own.
    clocks = _scoped(
        SlaClock.objects.filter(stopped_at__gte=start, stopped_at__lt=end),
        scope,
        storefront="ticket__storefront_id",
        team="team_id",
    )
    per_metric = {
        row["metric"]: (row["met"], row["total"])
        for row in clocks.values("metric")
        .annotate(total=Count("*"), met=Count("stopped_at", filter=Q(stopped_at__lte=F("due_at"))))
        .order_by()
    }

    # 4. Surveys answered in the period (partial index on answered_at).
    surveys = _scoped(
        Survey.objects.filter(answered_at__gte=start, answered_at__lt=end),
        scope,
        storefront="ticket__storefront_id",
        team="ticket__team_id",
    ).aggregate(answered=Count("*"), satisfied=Count("overall", filter=Q(overall__gte=4)))

    # 5. Returns, complaints, money and sales.
    small = _small_tables(scope)

    values: dict[str, KpiValue] = {}

    def put(kpi: str, value: Decimal | None, numerator: Any, denominator: Any, detail: dict | None = None) -> None:
        values[kpi] = KpiValue(
            kpi=kpi,
            value=value,
            unit=KPI_UNITS[kpi],
            numerator=numerator,
            denominator=denominator,
            detail=detail or {},
        )

    average, total = _average_hours(created["response_seconds"], created["responded"])
    put(
        Kpi.FIRST_RESPONSE_TIME,
        average,
        total,
        created["responded"],
        {"p90": _hours(created.get("response_p90")) if created["responded"] else None},
    )
    average, total = _average_hours(resolved["seconds"], resolved["n"])
    put(Kpi.PROCESSING_TIME, average, total, resolved["n"])

    met = sum(pair[0] for pair in per_metric.values())
    ended = sum(pair[1] for pair in per_metric.values())
    put(
        Kpi.SLA_COMPLIANCE,
        _percent(met, ended),
        met,
        ended,
        {metric: _percent(*per_metric.get(metric, (0, 0))) for metric in Metric.values},
    )
    put(
        Kpi.RESOLUTION_RATE,
        _percent(created["resolved"], created["created"]),
        created["resolved"],
        created["created"],
    )
    put(
        Kpi.SATISFACTION,
        _percent(surveys["satisfied"], surveys["answered"]),
        surveys["satisfied"],
        surveys["answered"],
    )

    orders = sum(n for n, _revenue in small["sales"].values())
    returns = sum(n for n, _amount in small["return"].values())
    complaints = sum(n for n, _amount in small["complaint"].values())
    put(Kpi.RETURN_RATE, _percent(returns, orders), returns, orders)
    put(Kpi.COMPLAINT_RATE, _percent(complaints, orders), complaints, orders)

    # Amounts are compared only with revenue in their own currency: the currency with the largest revenue (the one
    # currency of the storefront, in the expected case); other currencies are left out and named in the detail.
    revenue_by_currency = {currency: revenue for currency, (_n, revenue) in small["sales"].items() if revenue > 0}
    currency = max(sorted(revenue_by_currency), key=lambda code: revenue_by_currency[code], default=None)
    if currency is None:
        put(Kpi.AFTER_SALES_COST, None, None, None, {"currency": None})
    else:
        refunds = small["refund"].get(currency, (0, Decimal("0.00")))[1]
        compensation = small["compensation"].get(currency, (0, Decimal("0.00")))[1]
        revenue = revenue_by_currency[currency]
        ignored = sorted(
            {code for what in ("refund", "compensation", "sales") for code in small[what] if code != currency}
        )
        put(
            Kpi.AFTER_SALES_COST,
            _percent(refunds + compensation, revenue),
            refunds + compensation,
            revenue,
            {"currency": currency, "refunds": refunds, "compensation": compensation, "other_currencies": ignored},
        )
    return values
