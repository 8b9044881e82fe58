"""Time rules (automation.md): hours since an instant of the ticket, in calendar or business hours (holidays and
make-up days), checked by beat and by `run_time_rules`, once per ticket per state even with several workers."""

import json
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from tests.factories import make_ticket
from tests.parallel import run_at_once
from tickets import services
from tickets.models import (
    BusinessCalendar,
    CalendarDay,
    CalendarDayKind,
    EventKind,
    MessageKind,
    Status,
    Ticket,
    TimeRule,
    TimeRuleFiring,
    Trigger,
)
from tickets.services.automation import rule_save, time_rule_preview, time_rules_run

SHANGHAI = "+08:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + SHANGHAI)


def national_day_calendar() -> BusinessCalendar:
    """Monday to Friday 09:00-18:00 in Shanghai; 1-7 October 2026 off, Saturday 10 October worked instead."""
    calendar, _ = BusinessCalendar.objects.update_or_create(
        name="China business days", defaults={"time_zone": "Asia/Shanghai", "holiday_country": ""}
    )
    calendar.days.all().delete()
    for day in range(1, 8):
        CalendarDay.objects.create(calendar=calendar, date=f"2026-10-0{day}", kind=CalendarDayKind.HOLIDAY)
    CalendarDay.objects.create(calendar=calendar, date="2026-10-10", kind=CalendarDayKind.WORKING_DAY)
    return calendar


def remind_rule(hours: int = 48, business: bool = True) -> TimeRule:
    return rule_save(
        model=TimeRule,
        data={
            "name": "Remind after 48 business hours pending",
            "conditions": {
                "all": [
                    {"field": "ticket.status", "op": "is", "value": "pending"},
                    {"field": "hours_since.pending_since", "op": "gt", "value": hours, "business": business},
                ]
            },
            "actions": [{"type": "reply", "value": {"en": "Any news about {reference}?", "zh-hans": "请问进展？"}}],
        },
    )


def pending_ticket(storefront, agent, since: datetime) -> Ticket:
    ticket = make_ticket(storefront, now=since)
    services.ticket_change_status(ticket=ticket, status=Status.PENDING, user=agent, now=since)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.mark.django_db
def test_48_business_hours_count_past_the_weekend_the_holiday_and_the_make_up_day(storefront, team, agent):
    # given a ticket pending since Wednesday 30 September 10:00, before the National Day week
    national_day_calendar()
    remind_rule()
    ticket = pending_ticket(storefront, agent, at("2026-09-30T10:00:00"))
    # when the rules are checked after 48 calendar hours, and on Tuesday 13 October at 12:45 (47.75 working hours:
    # 8 on Wednesday, none 1-7 October, 9 each on Thursday, Friday, the make-up Saturday and Monday, 3.75 on Tuesday)
    assert time_rules_run(now=at("2026-10-02T10:00:00")) == {"matched": 0, "fired": 0}
    assert time_rules_run(now=at("2026-10-13T12:45:00")) == {"matched": 0, "fired": 0}
    # then nothing fired; at 13:15 it fires, once, and the customer got the reminder
    assert time_rules_run(now=at("2026-10-13T13:15:00")) == {"matched": 1, "fired": 1}
    assert time_rules_run(now=at("2026-10-13T13:30:00")) == {"matched": 0, "fired": 0}
    assert ticket.messages.filter(kind=MessageKind.PUBLIC).count() == 1
    assert ticket.events.get(kind=EventKind.AUTOMATION).data["rule"] == "Remind after 48 business hours pending"


@pytest.mark.django_db
def test_a_rule_fires_again_only_after_the_ticket_left_and_re_entered_the_state(storefront, team, agent):
    remind_rule(hours=2, business=False)
    ticket = pending_ticket(storefront, agent, at("2026-11-02T10:00:00"))
    assert time_rules_run(now=at("2026-11-02T12:30:00"))["fired"] == 1
    assert time_rules_run(now=at("2026-11-02T16:00:00"))["fired"] == 0
    # the customer answers (the ticket reopens), then the agent sets it pending again
    services.ticket_add_customer_message(ticket=ticket, body="Still broken", now=at("2026-11-02T17:00:00"))
    services.ticket_change_status(ticket=ticket, status=Status.PENDING, user=agent, now=at("2026-11-02T18:00:00"))
    assert time_rules_run(now=at("2026-11-02T19:00:00"))["fired"] == 0
    assert time_rules_run(now=at("2026-11-02T20:30:00"))["fired"] == 1
    assert TimeRuleFiring.objects.filter(ticket=ticket).count() == 2


