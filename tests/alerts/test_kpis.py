"""The KPI definitions of analytics.md on small hand-made data sets, each right answer worked out in the test.

Rows are written directly (not through the services) so every instant is exactly the one the arithmetic uses.
"""

import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.kpis import KpiScope, kpi_values, period_bounds
from alerts.models import Comparison, Kpi, KpiThreshold
from complaints.models import Complaint, CustomerResponse
from returns.models import Order, Refund, RefundStatus, ReturnRequest
from tests.factories import StorefrontFactory, TeamFactory
from tickets.models import Kind, Metric, SalesStat, SlaClock, Status, Survey, Ticket

pytestmark = pytest.mark.django_db

# Tuesday 10 March 2026 in Asia/Shanghai (UTC+8): [2026-03-09 16:00 UTC, 2026-03-10 16:00 UTC).
DAY_START = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)
DAY = KpiScope(start=DAY_START, end=DAY_END)
H = timedelta(hours=1)


@pytest.fixture
def shop(db):
    return StorefrontFactory(name="Shop")


def ticket(shop, created_at, **fields) -> Ticket:
    fields.setdefault("subject", "Parcel")
    return Ticket.objects.create(storefront=shop, created_at=created_at, updated_at=created_at, **fields)


def resolved(shop, created_at, resolved_at, **fields) -> Ticket:
    return ticket(shop, created_at, status=Status.RESOLVED, resolved_at=resolved_at, **fields)


def clock(t: Ticket, metric: str, due_at: datetime, stopped_at: datetime | None, team=None) -> SlaClock:
    started = due_at - 2 * H
    return SlaClock.objects.create(
        ticket=t,
        metric=metric,
        key=secrets.token_hex(4),
        team=team,
        target_minutes=120,
        started_at=started,
        warn_at=started + H,
        due_at=due_at,
        escalate2_at=due_at + 2 * H,
        escalate3_at=due_at + 4 * H,
        stopped_at=stopped_at,
    )


def survey(t: Ticket, answered_at: datetime | None, overall: int | None) -> Survey:
    return Survey.objects.create(
        ticket=t,
        token=secrets.token_urlsafe(16),
        created_at=DAY_START - H,
        expires_at=DAY_START + timedelta(days=14),
        answered_at=answered_at,
        overall=overall,
    )


def return_request(shop, created_at, team=None, currency="CNY") -> ReturnRequest:
    t = ticket(shop, created_at, kind=Kind.RETURN, team=team)
    order = Order.objects.create(
        storefront=shop,
        external_id=secrets.token_hex(6),
        placed_at=created_at - timedelta(days=5),
        delivered_at=created_at - timedelta(days=2),
        currency=currency,
    )
    return ReturnRequest.objects.create(
        storefront=shop,
        order=order,
        ticket=t,
        resolution="refund",
        decision_outcome="approved",
        decision_rule="no_reason",
        decision_explanation="Within 7 days.",
        refundable_amount=Decimal("500.00"),
        currency=currency,
        created_at=created_at,
        updated_at=created_at,
    )


def refund(request: ReturnRequest, amount: str, status: str, settled_at: datetime | None) -> Refund:
    return Refund.objects.create(
        return_request=request,
        amount=Decimal(amount),
        currency=request.currency,
        status=status,
        due_at=DAY_END,
        settled_at=settled_at,
        created_at=DAY_START - timedelta(days=3),
        updated_at=DAY_START,
    )


def complaint(shop, created_at, team=None, **fields) -> Complaint:
    t = ticket(shop, created_at, kind=Kind.COMPLAINT, team=team)
    return Complaint.objects.create(
        ticket=t,
        category="service",
        department="customer_service",
        created_at=created_at,
        updated_at=created_at,
        **fields,
    )


def sales(shop, day: date, orders: int, revenue: str, currency: str = "CNY") -> SalesStat:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    return SalesStat.objects.create(
        storefront=shop,
        date=day,
        orders=orders,
        revenue=Decimal(revenue),
        currency=currency,
        created_at=now,
        updated_at=now,
    )


# --- time ------------------------------------------------------------------------------------------------------------


