"""Triggers (automation.md): run in the transaction of the change, in position order, at most once per original event,
chains cut at depth 5 with an alert, a failing trigger skipped with an alert and switched off when it keeps failing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.errors import InvalidInput
from alerts.models import Alert, AlertKind, Notification
from tests.factories import StorefrontFactory, TeamFactory, make_staff, make_ticket
from tickets import services
from tickets.models import EventKind, MessageKind, Severity, Status, Trigger, TriggerFiring
from tickets.services.automation import rule_save

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_example_rules")]


def _trigger(name: str, event: str, conditions: dict, actions: list, position: int = 100) -> Trigger:
    return rule_save(
        model=Trigger,
        data={"name": name, "event": event, "position": position, "conditions": conditions, "actions": actions},
    )


def test_a_trigger_on_ticket_created_with_tags_and_storefront_conditions_assigns_and_replies(team, other_team, agent):
    # given a trigger that tags refund requests, and a later one for one storefront's tickets so tagged
    lead = make_staff("lead", "agent", teams=(other_team,))
    _trigger(
        "Tag refunds",
        "ticket.created",
        {"any": [{"field": "ticket.subject", "op": "contains", "value": "refund"}]},
        [{"type": "add_tags", "value": ["Refund"]}],
        position=10,
    )
    _trigger(
        "Tmall refunds to logistics",
        "ticket.created",
        {
            "all": [
                {"field": "ticket.storefront", "op": "is", "value": "Tmall"},
                {"field": "ticket.tags", "op": "contains", "value": "refund"},
            ],
        },
        [
            {"type": "assign_agent", "value": "lead"},
            {"type": "reply", "value": {"en": "We got {reference}.", "zh-hans": "已收到 {reference}。"}},
        ],
        position=20,
    )
    tmall = StorefrontFactory(name="Tmall", language="zh-hans")
    other = StorefrontFactory(name="JD")
    # when a matching ticket and two that do not match are created
    ticket = make_ticket(tmall, subject="Refund please")
    not_refund = make_ticket(tmall, subject="Where is it?")
    other_shop = make_ticket(other, subject="Refund please")
    # then the matching one is assigned to the lead (what the create answers already says so) and the customer got
    # the reply in their language
    assert ticket.assignee == lead
    ticket.refresh_from_db()
    assert ticket.assignee == lead and ticket.team == other_team
    assert ticket.messages.get(kind=MessageKind.PUBLIC).body == f"已收到 {ticket.reference}。"
    assert list(ticket.tags.values_list("name", flat=True)) == ["Refund"]
    # and the timeline names the rules
    rules = [event.data["rule"] for event in ticket.events.filter(kind=EventKind.AUTOMATION).order_by("id")]
    assert rules == ["Tag refunds", "Tmall refunds to logistics"]
    # and the others were left alone: not a refund, or another shop's refund (tagged, not assigned)
    for untouched in (not_refund, other_shop):
        untouched.refresh_from_db()
        assert untouched.assignee == agent
        assert not untouched.messages.filter(kind=MessageKind.PUBLIC).exists()
    assert other_shop.tags.count() == 1 and not_refund.tags.count() == 0
    assert TriggerFiring.objects.filter(ticket=ticket).count() == 2


def test_triggers_run_in_position_order_each_seeing_what_the_earlier_changed(storefront, team, agent):
    # given a later trigger whose condition an earlier one makes true
    _trigger(
        "Then note",
        "ticket.created",
        {"all": [{"field": "ticket.severity", "op": "is", "value": "severe"}]},
        [{"type": "note", "value": "Severe now"}],
        position=20,
    )
    _trigger(
        "First raise",
        "ticket.created",
        {"all": [{"field": "ticket.subject", "op": "contains", "value": "fire"}]},
        [{"type": "set_severity", "value": "severe"}],
        position=10,
    )
    # when a ticket is created, then both fired, in order
    ticket = make_ticket(storefront, subject="Kettle on fire")
    ticket.refresh_from_db()
    assert ticket.severity == Severity.SEVERE
    assert ticket.messages.filter(kind=MessageKind.INTERNAL, body="Severe now").exists()
    rules = [e.data["rule"] for e in ticket.events.filter(kind=EventKind.AUTOMATION).order_by("id")]
    assert rules == ["First raise", "Then note"]


def test_two_triggers_that_undo_each_other_act_once_each_with_an_alert_naming_them(storefront, team, agent, supervisor):
    # given two triggers that undo each other
    _trigger(
        "Open to pending",
        "ticket.status_changed",
        {"all": [{"field": "ticket.status", "op": "is", "value": "open"}]},
        [{"type": "set_status", "value": "pending"}],
    )
    _trigger(
        "Pending to open",
        "ticket.status_changed",
        {"all": [{"field": "ticket.status", "op": "is", "value": "pending"}]},
        [{"type": "set_status", "value": "open"}],
    )
    ticket = make_ticket(storefront)
    # when an agent opens the ticket
    services.ticket_change_status(ticket=ticket, status=Status.OPEN, user=agent)
    # then each acted once for the agent's change (the later seeing the earlier's change), never twice
    ticket.refresh_from_db()
    assert TriggerFiring.objects.filter(ticket=ticket).count() == 2
    assert ticket.status == Status.OPEN
    # and the supervisors were told which triggers looped
    alert = Alert.objects.get(kind=AlertKind.AUTOMATION)
    assert "Open to pending → Pending to open → Open to pending" in alert.text
    assert list(Notification.objects.filter(alert=alert).values_list("recipient__username", flat=True)) == [
        "supervisor"
    ]


def test_a_chain_of_different_triggers_stops_after_five_steps_with_an_alert(storefront, team, agent, supervisor):
    # given six triggers, each handing the ticket on to the next by a tag and a status change (in reverse position
    # order, so that each runs one step deeper than the one before)
    for step in range(1, 7):
        _trigger(
            f"Step {step}",
            "ticket.status_changed",
            {"all": [{"field": "ticket.tags", "op": "contains", "value": f"step{step}"}]},
            [
                {"type": "remove_tags", "value": [f"step{step}"]},
                {"type": "add_tags", "value": [f"step{step + 1}"]},
                {"type": "set_status", "value": "pending" if step % 2 else "open"},
            ],
            position=100 - step,
        )
    ticket = make_ticket(storefront)
    services.ticket_tags_change(ticket=ticket, actor=services.Actor(user=agent), add=["step1"])
    # when an agent opens the ticket
    services.ticket_change_status(ticket=ticket, status=Status.OPEN, user=agent)
    # then five of them acted, one step each, and the sixth was cut with an alert naming the chain
    fired = TriggerFiring.objects.filter(ticket=ticket).order_by("id").values_list("trigger__name", flat=True)
    assert list(fired) == ["Step 1", "Step 2", "Step 3", "Step 4", "Step 5"]
    alert = Alert.objects.get(kind=AlertKind.AUTOMATION)
    assert "after 5 steps" in alert.text and "Step 1 → Step 2 → Step 3 → Step 4 → Step 5" in alert.text


def test_a_failing_trigger_is_skipped_with_an_alert_and_switched_off_when_it_keeps_failing(
    storefront, team, agent, supervisor
):
    # given a trigger that raises severity, then assigns to a team deleted since it was saved
    spare = TeamFactory(name="Spare")
    _trigger(
        "Broken",
        "ticket.created",
        {},
        [{"type": "set_severity", "value": "severe"}, {"type": "assign_team", "value": "Spare"}],
    )
    spare.delete()
    # when a ticket is created
    ticket = make_ticket(storefront)
    # then the ticket is created, without any of the trigger's actions
    ticket.refresh_from_db()
    assert ticket.severity == Severity.MINOR and ticket.team == team
    assert not ticket.events.filter(kind=EventKind.AUTOMATION).exists()
    # and supervisors are told
    alert = Alert.objects.get(kind=AlertKind.AUTOMATION)
    assert "Broken" in alert.text and "Spare" in alert.text
    # when it fails twice more, then it is switched off with an alert, and tickets keep coming in
    make_ticket(storefront)
    make_ticket(storefront)
    broken = Trigger.objects.get(name="Broken")
    assert broken.is_active is False and broken.failures == 3
    assert Alert.objects.filter(kind=AlertKind.AUTOMATION, message__contains="switched off").count() == 1
    make_ticket(storefront)
    assert Alert.objects.filter(kind=AlertKind.AUTOMATION).count() == 3


def test_fifty_active_triggers_add_at_most_two_queries_to_a_ticket_create(storefront, team, agent):
    # given the cost of a create with no trigger (settings warm in the cache)
    make_ticket(storefront)
    with CaptureQueriesContext(connection) as without:
        make_ticket(storefront)
    # and 50 active triggers on ticket.created and on other events that do not match it
    for number in range(50):
        _trigger(
            f"Rule {number}",
            "ticket.created" if number % 2 else "ticket.customer_replied",
            {"all": [{"field": "ticket.storefront", "op": "is", "value": f"Shop {number}"}]},
            [{"type": "note", "value": "x"}],
        )
    make_ticket(storefront)  # the rules reach the cache
    # when a ticket is created, then the rules cost at most 2 queries
    with CaptureQueriesContext(connection) as with_rules:
        make_ticket(storefront)
    assert len(with_rules) <= len(without) + 2, [q["sql"] for q in with_rules.captured_queries]


def test_bad_rules_are_refused_naming_the_field_and_nothing_is_saved(team):
    def errors(**data: object) -> list[str]:
        base = {"name": "R", "event": "ticket.created", "conditions": {}, "actions": [{"type": "note", "value": "x"}]}
        with pytest.raises(InvalidInput) as raised:
            rule_save(model=Trigger, data={**base, **data})
        return list(raised.value.errors)

    assert errors(conditions={"all": [{"field": "ticket.colour", "op": "is", "value": "red"}]}) == [
        "conditions.all.0.field"
    ]
    assert errors(conditions={"any": [{"field": "ticket.status", "op": "gt", "value": "open"}]}) == [
        "conditions.any.0.op"
    ]
    assert errors(conditions={"all": [{"field": "hours_since.created", "op": "gt", "value": 3}]}) == [
        "conditions.all.0.field"
    ]
    assert errors(actions=[{"type": "assign_team", "value": "Gone"}]) == ["actions.0.value"]
    assert errors(event="ticket.exploded") == ["event"]
    assert errors(actions=[]) == ["actions"]
    assert not Trigger.objects.exists()
