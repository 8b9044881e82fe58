"""The supervisors' reports: each aggregate on small hand-made data with its answer worked out here, the page, the CSV
tables and the API (who may, bad parameters, a query count that does not grow with the data)."""

import csv
import io
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from alerts.kpis import KpiScope
from alerts.models import KpiThreshold
from alerts.reports import report_data
from complaints.models import Complaint
from returns.models import Order, OrderLine, ReturnItem, ReturnRequest
from tests.factories import CustomerFactory, make_staff
from tickets.models import SalesStat, SlaClock, StaffProfile, Survey, Ticket

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# The period of the hand-made data: Monday 2 March to Wednesday 4 March 2026, days in Shanghai (UTC+8).
START = datetime(2026, 3, 2, tzinfo=SHANGHAI)
END = datetime(2026, 3, 5, tzinfo=SHANGHAI)
SCOPE = KpiScope(start=START, end=END)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


_counter = iter(range(1, 10_000))


def ticket(storefront, created: datetime, **fields) -> Ticket:
    """A ticket row as the services leave it, with the instants the test needs (no routing, no clocks)."""
    n = next(_counter)
    fields.setdefault("status", "resolved" if fields.get("resolved_at") else "open")
    return Ticket.objects.create(
        storefront=storefront,
        subject=f"Ticket {n}",
        created_at=created,
        updated_at=created,
        **fields,
    )


def clock(ticket_: Ticket, metric: str, stopped: datetime | None, *, late: bool = False, team=None) -> SlaClock:
    due = stopped + (timedelta(hours=-1) if late else timedelta(hours=1)) if stopped else ticket_.created_at
    return SlaClock.objects.create(
        ticket=ticket_,
        metric=metric,
        team=team if team is not None else ticket_.team,
        target_minutes=60,
        started_at=ticket_.created_at,
        warn_at=due,
        due_at=due,
        escalate2_at=due,
        escalate3_at=due,
        stopped_at=stopped,
    )


def survey(ticket_: Ticket, answered: datetime | None, overall: int | None = None) -> Survey:
    """As the resolve creates it: with the ticket's assignee of that moment."""
    return Survey.objects.create(
        ticket=ticket_,
        assignee_id=ticket_.assignee_id,
        token=f"token-{ticket_.pk}-{next(_counter)}",
        created_at=ticket_.created_at,
        expires_at=ticket_.created_at + timedelta(days=14),
        answered_at=answered,
        overall=overall,
    )