def test_processing_time_excludes_time_pending_with_the_customer(shop):
    # 4 h from creation to resolution, 2 h of it waiting on the customer: 2 h of processing.
    resolved(shop, DAY_START + 1 * H, DAY_START + 5 * H, pending_seconds=2 * 3600)
    # Created the day before, resolved in the period, never pending: 26 h.
    resolved(shop, DAY_START - 16 * H, DAY_START + 10 * H)
    # Closed after resolving in the period: still counts (resolved_at stays): 6 h.
    ticket(shop, DAY_START, status=Status.CLOSED, resolved_at=DAY_START + 6 * H, closed_at=DAY_START + 7 * H)
    # Resolved after the period, and a ticket reopened (resolved_at cleared): neither counts.
    resolved(shop, DAY_START, DAY_END + H)
    ticket(shop, DAY_START, status=Status.OPEN)

    value = kpi_values(DAY)[Kpi.PROCESSING_TIME]

    assert value.unit == "hours"
    assert value.denominator == 3
    assert value.numerator == Decimal("34.00")  # 2 + 26 + 6
    assert value.value == Decimal("11.33")  # 34 / 3


def test_first_response_time_average_and_90th_percentile_over_tickets_created_in_the_period(shop):
    ticket(shop, DAY_START + H, first_response_at=DAY_START + 2 * H)  # 1 h
    ticket(shop, DAY_START + H, first_response_at=DAY_START + 4 * H)  # 3 h
    ticket(shop, DAY_START + 2 * H)  # not answered yet: not measured
    ticket(shop, DAY_START - H, first_response_at=DAY_START + 5 * H)  # created the day before

    value = kpi_values(DAY)[Kpi.FIRST_RESPONSE_TIME]

    assert (value.value, value.numerator, value.denominator) == (Decimal("2.00"), Decimal("4.00"), 2)
    # Continuous percentile of [1, 3]: 1 + 0.9 * (3 - 1) = 2.8 h.
    assert value.detail["p90"] == Decimal("2.80")


def test_nothing_to_measure_is_none_not_zero(shop):
    values = kpi_values(DAY)

    assert set(values) == set(Kpi.values)
    assert all(v.value is None for v in values.values())
    assert values[Kpi.FIRST_RESPONSE_TIME].detail["p90"] is None
    # A threshold has nothing to say about it: no alert.
    line = KpiThreshold(kpi=Kpi.SATISFACTION, comparison=Comparison.AT_LEAST, value=Decimal("90"))
    assert line.is_met(values[Kpi.SATISFACTION].value) is None


# --- rates over tickets, clocks and surveys ---------------------------------------------------------------------------


def test_resolution_rate_counts_tickets_created_in_the_period_that_are_resolved_or_closed(shop):
    resolved(shop, DAY_START + H, DAY_START + 2 * H)
    ticket(shop, DAY_START + H, status=Status.CLOSED, resolved_at=DAY_START + 3 * H, closed_at=DAY_END + H)
    ticket(shop, DAY_START + H, status=Status.OPEN)
    ticket(shop, DAY_START + H, status=Status.PENDING)
    resolved(shop, DAY_START - H, DAY_START + H)  # created before the period: neither side

    value = kpi_values(DAY)[Kpi.RESOLUTION_RATE]

    assert (value.value, value.numerator, value.denominator, value.unit) == (Decimal("50.00"), 2, 4, "percent")


def test_sla_compliance_counts_clocks_stopped_in_the_period_per_metric(shop):
    t = ticket(shop, DAY_START)
    due = DAY_START + 6 * H
    clock(t, Metric.ACKNOWLEDGEMENT, due, stopped_at=due - H)  # met
    clock(t, Metric.ACKNOWLEDGEMENT, due, stopped_at=due + H)  # late
    clock(t, Metric.RESPONSE, due, stopped_at=due)  # exactly at the deadline: met
    clock(t, Metric.RESPONSE, due, stopped_at=None)  # still running: not ended
    clock(t, Metric.RESOLUTION, DAY_START, stopped_at=DAY_START - H)  # stopped the day before

    value = kpi_values(DAY)[Kpi.SLA_COMPLIANCE]

    assert (value.numerator, value.denominator) == (2, 3)
    assert value.value == Decimal("66.67")
    assert value.detail == {
        Metric.ACKNOWLEDGEMENT: Decimal("50.00"),
        Metric.RESPONSE: Decimal("100.00"),
        Metric.RESOLUTION: None,
        Metric.REFUND: None,
    }


