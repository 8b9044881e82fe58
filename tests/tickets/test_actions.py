"""The action vocabulary (automation.md): checked before a rule or macro is saved, applied through the services a
person's action goes through, all or nothing, on the timeline with the rule's name."""

import pytest

from aftersales.errors import ApplicationError, InvalidInput, NotPermitted
from alerts.models import Alert, AlertKind, Notification
from tests.factories import CustomerFactory, StorefrontFactory, TeamFactory, make_staff, make_ticket
from tickets.models import (
    ChatChannel,
    ChatDelivery,
    EventKind,
    Message,
    MessageKind,
    Severity,
    Status,
    Ticket,
    TicketEvent,
    WebhookDelivery,
)
from tickets.services import SYSTEM, Actor
from tickets.services.actions import Action, actions_apply, actions_validate

pytestmark = pytest.mark.django_db


def _errors(actions: object) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as raised:
        actions_validate(actions)
    return raised.value.errors


def test_validation_names_the_path_of_what_is_wrong(team):
    # given actions with one thing wrong each, when they are checked, then the error names where
    assert list(_errors([{"type": "reply", "value": "Hi"}, {"type": "explode", "value": 1}])) == ["actions.1.type"]
    assert list(_errors([{"type": "set_status", "value": "done"}])) == ["actions.0.value"]
    assert list(_errors([{"type": "assign_team", "value": "Nobody's team"}])) == ["actions.0.value"]
    assert list(_errors([{"type": "assign_agent", "value": "ghost"}])) == ["actions.0.value"]
    assert list(_errors([{"type": "notify", "value": {"chat": "no-such-room"}}])) == ["actions.0.value.chat"]
    assert list(_errors([{"type": "notify", "value": {"teams": ["Customer service", "Gone"]}}])) == [
        "actions.0.value.teams.1"
    ]
    assert list(_errors([{"type": "reply", "value": {"fr": "Bonjour"}}])) == ["actions.0.value.fr"]
    assert list(_errors({"type": "reply"})) == ["actions"]
    # and good actions come back typed, texts per language
    checked = actions_validate([{"type": "reply", "value": {"en": "Hi", "zh-hans": "您好"}}, {"type": "send_webhook"}])
    assert checked == [Action("reply", {"en": "Hi", "zh-hans": "您好"}), Action("send_webhook", {})]


def test_a_rule_replies_in_the_customers_language_moves_and_reassigns_through_the_services(team, other_team, agent):
    # given a Chinese storefront's ticket and a rule's actions
    storefront = StorefrontFactory(name="Tmall shop", language="zh-hans")
    customer = CustomerFactory(storefront=storefront, name="王芳")
    ticket = make_ticket(storefront, customer=customer)
    logistics_agent = make_staff("lina", "agent", teams=(other_team,))
    actions = [
        {
            "type": "reply",
            "value": {"en": "Dear {customer_name}, {reference} is ours.", "zh-hans": "{customer_name}您好"},
        },
        {"type": "note", "value": "Rule took {reference}"},
        {"type": "set_severity", "value": "severe"},
        {"type": "assign_team", "value": "Logistics"},
        {"type": "set_status", "value": "pending"},
    ]
    # when the rule applies them as the system
    result = actions_apply(ticket=ticket, actions=actions, actor=SYSTEM, rule_name="Welcome")
    # then the customer got the Chinese text filled in, and the ticket moved through the state machine
    ticket.refresh_from_db()
    assert result.reply == "王芳您好"
    assert result.note == f"Rule took {ticket.reference}"
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.PUBLIC).get().body == "王芳您好"
    assert (ticket.status, ticket.severity, ticket.team, ticket.assignee) == (
        Status.PENDING,
        Severity.SEVERE,
        other_team,
        logistics_agent,
    )
    assert ticket.pending_since is not None
    # and an automatic reply is no answer from a person: the first response is still owed
    assert ticket.first_response_at is None
    # and the timeline names the rule before what it did
    kinds = list(ticket.events.order_by("id").values_list("kind", "data"))
    automation = [data for kind, data in kinds if kind == EventKind.AUTOMATION]
    assert automation == [
        {"rule": "Welcome", "actions": ["reply", "note", "set_severity", "assign_team", "set_status"]}
    ]
    later = [kind for kind, _data in kinds[[k for k, _d in kinds].index(EventKind.AUTOMATION) :]]
    assert later[1:] == [
        EventKind.REPLIED,
        EventKind.NOTE,
        EventKind.SEVERITY_CHANGED,
        EventKind.ASSIGNED,
        EventKind.STATUS_CHANGED,
    ]
    assert [change["type"] for change in result.changes] == [
        "reply",
        "note",
        "set_severity",
        "assign_team",
        "set_status",
    ]