def rows_by(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


# --- Aggregates ---------------------------------------------------------------------------------------------------


def test_daily_counts_created_and_resolved_per_local_day_and_keeps_empty_days(storefront):
    # given: two tickets on Monday (one at 00:30 Shanghai, still Sunday in UTC), one on Wednesday at 23:30
    # (15:30 UTC), one just before the period; one resolved on Tuesday, one resolved after the period
    ticket(storefront, local(2, 0, 30))
    ticket(storefront, local(2, 10), resolved_at=local(3, 9))
    ticket(storefront, local(4, 23, 30))
    ticket(storefront, local(1, 23, 59), resolved_at=local(5, 0, 1))

    # when
    daily = report_data(SCOPE, tz=SHANGHAI, sections=["daily"])["daily"]

    # then: Tuesday has no ticket created and is there all the same
    assert daily == [
        {"date": "2026-03-02", "created": 2, "resolved": 0},
        {"date": "2026-03-03", "created": 0, "resolved": 1},
        {"date": "2026-03-04", "created": 1, "resolved": 0},
    ]


def test_daily_days_follow_the_time_zone_given(storefront):
    # given: Wednesday 23:30 in Shanghai is Wednesday 15:30 in UTC; Monday 00:30 in Shanghai is Sunday 16:30 UTC
    ticket(storefront, local(2, 0, 30))
    ticket(storefront, local(4, 23, 30))
    utc_scope = KpiScope(start=datetime(2026, 3, 1, tzinfo=UTC), end=datetime(2026, 3, 5, tzinfo=UTC))

    # when
    daily = report_data(utc_scope, tz=UTC, sections=["daily"])["daily"]

    # then
    assert [(row["date"], row["created"]) for row in daily] == [
        ("2026-03-01", 1),
        ("2026-03-02", 0),
        ("2026-03-03", 0),
        ("2026-03-04", 1),
    ]


def test_first_response_histogram_hour_and_weekday_with_averages(storefront):
    # given: Monday at 10:00, answered after 10, 20 and 90 minutes; Tuesday at 14:00, answered after 3 h and 30 h,
    # and one not answered yet
    for minutes in (10, 20, 90):
        ticket(storefront, local(2, 10), first_response_at=local(2, 10) + timedelta(minutes=minutes))
    for hours in (3, 30):
        ticket(storefront, local(3, 14), first_response_at=local(3, 14) + timedelta(hours=hours))
    ticket(storefront, local(3, 14))

    # when
    data = report_data(
        SCOPE,
        tz=SHANGHAI,
        sections=["first_response_histogram", "first_response_by_hour", "first_response_by_weekday"],
    )

    # then: buckets < 15 min, 15-30 min, 1-2 h, 2-4 h and >= 24 h hold one each; 5 answered in all
    histogram = [row["tickets"] for row in data["first_response_histogram"]]
    assert histogram == [1, 1, 0, 1, 1, 0, 0, 1]
    assert data["first_response_histogram"][0]["percent"] == 20.0
    assert data["first_response_histogram"][0]["label"] == "0-15 min"
    assert [row["label"] for row in data["first_response_histogram"][2:4]] == ["30-60 min", "1-2 h"]
    assert data["first_response_histogram"][-1]["label"] == "24 h or more"
    by_hour = rows_by(data["first_response_by_hour"], "hour")
    assert len(by_hour) == 24
    # 10:00: (10 + 20 + 90) / 3 = 40 min = 0.67 h
    assert by_hour[10] == {"hour": 10, "label": "10:00", "tickets": 3, "answered": 3, "average_hours": 0.67}
    # 14:00: three tickets, two answered: (3 + 30) / 2 = 16.5 h
    assert by_hour[14] == {"hour": 14, "label": "14:00", "tickets": 3, "answered": 2, "average_hours": 16.5}
    assert by_hour[9] == {"hour": 9, "label": "09:00", "tickets": 0, "answered": 0, "average_hours": None}
    by_weekday = rows_by(data["first_response_by_weekday"], "weekday")
    assert list(by_weekday) == [1, 2, 3, 4, 5, 6, 7]
    assert by_weekday[1]["label"] == "Monday" and by_weekday[1]["average_hours"] == 0.67
    assert by_weekday[2]["tickets"] == 3 and by_weekday[2]["average_hours"] == 16.5
    assert by_weekday[3]["tickets"] == 0 and by_weekday[3]["average_hours"] is None


def test_first_response_histogram_edges_are_lower_inclusive(storefront):
    # given: replies exactly 15 minutes, 1 hour and 24 hours after creation
    for delta in (timedelta(minutes=15), timedelta(hours=1), timedelta(hours=24)):
        ticket(storefront, local(2, 10), first_response_at=local(2, 10) + delta)

    # when
    rows = report_data(SCOPE, tz=SHANGHAI, sections=["first_response_histogram"])["first_response_histogram"]

    # then: each falls into the bucket that starts there
    assert [row["tickets"] for row in rows] == [0, 1, 0, 1, 0, 0, 0, 1]


def test_by_category_and_channel_count_created_resolved_and_average_first_response(storefront):
    # given: two logistics tickets by web (one resolved; answered after 1 h and 3 h), one product-quality ticket by
    # e-mail that is closed, and a logistics ticket that was resolved but reopened (not resolved any more)
    ticket(
        storefront,
        local(2, 9),
        category="logistics",
        channel="web",
        first_response_at=local(2, 10),
        resolved_at=local(2, 12),
    )
    ticket(storefront, local(2, 9), category="logistics", channel="web", first_response_at=local(2, 12))
    ticket(
        storefront,
        local(3, 9),
        category="product_quality",
        channel="email",
        status="closed",
        resolved_at=local(3, 10),
        closed_at=local(3, 11),
    )
    ticket(storefront, local(3, 9), category="logistics", channel="phone", status="open")

    # when
    data = report_data(SCOPE, tz=SHANGHAI, sections=["by_category", "by_channel"])

    # then
    categories = rows_by(data["by_category"], "category")
    assert data["by_category"][0]["category"] == "logistics"  # most tickets first
    assert categories["logistics"] == {
        "category": "logistics",
        "label": "Logistics",
        "created": 3,
        "resolved": 1,
        "resolution_rate": 33.3,
        "average_first_response_hours": 2.0,
    }
    assert categories["product_quality"]["resolved"] == 1 and categories["product_quality"]["resolution_rate"] == 100
    assert categories["payment"]["created"] == 0 and categories["payment"]["resolution_rate"] is None
    channels = rows_by(data["by_channel"], "channel")
    assert (channels["web"]["created"], channels["web"]["resolved"]) == (2, 1)
    assert channels["web"]["average_first_response_hours"] == 2.0
    assert (channels["email"]["created"], channels["phone"]["created"], channels["chat"]["created"]) == (1, 1, 0)


def test_sla_daily_counts_clocks_stopped_per_day_and_metric(storefront, team, other_team):
    # given: Monday two acknowledgement clocks stopped (one late), Tuesday a resolution clock in time, a clock
    # stopped before the period and one still running; one of Monday's clocks belongs to the other team
    t = ticket(storefront, local(1, 9), team=team)
    clock(t, "acknowledgement", local(2, 10))
    clock(t, "acknowledgement", local(2, 11), late=True, team=other_team)
    clock(t, "resolution", local(3, 18))
    clock(t, "response", local(1, 23))
    clock(t, "response", None)

    # when
    rows = report_data(SCOPE, tz=SHANGHAI, sections=["sla_daily"])["sla_daily"]
    team_rows = report_data(KpiScope(start=START, end=END, team_id=team.pk), tz=SHANGHAI, sections=["sla_daily"])

    # then: every day has every metric
    assert len(rows) == 3 * 4
    by_key = {(row["date"], row["metric"]): row for row in rows}
    assert by_key[("2026-03-02", "acknowledgement")] == {
        "date": "2026-03-02",
        "metric": "acknowledgement",
        "label": "Acknowledgement",
        "ended": 2,
        "met": 1,
        "compliance": 50.0,
    }
    assert (by_key[("2026-03-03", "resolution")]["ended"], by_key[("2026-03-03", "resolution")]["compliance"]) == (
        1,
        100.0,
    )
    assert by_key[("2026-03-02", "response")]["ended"] == 0 and by_key[("2026-03-02", "response")]["compliance"] is None
    # the team's view counts the clock's own team: the late clock was the other team's
    team_by_key = {(row["date"], row["metric"]): row for row in team_rows["sla_daily"]}
    assert team_by_key[("2026-03-02", "acknowledgement")]["ended"] == 1
    assert team_by_key[("2026-03-02", "acknowledgement")]["compliance"] == 100.0


def test_agents_table_handled_median_first_response_sla_and_satisfaction(storefront, team):
    # given: Ann resolved two tickets in the period (answered after 30 min and 90 min) and one after it; three of
    # the clocks of the two stopped in the period, two in time (the third ticket's clocks do not count); two surveys
    # about her tickets answered (5 and 4), one answered after the period; Bob resolved one ticket and nothing else
    ann = make_staff("ann", "agent", teams=(team,), first_name="Ann", last_name="Lee")
    bob = make_staff("bob", "agent", teams=(team,))
    a1 = ticket(storefront, local(2, 9), assignee=ann, first_response_at=local(2, 9, 30), resolved_at=local(2, 12))
    a2 = ticket(storefront, local(2, 9), assignee=ann, first_response_at=local(2, 10, 30), resolved_at=local(3, 12))
    a3 = ticket(storefront, local(3, 9), assignee=ann, first_response_at=local(3, 9, 5), resolved_at=local(6, 1))
    ticket(storefront, local(2, 9), assignee=bob, resolved_at=local(4, 12))
    clock(a1, "acknowledgement", local(2, 9, 10))
    clock(a1, "resolution", local(2, 12), late=True)
    clock(a2, "resolution", local(3, 12))
    clock(a3, "resolution", local(6, 1))
    clock(a3, "acknowledgement", local(3, 9, 10))  # in the period, but a3 was not handled in it
    survey(a1, local(3, 8), 5)
    survey(a2, local(4, 8), 4)
    survey(a3, local(6, 8), 1)
    survey(a3, None)

    # when
    agents = report_data(SCOPE, tz=SHANGHAI, sections=["agents"])["agents"]

    # then: Ann first (most handled); median of 30 and 90 minutes = 1 h; 2 of 3 clocks met = 66.7 %; (5 + 4) / 2
    assert agents == [
        {
            "agent_id": ann.pk,
            "agent": "Ann Lee",
            "handled": 2,
            "median_first_response_hours": 1.0,
            "sla_ended": 3,
            "sla_met": 2,
            "sla_compliance": 66.7,
            "surveys": 2,
            "average_satisfaction": 4.5,
        },
        {
            "agent_id": bob.pk,
            "agent": "bob",
            "handled": 1,
            "median_first_response_hours": None,
            "sla_ended": 0,
            "sla_met": 0,
            "sla_compliance": None,
            "surveys": 0,
            "average_satisfaction": None,
        },
    ]


def test_agents_satisfaction_stays_with_the_agent_who_resolved_after_a_reassignment(storefront, team):
    # given: Ann resolved a ticket and its survey was answered 2; the ticket was then reassigned to Bob
    ann = make_staff("ann", "agent", teams=(team,))
    bob = make_staff("bob", "agent", teams=(team,))
    rated = ticket(storefront, local(2, 9), assignee=ann, resolved_at=local(2, 12))
    survey(rated, local(3, 8), 2)
    Ticket.objects.filter(pk=rated.pk).update(assignee=bob)

    # when
    agents = rows_by(report_data(SCOPE, tz=SHANGHAI, sections=["agents"])["agents"], "agent")

    # then: the 2 is Ann's (the resolution it rates), not Bob's
    assert agents["ann"]["surveys"] == 1 and agents["ann"]["average_satisfaction"] == 2.0
    assert agents["bob"]["surveys"] == 0 and agents["bob"]["average_satisfaction"] is None


def _return(storefront, created: datetime, reasons: list[tuple[str, int]], team=None) -> ReturnRequest:
    n = next(_counter)
    order = Order.objects.create(
        storefront=storefront,
        external_id=f"O-{n}",
        placed_at=created - timedelta(days=5),
        delivered_at=created - timedelta(days=2),
        currency="CNY",
    )
    request = ReturnRequest.objects.create(
        storefront=storefront,
        order=order,
        ticket=ticket(storefront, created, kind="return", team=team),
        resolution="refund",
        decision_outcome="needs_review",
        decision_rule="review",
        decision_explanation="",
        refundable_amount=Decimal("10.00"),
        currency="CNY",
        created_at=created,
        updated_at=created,
    )
    for index, (reason, quantity) in enumerate(reasons):
        line = OrderLine.objects.create(
            order=order, external_id=f"L{index}", sku=f"SKU{index}", name="Kettle", quantity=5, unit_price=1
        )
        ReturnItem.objects.create(
            return_request=request, order_line=line, quantity=quantity, reason=reason, amount=Decimal("1.00")
        )
    return request


def test_return_reasons_pareto_most_frequent_first_with_cumulative_share(storefront):
    # given: six return items in the period: three quality issues, two wrong items, one change of mind (quantity 2);
    # one more quality issue in a return before the period
    _return(storefront, local(2, 10), [("quality_issue", 1), ("wrong_item", 1)])
    _return(storefront, local(3, 10), [("quality_issue", 1), ("quality_issue", 1), ("changed_mind", 2)])
    _return(storefront, local(4, 10), [("wrong_item", 1)])
    _return(storefront, local(1, 10), [("quality_issue", 1)])

    # when
    reasons = report_data(SCOPE, tz=SHANGHAI, sections=["return_reasons"])["return_reasons"]

    # then: 3/6 = 50 %, 2/6 = 33.3 % (83.3 % so far), 1/6 = 16.7 % (100 %)
    assert reasons == [
        {
            "reason": "quality_issue",
            "label": "Quality issue",
            "count": 3,
            "quantity": 3,
            "percent": 50.0,
            "cumulative_percent": 50.0,
        },
        {
            "reason": "wrong_item",
            "label": "Wrong item",
            "count": 2,
            "quantity": 2,
            "percent": 33.3,
            "cumulative_percent": 83.3,
        },
        {
            "reason": "changed_mind",
            "label": "Changed mind",
            "count": 1,
            "quantity": 2,
            "percent": 16.7,
            "cumulative_percent": 100.0,
        },
    ]


def _complaint(storefront, created: datetime, category: str, root_cause: str = "", compensation=None) -> Complaint:
    return Complaint.objects.create(
        ticket=ticket(storefront, created, kind="complaint"),
        category=category,
        department="logistics",
        root_cause_code=root_cause,
        compensation_amount=compensation,
        currency="CNY" if compensation else "",
        created_at=created,
        updated_at=created,
    )


def test_complaint_categories_and_root_causes(storefront, other_storefront):
    # given: three logistics complaints (one traced to the carrier, compensated 20.50) and one about service in the
    # period; another logistics complaint of another storefront, and one before the period
    _complaint(storefront, local(2, 10), "logistics", "carrier", Decimal("20.50"))
    _complaint(storefront, local(2, 11), "logistics")
    _complaint(storefront, local(3, 11), "logistics")
    _complaint(storefront, local(4, 11), "service", "staff_error")
    _complaint(other_storefront, local(4, 11), "logistics")
    _complaint(storefront, local(1, 11), "service")

    # when
    data = report_data(
        KpiScope(start=START, end=END, storefront_id=storefront.pk),
        tz=SHANGHAI,
        sections=["complaint_categories", "complaint_root_causes"],
    )

    # then
    assert [(row["category"], row["count"], row["percent"], row["cumulative_percent"]) for row in
            data["complaint_categories"]] == [("logistics", 3, 75.0, 75.0), ("service", 1, 25.0, 100.0)]  # fmt: skip
    assert data["complaint_categories"][0]["compensation"] == 20.5
    causes = [(row["root_cause"], row["label"], row["count"]) for row in data["complaint_root_causes"]]
    assert causes[0] == ("", "Not determined yet", 2)
    assert sorted(causes[1:]) == [("carrier", "Carrier", 1), ("staff_error", "Staff error", 1)]


def test_kpi_cards_against_the_warning_line_of_the_scope_else_the_default(storefront):
    # given: two surveys answered in the period, overall 5 and 3: satisfaction 50 %; the default line is >= 90 %,
    # this storefront's own line is >= 40 %
    t = ticket(storefront, local(2, 9), resolved_at=local(2, 10))
    survey(t, local(2, 11), 5)
    survey(t, local(3, 11), 3)
    KpiThreshold.objects.create(kpi="satisfaction", comparison="at_least", value=Decimal("40"), storefront=storefront)

    # when
    everywhere = rows_by(report_data(SCOPE, tz=SHANGHAI, sections=["kpis"])["kpis"], "kpi")
    shop = report_data(KpiScope(start=START, end=END, storefront_id=storefront.pk), tz=SHANGHAI, sections=["kpis"])
    shop_cards = rows_by(shop["kpis"], "kpi")

    # then
    assert len(everywhere) == 8
    satisfaction = everywhere["satisfaction"]
    assert satisfaction["value"] == 50.0 and satisfaction["unit"] == "percent"
    assert satisfaction["threshold"]["comparison"] == "at_least" and satisfaction["threshold"]["value"] == 90.0
    assert satisfaction["ok"] is False
    assert shop_cards["satisfaction"]["threshold"]["value"] == 40.0 and shop_cards["satisfaction"]["ok"] is True
    # nothing to measure: no value, neither green nor red
    assert everywhere["return_rate"]["value"] is None and everywhere["return_rate"]["ok"] is None
    assert everywhere["return_rate"]["threshold"]["value"] == 3.0


def test_an_empty_period_gives_zeros_and_nothing_to_measure():
    # given: no data at all
    # when
    data = report_data(SCOPE, tz=SHANGHAI)

    # then
    assert [card["value"] for card in data["kpis"]] == [None] * 8
    assert all(card["ok"] is None for card in data["kpis"])
    assert [row["created"] + row["resolved"] for row in data["daily"]] == [0, 0, 0]
    assert all(row["ended"] == 0 and row["compliance"] is None for row in data["sla_daily"])
    assert all(row["tickets"] == 0 and row["percent"] is None for row in data["first_response_histogram"])
    assert all(row["average_hours"] is None for row in data["first_response_by_hour"])
    assert all(row["created"] == 0 and row["resolution_rate"] is None for row in data["by_category"])
    assert data["agents"] == [] and data["return_reasons"] == []
    assert data["complaint_categories"] == [] and data["complaint_root_causes"] == []
    assert data["period"]["first_day"] == "2026-03-02" and data["period"]["last_day"] == "2026-03-04"


def test_report_data_is_plain_json():
    import json

    # given/when: a report with a sales row and a threshold (decimals in the database)
    SalesStat.objects.create(
        storefront=CustomerFactory().storefront,
        date=date(2026, 3, 2),
        orders=10,
        revenue=Decimal("100.00"),
        currency="CNY",
        created_at=START,
        updated_at=START,
    )
    data = report_data(SCOPE, tz=SHANGHAI)

    # then
    assert json.loads(json.dumps(data)) == data


# --- The page -----------------------------------------------------------------------------------------------------

REPORTS = "/reports/"


def test_page_needs_a_supervisor(client, agent, finance_user, supervisor, db):
    # anonymous: to the login page
    response = client.get(REPORTS)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for user in (agent, finance_user):
        client.force_login(user)
        assert client.get(REPORTS).status_code == 403
        assert client.get("/reports/daily.csv").status_code == 403
    client.force_login(supervisor)
    assert client.get(REPORTS).status_code == 200
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pass-1234")
    client.force_login(admin)
    assert client.get(REPORTS).status_code == 200


def test_navigation_shows_reports_to_supervisors_only(client, agent, supervisor):
    client.force_login(supervisor)
    assert b'href="/reports/"' in client.get("/desk/").content
    client.force_login(agent)
    assert b'href="/reports/"' not in client.get("/desk/").content


def test_page_shows_kpi_cards_against_their_lines_and_embeds_the_data(supervisor_desk, storefront):
    # given: today one ticket answered after 30 minutes (first response average 0.5 h: within <= 2 h)
    from django.utils import timezone

    now = timezone.now()
    ticket(storefront, now - timedelta(hours=1), first_response_at=now - timedelta(minutes=30))

    # when
    response = supervisor_desk.get(REPORTS, {"period": "7"})

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kpi="first_response_time"' in html
    card = html.split('data-kpi="first_response_time"')[0].rsplit("<div", 1)[1]
    assert "kpi-ok" in card
    assert "0.5 h" in html and "≤ 2 h" in html
    satisfaction = html.split('data-kpi="satisfaction"')[1].split("</div>")[0]
    assert "—" in satisfaction and "≥ 90 %" in satisfaction
    assert 'id="report-data" type="application/json"' in html
    # The ticket is an hour old: today's or, just after the desk's midnight, yesterday's.
    daily = response.context["data"]["daily"]
    assert len(daily) == 7 and sum(day["created"] for day in daily[-2:]) == 1
    assert 'href="/reports/by_category.csv?period=7"' in html
    assert "vendor/chart.js/chart.umd.min.js" in html


def test_page_pickers_narrow_to_a_storefront_and_team(supervisor_desk, storefront, other_storefront, team):
    from django.utils import timezone

    now = timezone.now()
    ticket(storefront, now - timedelta(hours=1), team=team)
    ticket(storefront, now - timedelta(hours=1))
    ticket(other_storefront, now - timedelta(hours=1), team=team)

    response = supervisor_desk.get(REPORTS, {"storefront": storefront.pk, "team": team.pk})

    assert response.status_code == 200
    assert sum(row["created"] for row in response.context["data"]["daily"]) == 1
    assert f'<option value="{storefront.pk}" selected>' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2026-13-01", "to": "2026-03-01"}, "From", "Enter a valid date."),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "From", "The start date must be on or before the end date."),
        ({"from": "2025-01-01", "to": "2026-03-01"}, "From", "A report covers at most 366 days."),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "From", "Enter a date between"),
        ({"to": "9999-12-31"}, "To", "Enter a date between"),
        ({"period": "365"}, "Period", "Select a valid choice."),
        ({"storefront": "999999"}, "Storefront", "Select a valid choice."),
        ({"team": "abc"}, "Team", "Select a valid choice."),
    ],
)
def test_bad_parameters_are_named_on_the_page_the_csv_and_the_api(
    supervisor_desk, supervisor_api, params, field, message
):
    # when
    page = supervisor_desk.get(REPORTS, params)
    table = supervisor_desk.get("/reports/daily.csv", params)
    api = supervisor_api.get("/api/v1/desk/reports/", params)

    # then: 400 naming the field, never a 500
    assert page.status_code == 400
    assert f"{field}: {message}" in page.content.decode()
    assert table.status_code == 400 and f"{field}: {message}" in table.content.decode()
    assert api.status_code == 400
    body = api.json()
    assert body["type"] == "validation_error"
    name = field.lower()
    assert any(message in text for text in body["errors"][name])