def test_satisfaction_counts_4_and_5_among_surveys_answered_in_the_period(shop):
    t = ticket(shop, DAY_START - 5 * H)
    for score in (5, 4, 3, 1):
        survey(t, DAY_START + H, score)
    survey(t, None, None)  # sent, never answered
    survey(t, DAY_END, 5)  # answered at the next midnight: the next day

    value = kpi_values(DAY)[Kpi.SATISFACTION]

    assert (value.value, value.numerator, value.denominator) == (Decimal("50.00"), 2, 4)


# --- rates over orders, and the cost ---------------------------------------------------------------------------------


def test_rates_with_no_orders_are_none_without_dividing_by_zero(shop):
    request = return_request(shop, DAY_START + H)
    refund(request, "100.00", RefundStatus.SUCCEEDED, DAY_START + 2 * H)
    complaint(shop, DAY_START + H)
    sales(shop, date(2026, 3, 10), orders=0, revenue="0.00")

    values = kpi_values(DAY)

    assert values[Kpi.RETURN_RATE].value is None
    assert (values[Kpi.RETURN_RATE].numerator, values[Kpi.RETURN_RATE].denominator) == (1, 0)
    assert values[Kpi.COMPLAINT_RATE].value is None
    assert values[Kpi.AFTER_SALES_COST].value is None


def test_return_and_complaint_rates_over_the_orders_of_the_days_of_the_period(shop):
    week = KpiScope(*period_bounds("week", DAY_START + H))  # Monday 9 March to Monday 16 March, Shanghai
    sales(shop, date(2026, 3, 9), orders=120, revenue="1000.00")
    sales(shop, date(2026, 3, 15), orders=80, revenue="1000.00")
    sales(shop, date(2026, 3, 16), orders=1000, revenue="1000.00")  # the next week
    sales(shop, date(2026, 3, 8), orders=1000, revenue="1000.00")  # the week before
    for hours in (1, 30, 100):
        return_request(shop, week.start + hours * H)
    return_request(shop, week.start - H)  # Sunday 23:00 local: the week before
    complaint(shop, week.end - H)

    values = kpi_values(week)

    assert (values[Kpi.RETURN_RATE].numerator, values[Kpi.RETURN_RATE].denominator) == (3, 200)
    assert values[Kpi.RETURN_RATE].value == Decimal("1.50")
    assert values[Kpi.COMPLAINT_RATE].value == Decimal("0.50")


def test_after_sales_cost_is_refunds_succeeded_plus_compensation_accepted_over_revenue(shop):
    sales(shop, date(2026, 3, 10), orders=100, revenue="10000.00")
    request = return_request(shop, DAY_START - timedelta(days=3))
    refund(request, "150.00", RefundStatus.SUCCEEDED, DAY_START + H)
    refund(request, "50.00", RefundStatus.SUCCEEDED, DAY_END - H)
    refund(request, "999.00", RefundStatus.PROCESSING, None)  # not paid yet
    refund(request, "999.00", RefundStatus.FAILED, DAY_START + H)  # never paid
    refund(request, "999.00", RefundStatus.SUCCEEDED, DAY_START - H)  # paid the day before
    accepted = {"customer_response": CustomerResponse.ACCEPTED, "currency": "CNY"}
    complaint(
        shop, DAY_START - H, compensation_amount=Decimal("100.00"), customer_response_at=DAY_START + H, **accepted
    )
    complaint(
        shop,
        DAY_START - H,
        compensation_amount=Decimal("80.00"),
        currency="CNY",
        customer_response=CustomerResponse.DECLINED,
        customer_response_at=DAY_START + H,
    )
    complaint(shop, DAY_START - H, compensation_amount=Decimal("70.00"), customer_response_at=DAY_END, **accepted)

    value = kpi_values(DAY)[Kpi.AFTER_SALES_COST]

    assert (value.numerator, value.denominator) == (Decimal("300.00"), Decimal("10000.00"))
    assert value.value == Decimal("3.00")
    assert value.detail["currency"] == "CNY"
    assert (value.detail["refunds"], value.detail["compensation"]) == (Decimal("200.00"), Decimal("100.00"))