@pytest.mark.django_db
def test_the_command_prints_json_last_and_the_preview_shows_the_matches(storefront, team, agent):
    rule = remind_rule(hours=2, business=False)
    ticket = pending_ticket(storefront, agent, at("2026-11-02T10:00:00"))
    preview = time_rule_preview(rule, now=at("2026-11-02T12:30:00"))
    assert preview["count"] == 1 and preview["tickets"] == [ticket.reference]
    out = StringIO()
    call_command("run_time_rules", "--at", "2026-11-02T12:30:00+08:00", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {"matched": 1, "fired": 1}
    assert time_rule_preview(rule, now=at("2026-11-02T12:30:00"))["count"] == 0


@pytest.mark.django_db
def test_the_commands_at_without_an_offset_is_utc_as_for_the_sla_sweep_and_the_kpis(storefront, team, agent):
    # given a ticket pending since 10:00 in Shanghai (02:00 UTC) and a rule for 2 hours pending
    remind_rule(hours=2, business=False)
    pending_ticket(storefront, agent, at("2026-11-02T10:00:00"))
    # when an operator runs it --at 04:30 without an offset, as they would sweep_sla and evaluate_kpis
    out = StringIO()
    call_command("run_time_rules", "--at", "2026-11-02T04:30:00", stdout=out)
    # then that is 04:30 UTC (12:30 in Shanghai, 2.5 hours pending): the rule fired
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {"matched": 1, "fired": 1}


@pytest.mark.django_db(transaction=True)
def test_three_workers_at_the_same_moment_fire_exactly_once(storefront, team, agent):
    # given the pending ticket past 48 business hours across the weekend and the holiday week
    national_day_calendar()
    remind_rule()
    ticket = pending_ticket(storefront, agent, at("2026-09-30T10:00:00"))
    # when three workers run the check at the same moment
    results = run_at_once(lambda _index: time_rules_run(now=at("2026-10-13T13:15:00")), 3)
    # then it fired exactly once
    assert not [result for result in results if isinstance(result, Exception)], results
    assert sum(result["fired"] for result in results) == 1
    assert TimeRuleFiring.objects.filter(ticket=ticket).count() == 1
    assert ticket.messages.filter(kind=MessageKind.PUBLIC).count() == 1


@pytest.mark.django_db
def test_the_shipped_example_rules_are_valid_and_inactive():
    from tickets.services.actions import actions_validate
    from tickets.services.automation import conditions_validate

    examples = [*TimeRule.objects.all(), *Trigger.objects.all()]
    assert len(examples) == 4
    for rule in examples:
        assert rule.is_active is False
        conditions_validate(rule.conditions, time_rule=isinstance(rule, TimeRule))
        actions_validate(rule.actions)


@pytest.mark.django_db
def test_a_time_rule_leaves_closed_tickets_alone_and_the_preview_shows_only_the_others(storefront, team, agent):
    # given a rule that answers every ticket older than an hour, an older ticket since closed and a new one
    rule = rule_save(
        model=TimeRule,
        data={
            "name": "Answer what is older than an hour",
            "conditions": {"all": [{"field": "hours_since.created", "op": "gt", "value": 1}]},
            "actions": [{"type": "reply", "value": "We are on it: {reference}."}],
        },
    )
    closed = make_ticket(storefront, now=at("2026-11-02T09:00:00"))
    services.ticket_change_status(ticket=closed, status=Status.RESOLVED, user=agent, now=at("2026-11-02T09:10:00"))
    services.ticket_change_status(ticket=closed, status=Status.CLOSED, user=agent, now=at("2026-11-02T09:20:00"))
    waiting = make_ticket(storefront, now=at("2026-11-02T10:00:00"))

    # when the preview is asked for and the rules are checked two hours later
    preview = time_rule_preview(rule, now=at("2026-11-02T12:00:00"))
    result = time_rules_run(now=at("2026-11-02T12:00:00"))

    # then only the ticket not closed is shown and answered; the rule did not fail on the closed one
    assert preview["tickets"] == [waiting.reference]
    assert result == {"matched": 1, "fired": 1}
    assert waiting.messages.filter(kind=MessageKind.PUBLIC).count() == 1
    assert closed.messages.filter(kind=MessageKind.PUBLIC).count() == 0
    rule.refresh_from_db()
    assert (rule.is_active, rule.failures) == (True, 0)


@pytest.mark.django_db
def test_the_shipped_rule_gives_a_ticket_nobody_took_to_the_teams_least_loaded_supervisor(storefront, team, agent):
    from tests.factories import make_staff

    # given the shipped rule switched on, and a team with two supervisors, the first already holding a ticket
    rule = TimeRule.objects.get(name="A new ticket nobody took in 1 hour: to the team's supervisor")
    assert rule.actions == [{"type": "assign_agent", "value": "team_supervisor"}]
    rule.is_active = True
    rule.save()
    busy = make_staff("lead-busy", "supervisor", teams=(team,))
    free = make_staff("lead-free", "supervisor", teams=(team,))
    held = make_ticket(storefront, now=at("2026-11-02T08:00:00"))
    Ticket.objects.filter(pk=held.pk).update(assignee=busy)
    # and a new ticket nobody took
    waiting = make_ticket(storefront, now=at("2026-11-02T10:00:00"))
    Ticket.objects.filter(pk=waiting.pk).update(assignee=None)

    # when the rules are checked 90 minutes later
    time_rules_run(now=at("2026-11-02T11:30:00"))

    # then it went to the supervisor with fewer open tickets, in its team
    waiting.refresh_from_db()
    assert (waiting.assignee, waiting.team) == (free, team)


@pytest.mark.django_db
def test_a_persons_reply_and_the_customers_message_set_the_instants_hours_since_counts_from(storefront, team, agent):
    # given a new ticket
    ticket = make_ticket(storefront, now=at("2026-11-02T09:00:00"))
    # when the agent replies, an automatic reply follows, and the customer writes back
    services.ticket_reply(ticket=ticket, user=agent, body="On it.", now=at("2026-11-02T10:00:00"))
    services.ticket_reply(ticket=ticket, actor=services.SYSTEM, body="Automatic.", now=at("2026-11-02T10:30:00"))
    services.ticket_add_customer_message(ticket=ticket, body="Thanks", now=at("2026-11-02T11:00:00"))
    # then the person's reply counts (the automatic one does not), and so does the customer's message
    ticket.refresh_from_db()
    assert ticket.agent_replied_at == at("2026-11-02T10:00:00")
    assert ticket.customer_replied_at == at("2026-11-02T11:00:00")