def test_a_full_year_of_366_days_is_accepted(supervisor_desk):
    response = supervisor_desk.get(REPORTS, {"from": "2024-01-01", "to": "2024-12-31"})
    assert response.status_code == 200
    assert len(response.context["data"]["daily"]) == 366


def test_page_in_chinese_with_days_in_the_users_time_zone(client, supervisor, storefront):
    # given: a supervisor reading Chinese in New York; a ticket created at 01:00 UTC on 3 March = 2 March, 20:00 there
    StaffProfile.objects.filter(user=supervisor).update(language="zh-hans", time_zone="America/New_York")
    ticket(storefront, datetime(2026, 3, 3, 1, tzinfo=UTC))
    client.force_login(supervisor)

    # when
    response = client.get(REPORTS, {"from": "2026-03-02", "to": "2026-03-03"})

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "全部团队" in html and "店铺" in html
    assert response.context["data"]["period"]["time_zone"] == "America/New_York"
    assert [(row["date"], row["created"]) for row in response.context["data"]["daily"]] == [
        ("2026-03-02", 1),
        ("2026-03-03", 0),
    ]


# --- CSV ----------------------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def test_csv_is_an_attachment_in_utf8_with_bom_and_the_tables_figures(supervisor_desk, storefront):
    # given
    ticket(storefront, local(2, 9), category="logistics", resolved_at=local(2, 10))
    ticket(storefront, local(3, 9), category="logistics")

    # when
    response = supervisor_desk.get("/reports/by_category.csv", {"from": "2026-03-02", "to": "2026-03-04"})

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report-by_category-20260302-20260304.csv"'
    rows = _csv(response)
    assert rows[0] == ["Category", "Created", "Resolved", "Resolution rate (%)", "Average first response (h)"]
    assert rows[1] == ["Logistics", "2", "1", "50.0", ""]
    assert len(rows) == 1 + 7