def test_after_sales_cost_over_several_currencies_uses_the_one_with_the_largest_revenue(shop):
    usd_shop = StorefrontFactory(name="US shop")
    sales(shop, date(2026, 3, 10), orders=100, revenue="10000.00", currency="CNY")
    sales(usd_shop, date(2026, 3, 10), orders=10, revenue="500.00", currency="USD")
    refund(return_request(shop, DAY_START, currency="CNY"), "100.00", RefundStatus.SUCCEEDED, DAY_START + H)
    refund(return_request(usd_shop, DAY_START, currency="USD"), "400.00", RefundStatus.SUCCEEDED, DAY_START + H)

    value = kpi_values(DAY)[Kpi.AFTER_SALES_COST]

    assert value.value == Decimal("1.00")  # 100 CNY / 10,000 CNY; the USD refund is not added to yuan
    assert value.detail["currency"] == "CNY"
    assert value.detail["other_currencies"] == ["USD"]
    # The return rate counts orders in every currency: 2 returns / 110 orders.
    assert kpi_values(DAY)[Kpi.RETURN_RATE].value == Decimal("1.82")


# --- scopes ----------------------------------------------------------------------------------------------------------


def test_storefront_scope_counts_only_that_storefronts_tickets_orders_and_money(shop):
    other = StorefrontFactory(name="Other")
    resolved(shop, DAY_START + H, DAY_START + 2 * H)
    ticket(other, DAY_START + H)
    ticket(other, DAY_START + H)
    clock(ticket(other, DAY_START), Metric.RESPONSE, DAY_START + 2 * H, stopped_at=DAY_START + 3 * H)
    survey(ticket(other, DAY_START), DAY_START + H, 1)
    sales(shop, date(2026, 3, 10), orders=50, revenue="1000.00")
    sales(other, date(2026, 3, 10), orders=950, revenue="9000.00")
    return_request(shop, DAY_START + H)
    return_request(other, DAY_START + H)

    values = kpi_values(KpiScope(start=DAY_START, end=DAY_END, storefront_id=shop.pk))

    assert (values[Kpi.RESOLUTION_RATE].numerator, values[Kpi.RESOLUTION_RATE].denominator) == (1, 2)  # + its return
    assert values[Kpi.SLA_COMPLIANCE].value is None
    assert values[Kpi.SATISFACTION].value is None
    assert (values[Kpi.RETURN_RATE].numerator, values[Kpi.RETURN_RATE].denominator) == (1, 50)
    assert values[Kpi.RETURN_RATE].value == Decimal("2.00")


def test_team_scope_counts_the_teams_work_over_all_orders_of_the_storefront_scope(shop):
    team, other_team = TeamFactory(name="Returns desk"), TeamFactory(name="Logistics desk")
    ticket(shop, DAY_START + H, team=team, first_response_at=DAY_START + 2 * H)
    ticket(shop, DAY_START + H, team=other_team, first_response_at=DAY_START + 9 * H)
    t = ticket(shop, DAY_START, team=team)
    # The clock's own team counts (the team that owned the ticket while the clock ran).
    clock(t, Metric.RESPONSE, DAY_START + 4 * H, stopped_at=DAY_START + 3 * H, team=team)
    clock(t, Metric.RESPONSE, DAY_START + 4 * H, stopped_at=DAY_START + 5 * H, team=other_team)
    sales(shop, date(2026, 3, 10), orders=200, revenue="1000.00")
    return_request(shop, DAY_START + H, team=team)
    return_request(shop, DAY_START + H, team=other_team)
    return_request(shop, DAY_START + H, team=other_team)

    values = kpi_values(KpiScope(start=DAY_START, end=DAY_END, team_id=team.pk))

    assert values[Kpi.FIRST_RESPONSE_TIME].value == Decimal("1.00")
    assert values[Kpi.SLA_COMPLIANCE].value == Decimal("100.00")
    assert (values[Kpi.RETURN_RATE].numerator, values[Kpi.RETURN_RATE].denominator) == (1, 200)
    assert values[Kpi.RETURN_RATE].value == Decimal("0.50")