def test_a_dry_run_says_what_would_change_and_changes_nothing(storefront, team, agent):
    # given a new ticket
    ticket = make_ticket(storefront)
    events = TicketEvent.objects.count()
    # when the actions are tried
    result = actions_apply(
        ticket=ticket,
        actions=[{"type": "reply", "value": "About {reference}"}, {"type": "set_status", "value": "resolved"}],
        actor=SYSTEM,
        rule_name="Try",
        dry_run=True,
    )
    # then the answer says what would happen
    assert result.dry_run is True
    assert result.reply == f"About {ticket.reference}"
    assert result.changes[1] == {"type": "set_status", "from": "new", "to": "resolved"}
    # and nothing happened
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert TicketEvent.objects.count() == events
    assert not Message.objects.filter(ticket=ticket, kind=MessageKind.PUBLIC).exists()


def test_an_action_that_fails_keeps_none_of_the_rules_actions(storefront, team, agent):
    # given a rule checked while its team existed, and the team deleted since
    doomed = TeamFactory(name="Doomed")
    actions = actions_validate(
        [{"type": "set_severity", "value": "severe"}, {"type": "assign_team", "value": "Doomed"}]
    )
    doomed.delete()
    ticket = make_ticket(storefront)
    # when the rule applies, then it fails naming the action
    with pytest.raises(InvalidInput) as raised:
        actions_apply(ticket=ticket, actions=actions, actor=SYSTEM, rule_name="Broken")
    assert list(raised.value.errors) == ["actions.1.value"]
    # and the severity change before it did not stick, nor the timeline entry
    ticket.refresh_from_db()
    assert ticket.severity == Severity.MINOR
    assert not ticket.events.filter(kind=EventKind.AUTOMATION).exists()


def test_a_refused_move_fails_the_rule(storefront, team, agent):
    ticket = make_ticket(storefront)
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    with pytest.raises(ApplicationError):
        actions_apply(ticket=ticket, actions=[{"type": "set_status", "value": "open"}], actor=SYSTEM, rule_name="R")


def test_a_macro_is_the_agents_own_action_and_needs_an_agent(storefront, team, agent, finance_user):
    # given a ticket, when an agent applies a reply macro, then it is their reply: it answers and acknowledges
    ticket = make_ticket(storefront)
    result = actions_apply(
        ticket=ticket, actions=[{"type": "reply", "value": "Hello, {agent_name} here."}], actor=Actor(user=agent)
    )
    ticket.refresh_from_db()
    assert result.reply == "Hello, Ann Agent here."
    assert ticket.first_response_at is not None and ticket.status == Status.OPEN
    assert ticket.messages.get(kind=MessageKind.PUBLIC).author == agent
    # and a finance user may not
    with pytest.raises(NotPermitted):
        actions_apply(ticket=ticket, actions=[{"type": "note", "value": "x"}], actor=Actor(user=finance_user))


def test_assign_agent_by_name_or_least_loaded(storefront, team, agent):
    second = make_staff("second", "agent", teams=(team,))
    busy_ticket = make_ticket(storefront)
    assert busy_ticket.assignee == agent
    ticket = make_ticket(storefront)  # goes to `second` (fewer open tickets)
    actions_apply(ticket=ticket, actions=[{"type": "assign_agent", "value": "agent"}], actor=SYSTEM, rule_name="R")
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.assigned_by_hand
    actions_apply(
        ticket=ticket, actions=[{"type": "assign_agent", "value": "least_loaded"}], actor=SYSTEM, rule_name="R"
    )
    ticket.refresh_from_db()
    assert ticket.assignee == second