def test_csv_header_is_in_the_users_language(client, supervisor, storefront):
    StaffProfile.objects.filter(user=supervisor).update(language="zh-hans")
    client.force_login(supervisor)

    response = client.get("/reports/by_category.csv")

    rows = _csv(response)
    assert rows[0][:3] == ["分类", "已创建", "已解决"]


def test_csv_neutralises_text_a_spreadsheet_would_run_as_a_formula(supervisor_desk, storefront, team):
    # given: an agent whose name starts like a formula
    sly = make_staff("sly", "agent", teams=(team,), first_name='=HYPERLINK("http://evil.example","x")')
    ticket(storefront, local(2, 9), assignee=sly, resolved_at=local(2, 10))

    # when
    response = supervisor_desk.get("/reports/agents.csv", {"from": "2026-03-02", "to": "2026-03-04"})

    # then
    rows = _csv(response)
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[1][1] == "1"


def test_every_table_downloads_and_an_unknown_one_is_404(supervisor_desk):
    from alerts.report_views import TABLES

    for name in TABLES:
        response = supervisor_desk.get(f"/reports/{name}.csv")
        assert response.status_code == 200, name
        assert len(_csv(response)[0]) == len(TABLES[name].columns)
    assert supervisor_desk.get("/reports/secrets.csv").status_code == 404


