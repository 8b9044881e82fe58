"""The SLA clock rules, as the desk and the customer notice them: deadlines, pauses, rounds of conversation."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_ticket
from tickets import services
from tickets.models import BusinessCalendar, CalendarDay, CalendarDayKind, Metric, SlaClock, SlaPolicy, Status

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


def _clock(ticket, metric: str, *, running: bool | None = None) -> SlaClock:
    clocks = SlaClock.objects.filter(ticket=ticket, metric=metric).order_by("-started_at", "-id")
    if running is not None:
        clocks = clocks.filter(stopped_at__isnull=running)
    return clocks.first()


def test_new_ticket_runs_acknowledgement_resolution_and_response_clocks_of_the_standard_policy(storefront, agent):
    ticket = make_ticket(storefront, now=T0)

    ack, response, resolution = (_clock(ticket, m) for m in ("acknowledgement", "response", "resolution"))
    assert ack.due_at == T0 + timedelta(hours=24)
    assert ack.warn_at == T0 + timedelta(hours=18)
    assert response.due_at == T0 + timedelta(hours=2)
    assert resolution.due_at == T0 + timedelta(hours=24)
    ticket.refresh_from_db()
    assert ticket.next_due_at == T0 + timedelta(hours=2)


def test_a_return_request_form_starts_no_response_clock(storefront):
    ticket = make_ticket(storefront, kind="return", now=T0)

    assert not SlaClock.objects.filter(ticket=ticket, metric=Metric.RESPONSE).exists()


@pytest.mark.parametrize(("minutes", "met"), [(119, True), (121, False)])
def test_answer_within_two_hours_meets_response_and_later_breaches(storefront, agent, minutes, met):
    ticket = make_ticket(storefront, now=T0)

    services.ticket_reply(ticket=ticket, user=agent, body="Here it is.", now=T0 + timedelta(minutes=minutes))

    clock = _clock(ticket, Metric.RESPONSE)
    assert clock.stopped_at == T0 + timedelta(minutes=minutes)
    assert clock.met is met


def test_acknowledging_stops_the_acknowledgement_clock_but_not_the_response_clock(storefront, agent):
    ticket = make_ticket(storefront, now=T0)

    services.ticket_acknowledge(ticket=ticket, user=agent, now=T0 + timedelta(minutes=5))

    assert _clock(ticket, Metric.ACKNOWLEDGEMENT).stopped_at == T0 + timedelta(minutes=5)
    assert _clock(ticket, Metric.RESPONSE).stopped_at is None


def test_second_customer_message_starts_a_new_response_clock(storefront, agent):
    ticket = make_ticket(storefront, now=T0)
    services.ticket_reply(ticket=ticket, user=agent, body="Checking.", now=T0 + timedelta(minutes=30))
    later = T0 + timedelta(hours=5)

    services.ticket_add_customer_message(ticket=ticket, body="Any news?", storefront=storefront, now=later)

    rounds = list(SlaClock.objects.filter(ticket=ticket, metric=Metric.RESPONSE).order_by("started_at"))
    assert len(rounds) == 2
    assert rounds[0].met is True
    assert rounds[1].started_at == later and rounds[1].due_at == later + timedelta(hours=2)
    ticket.refresh_from_db()
    assert ticket.next_due_at == later + timedelta(hours=2)


def test_a_customer_message_while_a_round_runs_keeps_its_deadline(storefront):
    ticket = make_ticket(storefront, now=T0)

    services.ticket_add_customer_message(
        ticket=ticket, body="Hello?", storefront=storefront, now=T0 + timedelta(minutes=50)
    )

    assert SlaClock.objects.filter(ticket=ticket, metric=Metric.RESPONSE).count() == 1
    assert _clock(ticket, Metric.RESPONSE).due_at == T0 + timedelta(hours=2)


def test_pending_pauses_resolution_and_the_deadline_moves_by_the_paused_time(storefront, agent):
    ticket = make_ticket(storefront, now=T0)
    services.ticket_change_status(ticket=ticket, status=Status.PENDING, user=agent, now=T0 + timedelta(hours=1))
    ticket.refresh_from_db()
    assert _clock(ticket, Metric.RESOLUTION).paused_at == T0 + timedelta(hours=1)

    services.ticket_change_status(ticket=ticket, status=Status.OPEN, user=agent, now=T0 + timedelta(hours=4))

    clock = _clock(ticket, Metric.RESOLUTION)
    assert clock.paused_at is None
    assert clock.paused_seconds == 3 * 3600
    assert clock.due_at == T0 + timedelta(hours=27)


def test_a_paused_clock_is_not_the_ticket_s_next_deadline(storefront, agent):
    ticket = make_ticket(storefront, kind="return", now=T0)
    services.ticket_acknowledge(ticket=ticket, user=agent, now=T0 + timedelta(minutes=1))

    services.ticket_change_status(ticket=ticket, status=Status.PENDING, user=agent, now=T0 + timedelta(hours=1))

    ticket.refresh_from_db()
    assert ticket.next_due_at is None


def test_a_customer_message_on_a_pending_ticket_resumes_resolution(storefront, agent):
    ticket = make_ticket(storefront, now=T0)
    services.ticket_change_status(ticket=ticket, status=Status.PENDING, user=agent, now=T0 + timedelta(hours=1))

    services.ticket_add_customer_message(
        ticket=ticket, body="Photos attached.", storefront=storefront, now=T0 + timedelta(hours=3)
    )

    assert _clock(ticket, Metric.RESOLUTION).due_at == T0 + timedelta(hours=26)


def test_resolving_stops_resolution_and_a_reopen_resumes_it(storefront, agent):
    ticket = make_ticket(storefront, now=T0)
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent, now=T0 + timedelta(hours=2))
    resolved = _clock(ticket, Metric.RESOLUTION)
    assert resolved.stopped_at == T0 + timedelta(hours=2) and resolved.met is True

    services.ticket_change_status(ticket=ticket, status=Status.OPEN, user=agent, now=T0 + timedelta(hours=10))

    clock = _clock(ticket, Metric.RESOLUTION)
    assert clock.pk == resolved.pk
    assert clock.stopped_at is None
    # 2 hours used before the resolve; the remaining 22 run from the reopen.
    assert clock.due_at == T0 + timedelta(hours=32)
    assert SlaClock.objects.filter(ticket=ticket, metric=Metric.RESOLUTION).count() == 1


def test_severity_change_repicks_the_policy_and_recomputes_from_the_start(storefront, agent):
    SlaPolicy.objects.create(
        name="Severe",
        position=1,
        severity="severe",
        acknowledgement_minutes=60,
        response_minutes=30,
        resolution_minutes=8 * 60,
    )
    ticket = make_ticket(storefront, now=T0)

    services.ticket_change_severity(ticket=ticket, severity="severe", user=agent, now=T0 + timedelta(minutes=10))

    assert _clock(ticket, Metric.RESOLUTION).due_at == T0 + timedelta(hours=8)
    assert _clock(ticket, Metric.ACKNOWLEDGEMENT).due_at == T0 + timedelta(hours=1)
    ticket.refresh_from_db()
    assert ticket.next_due_at == T0 + timedelta(minutes=30)


def test_refund_clock_counts_three_business_days_skipping_the_weekend(storefront):
    ticket = make_ticket(storefront, kind="return", now=T0)
    # Thursday 2026-03-05 10:00 Shanghai = 02:00 UTC.
    approved = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)

    clock = services.clock_start(ticket=ticket, metric="refund", now=approved)

    # Thu 10-18 (8 h) + Fri 9-18 (9 h) + Mon 9-18 (9 h) = 26 h; the 27th hour ends Tue 10:00 Shanghai.
    assert clock.due_at == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    assert services.clock_stop(ticket=ticket, metric="refund", now=approved + timedelta(days=1)).met is True
    assert services.clock_stop(ticket=ticket, metric="refund", now=approved + timedelta(days=2)) is None


def test_business_hours_policy_skips_nights_weekends_holidays_and_counts_make_up_days(storefront):
    calendar = BusinessCalendar.objects.create(name="Shanghai office", time_zone="Asia/Shanghai")
    CalendarDay.objects.create(calendar=calendar, date=datetime(2026, 3, 9).date(), kind=CalendarDayKind.HOLIDAY)
    CalendarDay.objects.create(calendar=calendar, date=datetime(2026, 3, 8).date(), kind=CalendarDayKind.WORKING_DAY)
    SlaPolicy.objects.create(name="Office hours", position=1, calendar=calendar, resolution_minutes=18 * 60)
    # Friday 2026-03-06 17:00 Shanghai.
    ticket = make_ticket(storefront, now=datetime(2026, 3, 6, 9, 0, tzinfo=UTC))

    # Fri 17-18 (1 h), Sat off, Sun make-up 9-18 (9 h), Mon holiday, Tue 9-17 (8 h) -> Tue 17:00 Shanghai.
    assert _clock(ticket, Metric.RESOLUTION).due_at == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    assert not SlaClock.objects.filter(ticket=ticket, metric=Metric.ACKNOWLEDGEMENT).exists()


def test_running_clocks_follow_the_ticket_to_its_new_team_and_stopped_ones_stay(
    storefront, agent, other_team, supervisor
):
    ticket = make_ticket(storefront, now=T0)
    services.ticket_acknowledge(ticket=ticket, user=agent, now=T0 + timedelta(minutes=1))

    services.ticket_assign(ticket=ticket, user=supervisor, team=other_team, now=T0 + timedelta(minutes=2))

    assert _clock(ticket, Metric.RESOLUTION).team == other_team
    assert _clock(ticket, Metric.ACKNOWLEDGEMENT).team == agent.teams.get()


def test_a_berlin_office_hours_deadline_across_the_clock_change_is_in_local_office_time(storefront):
    berlin = BusinessCalendar.objects.create(name="Berlin office", time_zone="Europe/Berlin")
    SlaPolicy.objects.create(name="Berlin", position=1, calendar=berlin, response_minutes=120)
    # Friday 27 March 2026, 17:00 in Berlin (CET, UTC+1); summer time starts on Sunday the 29th.
    ticket = make_ticket(storefront, now=datetime(2026, 3, 27, 16, 0, tzinfo=UTC))

    # One hour on Friday, one on Monday from 09:00 CEST (UTC+2): 10:00 local = 08:00 UTC.
    assert _clock(ticket, Metric.RESPONSE).due_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