def test_all_eight_kpis_cost_six_queries(shop):
    resolved(shop, DAY_START + H, DAY_START + 2 * H, first_response_at=DAY_START + 2 * H)
    sales(shop, date(2026, 3, 10), orders=10, revenue="100.00")

    with CaptureQueriesContext(connection) as queries:
        kpi_values(KpiScope(start=DAY_START, end=DAY_END, storefront_id=shop.pk, team_id=None))

    assert len(queries) == 6


# --- periods ---------------------------------------------------------------------------------------------------------


def test_day_and_iso_week_bounds_are_local_midnights_in_the_configured_time_zone():
    # Monday 9 March 2026, 01:30 in Shanghai is still Sunday 17:30 in UTC.
    at = datetime(2026, 3, 8, 17, 30, tzinfo=UTC)

    assert period_bounds("day", at) == (datetime(2026, 3, 8, 16, tzinfo=UTC), datetime(2026, 3, 9, 16, tzinfo=UTC))
    assert period_bounds("week", at) == (
        datetime(2026, 3, 8, 16, tzinfo=UTC),
        datetime(2026, 3, 15, 16, tzinfo=UTC),
    )
    # One minute before local midnight on Sunday: still the week before (ISO weeks start on Monday).
    sunday_night = datetime(2026, 3, 8, 15, 59, tzinfo=UTC)
    assert period_bounds("week", sunday_night) == (
        datetime(2026, 3, 1, 16, tzinfo=UTC),
        datetime(2026, 3, 8, 16, tzinfo=UTC),
    )


def test_period_bounds_follow_settings_time_zone_across_a_daylight_saving_change(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    # Sunday 29 March 2026: clocks go forward at 02:00, the day lasts 23 hours.
    start, end = period_bounds("day", datetime(2026, 3, 29, 12, tzinfo=UTC))

    assert (start, end) == (datetime(2026, 3, 28, 23, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC))
    assert end - start == timedelta(hours=23)
    with pytest.raises(ValueError):
        period_bounds("month", datetime(2026, 3, 29, 12, tzinfo=UTC))


# --- warning lines ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "value", "value_max", "measured", "met"),
    [
        (Comparison.AT_MOST, "2", None, "2.00", True),
        (Comparison.AT_MOST, "2", None, "2.01", False),
        (Comparison.AT_LEAST, "95", None, "95.00", True),
        (Comparison.AT_LEAST, "95", None, "94.99", False),
        (Comparison.BETWEEN, "1", "3", "0.99", False),
        (Comparison.BETWEEN, "1", "3", "1.00", True),
        (Comparison.BETWEEN, "1", "3", "3.00", True),
        (Comparison.BETWEEN, "1", "3", "3.01", False),
    ],
)
def test_a_warning_line_is_met_inside_and_crossed_outside(comparison, value, value_max, measured, met):
    line = KpiThreshold(
        kpi=Kpi.AFTER_SALES_COST,
        comparison=comparison,
        value=Decimal(value),
        value_max=Decimal(value_max) if value_max else None,
    )

    assert line.is_met(Decimal(measured)) is met


def test_the_default_warning_lines_of_analytics_md_are_seeded():
    lines = {
        (t.kpi, t.comparison, t.value, t.value_max, t.period)
        for t in KpiThreshold.objects.filter(storefront=None, team=None, is_active=True)
    }

    assert lines == {
        (Kpi.FIRST_RESPONSE_TIME, "at_most", Decimal("2.00"), None, "day"),
        (Kpi.PROCESSING_TIME, "at_most", Decimal("24.00"), None, "day"),
        (Kpi.SLA_COMPLIANCE, "at_least", Decimal("95.00"), None, "day"),
        (Kpi.RESOLUTION_RATE, "at_least", Decimal("85.00"), None, "week"),
        (Kpi.SATISFACTION, "at_least", Decimal("90.00"), None, "week"),
        (Kpi.RETURN_RATE, "at_most", Decimal("3.00"), None, "week"),
        (Kpi.COMPLAINT_RATE, "at_most", Decimal("1.00"), None, "week"),
        (Kpi.AFTER_SALES_COST, "between", Decimal("1.00"), Decimal("3.00"), "week"),
    }