# --- API ----------------------------------------------------------------------------------------------------------

API = "/api/v1/desk/reports/"


def test_api_gives_the_same_figures_to_supervisors(supervisor_api, storefront):
    ticket(storefront, local(2, 9), category="logistics", resolved_at=local(2, 10))

    response = supervisor_api.get(API, {"from": "2026-03-02", "to": "2026-03-04", "storefront": storefront.pk})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "period",
        "kpis",
        "daily",
        "sla_daily",
        "first_response_histogram",
        "first_response_by_hour",
        "first_response_by_weekday",
        "by_category",
        "by_channel",
        "by_tag",
        "agents",
        "return_reasons",
        "complaint_categories",
        "complaint_root_causes",
    }
    assert body["period"]["storefront"] == storefront.pk
    assert body["daily"][0] == {"date": "2026-03-02", "created": 1, "resolved": 1}
    assert rows_by(body["kpis"], "kpi")["resolution_rate"]["value"] == 100.0


def test_api_refuses_agents_finance_storefronts_and_anonymous(client, agent_api, storefront_client, finance_user):
    from rest_framework.test import APIClient

    finance = APIClient()
    finance.credentials(HTTP_AUTHORIZATION=f"Token {finance_user.token}")
    assert agent_api.get(API).status_code == 403
    assert finance.get(API).status_code == 403
    assert storefront_client.get(API).status_code == 403
    assert APIClient().get(API).status_code == 401