def test_notify_tells_people_in_the_desk_and_queues_the_chat_message(storefront, team, agent, supervisor):
    # given a chat channel and a ticket
    ChatChannel.objects.create(name="Ops room", kind="wecom", url="http://127.0.0.1:9/robot", language="zh-hans")
    ticket = make_ticket(storefront, subject="Broken kettle")
    # when a rule notifies the team's supervisors, one agent and the chat room
    actions_apply(
        ticket=ticket,
        actions=[{"type": "notify", "value": {"users": ["agent"], "supervisors": True, "chat": "Ops room"}}],
        actor=SYSTEM,
        rule_name="Escalate",
        dry_run=False,
    )
    # then both people have a notification naming the rule and the ticket
    alert = Alert.objects.get(kind=AlertKind.AUTOMATION)
    assert alert.ticket == ticket and "Escalate" in alert.text and ticket.reference in alert.text
    assert set(Notification.objects.filter(alert=alert).values_list("recipient__username", flat=True)) == {
        "agent",
        "supervisor",
    }
    # and the chat room's message is queued in its language, linking to the ticket
    delivery = ChatDelivery.objects.get()
    assert delivery.title == f"Escalate：{ticket.reference}"
    assert "Broken kettle" in delivery.text and "严重程度" in delivery.text
    assert delivery.link.endswith(f"/{ticket.reference}/")


def test_send_webhook_tells_the_storefront_which_rule(team, agent):
    storefront = StorefrontFactory(name="Hooked", webhook_url="http://127.0.0.1:9/hook")
    ticket = make_ticket(storefront)
    actions_apply(ticket=ticket, actions=[{"type": "send_webhook", "value": {}}], actor=SYSTEM, rule_name="Ping")
    delivery = WebhookDelivery.objects.get(event_type="ticket.automation")
    assert delivery.payload["data"]["rule"] == "Ping"
    assert delivery.payload["data"]["ticket"]["reference"] == ticket.reference


def test_a_person_assigns_only_as_the_desk_allows_whatever_the_way(storefront, team, other_team, agent, finance_user):
    # given a ticket of the agent's team, a finance user in that team, and a ticket of another team
    team.members.add(finance_user)
    ticket = make_ticket(storefront)
    elsewhere = make_ticket(storefront)
    Ticket.objects.filter(pk=elsewhere.pk).update(team=other_team, assignee=None)
    me = Actor(user=agent)
    # when the agent's macro sends the ticket to another team, then it is refused, naming the action
    with pytest.raises(InvalidInput) as raised:
        actions_apply(ticket=ticket, actions=[{"type": "assign_team", "value": "Logistics"}], actor=me)
    assert list(raised.value.errors) == ["actions.0.value"]
    # and no one but an agent is given tickets
    with pytest.raises(InvalidInput) as raised:
        actions_apply(ticket=ticket, actions=[{"type": "assign_agent", "value": "finance"}], actor=me)
    assert list(raised.value.errors) == ["actions.0.value"]
    # and a ticket the agent cannot see is not theirs to act on
    with pytest.raises(NotPermitted):
        actions_apply(ticket=elsewhere, actions=[{"type": "note", "value": "x"}], actor=me)
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (team, agent)
    assert not elsewhere.messages.filter(kind=MessageKind.INTERNAL).exists()


def test_a_person_acts_on_the_tickets_the_desk_shows_them(storefront, team, other_team, agent, supervisor):
    # given a ticket of another team assigned to the agent, and one of another team nobody took
    theirs = make_ticket(storefront)
    Ticket.objects.filter(pk=theirs.pk).update(team=other_team, assignee=agent)
    untaken = make_ticket(storefront)
    Ticket.objects.filter(pk=untaken.pk).update(team=other_team, assignee=None)
    # when the agent notes on the ticket assigned to them, then it is written (the desk lists it as theirs)
    actions_apply(ticket=theirs, actions=[{"type": "note", "value": "mine"}], actor=Actor(user=agent))
    assert theirs.messages.filter(kind=MessageKind.INTERNAL, body="mine").exists()
    # and a supervisor acts on any ticket, the agent not on the other team's untaken one
    actions_apply(ticket=untaken, actions=[{"type": "note", "value": "seen"}], actor=Actor(user=supervisor))
    assert untaken.messages.filter(kind=MessageKind.INTERNAL, body="seen").exists()
    with pytest.raises(NotPermitted):
        actions_apply(ticket=untaken, actions=[{"type": "note", "value": "x"}], actor=Actor(user=agent))


def test_texts_longer_than_a_message_are_refused_naming_the_language():
    assert list(_errors([{"type": "reply", "value": {"en": "x" * 20_001}}])) == ["actions.0.value.en"]
