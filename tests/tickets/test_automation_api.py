"""The desk API of automation (automation.md, "Shapes"): supervisors only, 400 naming the path, nothing saved."""

import pytest

from tests.factories import TeamFactory, make_staff, make_ticket
from tickets import services
from tickets.models import ChatChannel, Status, TimeRule, Trigger

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_example_rules")]

TRIGGERS = "/api/v1/desk/automation/triggers/"
TIME_RULES = "/api/v1/desk/automation/time-rules/"
CHATS = "/api/v1/desk/automation/chat-channels/"

SEVERE = {
    "name": "Severe complaints to the lead",
    "active": True,
    "position": 10,
    "event": "complaint.created",
    "conditions": {"all": [{"field": "complaint.severity", "op": "is", "value": "severe"}], "any": []},
    "actions": [{"type": "assign_agent", "value": "lead"}, {"type": "add_tags", "value": ["severe"]}],
}


def test_a_supervisor_creates_reads_and_replaces_a_trigger_in_the_documented_shape(supervisor_api, team):
    make_staff("lead", "agent", teams=(team,))
    created = supervisor_api.post(TRIGGERS, SEVERE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert {key: body[key] for key in SEVERE} == SEVERE
    assert (body["fired"], body["last_fired_at"]) == (0, None)
    url = f"{TRIGGERS}{body['id']}/"
    replaced = supervisor_api.put(url, {**SEVERE, "active": False}, format="json")
    assert replaced.status_code == 200 and replaced.json()["active"] is False
    assert [rule["name"] for rule in supervisor_api.get(TRIGGERS).json()["results"]] == [SEVERE["name"]]
    assert supervisor_api.delete(url).status_code == 204
    assert not Trigger.objects.exists()


def test_agents_may_not_edit_rules(agent_api, team):
    assert agent_api.get(TRIGGERS).status_code == 403
    assert agent_api.post(TRIGGERS, SEVERE, format="json").status_code == 403


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"conditions": {"all": [{"field": "ticket.colour", "op": "is", "value": "red"}]}}, "conditions.all.0.field"),
        ({"conditions": {"any": [{"field": ["x"], "op": "is", "value": 1}]}}, "conditions.any.0.field"),
        ({"actions": [{"type": "assign_team", "value": "Deleted team"}]}, "actions.0.value"),
        ({"actions": [{"type": "explode"}]}, "actions.0.type"),
        ({"actions": [{"type": "note", "value": "a\x00b"}]}, "actions.0.value"),
        ({"event": "ticket.exploded"}, "event"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_400_naming_the_path_and_saves_nothing(supervisor_api, team, change, path):
    TeamFactory(name="Deleted team").delete()
    answer = supervisor_api.post(
        TRIGGERS, {**SEVERE, "actions": [{"type": "note", "value": "x"}], **change}, format="json"
    )
    assert answer.status_code == 400, answer.json()
    assert path in answer.json()["errors"]
    assert not Trigger.objects.exists()


def test_a_malformed_chat_url_is_400_naming_the_url(supervisor_api):
    answer = supervisor_api.post(CHATS, {"name": "Room", "kind": "dingtalk", "url": "robot here"}, format="json")
    assert answer.status_code == 400 and list(answer.json()["errors"]) == ["url"]
    assert not ChatChannel.objects.exists()
    good = {
        "name": "Room",
        "kind": "dingtalk",
        "url": "https://oapi.dingtalk.com/robot/send?access_token=x",
        "secret": "S",
    }
    created = supervisor_api.post(CHATS, good, format="json")
    assert created.status_code == 201 and created.json()["has_secret"] is True and "secret" not in created.json()


def test_testing_a_trigger_against_a_ticket_says_what_would_change_and_changes_nothing(
    supervisor_api, storefront, team, agent
):
    ticket = make_ticket(storefront, subject="Refund now")
    rule = {
        "name": "Refunds pending",
        "event": "ticket.created",
        "conditions": {"all": [{"field": "ticket.subject", "op": "contains", "value": "refund"}]},
        "actions": [{"type": "set_status", "value": "pending"}, {"type": "reply", "value": "About {reference}"}],
    }
    trigger_id = supervisor_api.post(TRIGGERS, rule, format="json").json()["id"]
    answer = supervisor_api.post(f"{TRIGGERS}{trigger_id}/test/", {"reference": ticket.reference}, format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["matches"] is True and body["conditions"][0]["matched"] is True
    assert body["would"]["changes"][0] == {"type": "set_status", "from": "new", "to": "pending"}
    assert body["would"]["reply"] == f"About {ticket.reference}"
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and not ticket.messages.filter(kind="public").exists()
    typed = supervisor_api.post(
        f"{TRIGGERS}{trigger_id}/test/", {"reference": f" {ticket.reference.lower()} "}, format="json"
    )
    assert typed.status_code == 200 and typed.json()["matches"] is True, typed.json()
    missing = supervisor_api.post(f"{TRIGGERS}{trigger_id}/test/", {"reference": "T-999999"}, format="json")
    assert missing.status_code == 400 and list(missing.json()["errors"]) == ["reference"]


def test_a_time_rules_preview_lists_the_tickets_it_matches_now(supervisor_api, storefront, team, agent):
    ticket = make_ticket(storefront)
    services.ticket_change_status(ticket=ticket, status=Status.PENDING, user=agent)
    rule = {
        "name": "Pending at all",
        "active": False,
        "conditions": {"all": [{"field": "hours_since.pending_since", "op": "gt", "value": 0, "business": False}]},
        "actions": [{"type": "note", "value": "x"}],
    }
    created = supervisor_api.post(TIME_RULES, rule, format="json")
    assert created.status_code == 201, created.json()
    preview = supervisor_api.get(f"{TIME_RULES}{created.json()['id']}/preview/").json()
    assert preview["count"] == 1 and preview["tickets"] == [ticket.reference]
    assert TimeRule.objects.get().is_active is False