def test_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/desk/reports/" in schema
    assert "desk_reports" in schema


# --- Query counts -------------------------------------------------------------------------------------------------

# Session, user, profile, groups; kpi_values' six and the warning lines; eleven row sets (alerts.reports: tickets
# created per hour, per category and channel and per tag, resolved per day and per agent, clocks per day and per
# agent, surveys, the agents' names, return items, complaints); the page's two pickers. The API authenticates with a
# token (user and token in one query). Choosing a storefront and a team adds the two lookups that validate them.
PAGE_QUERIES = 24
API_QUERIES = 21


def _data(storefront, team, agent, count: int) -> None:
    from django.utils import timezone

    now = timezone.now()
    for i in range(count):
        t = ticket(
            storefront,
            now - timedelta(hours=i + 2),
            team=team,
            assignee=agent,
            category=("logistics", "payment", "service")[i % 3],
            first_response_at=now - timedelta(hours=i + 1),
            resolved_at=now - timedelta(hours=i) if i % 2 else None,
        )
        clock(t, "acknowledgement", now - timedelta(hours=i + 1), late=bool(i % 3))
        survey(t, now - timedelta(minutes=i), 1 + i % 5)
        _complaint(storefront, now - timedelta(hours=i), "logistics", "carrier" if i % 2 else "")
        _return(storefront, now - timedelta(hours=i), [("quality_issue", 1), ("wrong_item", 1)], team=team)


def _count(django_assert_max_num_queries, call, limit: int) -> int:
    with django_assert_max_num_queries(limit) as captured:
        response = call()
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_page_and_api_queries_do_not_grow_with_the_tickets(
    supervisor_desk, supervisor_api, storefront, team, agent, django_assert_max_num_queries
):
    # given: 3 tickets, then 30 (with clocks, surveys, complaints and returns)
    _data(storefront, team, agent, 3)
    page_small = _count(django_assert_max_num_queries, lambda: supervisor_desk.get(REPORTS), PAGE_QUERIES)
    api_small = _count(django_assert_max_num_queries, lambda: supervisor_api.get(API), API_QUERIES)
    _data(storefront, team, agent, 27)

    # when
    page_large = _count(django_assert_max_num_queries, lambda: supervisor_desk.get(REPORTS), PAGE_QUERIES)
    api_large = _count(django_assert_max_num_queries, lambda: supervisor_api.get(API), API_QUERIES)
    team_page = _count(
        django_assert_max_num_queries,
        lambda: supervisor_desk.get(REPORTS, {"storefront": storefront.pk, "team": team.pk}),
        PAGE_QUERIES + 2,
    )

    # then
    assert page_large == page_small
    assert api_large == api_small
    assert team_page == page_small + 2
    assert supervisor_api.get(API).json()["agents"][0]["handled"] == 1 + 13  # the odd ones of 0-2 and of 0-26
