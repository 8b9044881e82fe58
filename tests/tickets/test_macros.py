"""Macros: personal, team and global lists of actions of the vocabulary, applied all or nothing, previewed first."""

import pytest

from tests.factories import StorefrontFactory, make_staff, make_ticket
from tickets import services
from tickets.models import EventKind, Macro, Message, MessageKind, Status, Ticket

pytestmark = pytest.mark.django_db

MACROS = "/api/v1/desk/macros/"
DESK = "/api/v1/desk/tickets/"
WAITING = {
    "name": "Waiting for photos",
    "scope": "global",
    "actions": [
        {
            "type": "reply",
            "value": {
                "en": "Dear {customer_name}, please send us a photo ({reference}).",
                "zh-hans": "{customer_name}您好，请发送照片（{reference}）。",
            },
        },
        {"type": "set_status", "value": "pending"},
        {"type": "add_tags", "value": ["photos", "等待客户"]},
    ],
}


def test_a_macro_replies_in_the_customers_language_sets_pending_and_tags(supervisor_api, agent_api, agent):
    # given a global macro, and a ticket of a storefront whose customers write Chinese
    created = supervisor_api.post(MACROS, WAITING, format="json")
    assert created.status_code == 201, created.content
    shop = StorefrontFactory(language="zh-hans")
    ticket = make_ticket(shop)
    macro_id = created.json()["id"]
    # when the agent previews it
    url = f"{DESK}{ticket.reference}/macros/{macro_id}/apply/"
    preview = agent_api.post(url, {"dry_run": True}, format="json")
    # then the preview renders the Chinese reply and changes nothing
    assert preview.status_code == 200, preview.content
    expected = f"{ticket.customer.name}您好，请发送照片（{ticket.reference}）。"
    assert preview.json()["dry_run"] is True
    assert preview.json()["reply"] == expected
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and not ticket.tags.exists()
    assert not Message.objects.filter(ticket=ticket, kind=MessageKind.PUBLIC).exists()
    # when the agent applies it
    applied = agent_api.post(url, {}, format="json")
    # then the reply went out in Chinese, the ticket is pending and tagged, the timeline names the macro
    assert applied.status_code == 200, applied.content
    body = applied.json()["ticket"]
    assert body["status"] == "pending"
    assert body["tags"] == ["photos", "等待客户"]
    assert Message.objects.get(ticket=ticket, kind=MessageKind.PUBLIC).body == expected
    assert ticket.events.filter(kind=EventKind.AUTOMATION, data__rule="Macro: Waiting for photos").exists()


def test_a_macro_on_a_ticket_the_agent_may_not_touch_is_404_and_changes_nothing(
    supervisor_api, agent_api, storefront, other_team
):
    macro_id = supervisor_api.post(MACROS, WAITING, format="json").json()["id"]
    ticket = make_ticket(storefront)
    Ticket.objects.filter(pk=ticket.pk).update(team=other_team, assignee=None)
    response = agent_api.post(f"{DESK}{ticket.reference}/macros/{macro_id}/apply/", {}, format="json")
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and not ticket.tags.exists()


def test_a_macro_assigning_outside_the_team_is_refused_for_an_agent_and_nothing_sticks(agent_api, agent, storefront):
    # given an agent's own macro that tags and hands the ticket to another team
    make_staff("lead", "supervisor")
    from tickets.models import Team

    Team.objects.create(name="Elsewhere")
    macro = services.macro_create(
        user=agent,
        name="Away",
        actions=[{"type": "add_tags", "value": ["moved"]}, {"type": "assign_team", "value": "Elsewhere"}],
    )
    ticket = make_ticket(storefront)
    response = agent_api.post(f"{DESK}{ticket.reference}/macros/{macro.pk}/apply/", {}, format="json")
    assert response.status_code == 403
    assert not ticket.tags.exists()


def test_agents_keep_personal_macros_only_and_see_their_teams_and_global_ones(agent_api, agent, supervisor, team):
    # an agent may not make a global or team macro
    assert agent_api.post(MACROS, {**WAITING, "scope": "global"}, format="json").status_code == 403
    assert agent_api.post(MACROS, {**WAITING, "scope": "team", "team": team.pk}, format="json").status_code == 403
    # their own personal one is fine; they see it, the team's and the global ones, not another agent's
    mine = agent_api.post(MACROS, {**WAITING, "scope": "personal", "name": "Mine"}, format="json")
    assert mine.status_code == 201, mine.content
    services.macro_create(user=supervisor, name="Team one", scope="team", team=team, actions=WAITING["actions"])
    services.macro_create(user=supervisor, name="Everyone", scope="global", actions=WAITING["actions"])
    other = make_staff("other-agent", "agent", teams=(team,))
    services.macro_create(user=other, name="Not yours", actions=WAITING["actions"])
    names = sorted(m["name"] for m in agent_api.get(MACROS).json()["results"])
    assert names == ["Everyone", "Mine", "Team one"]
    # and may not change a supervisor's
    team_macro = Macro.objects.get(name="Team one")
    assert agent_api.delete(f"{MACROS}{team_macro.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("actions", "field"),
    [
        ([{"type": "explode", "value": 1}], "actions.0.type"),
        ([{"type": "reply", "value": {"fr": "Bonjour"}}], "actions.0.value.fr"),
        ([{"type": "add_tags", "value": ["a,b"]}], "actions.0.value"),
        ([], "actions"),
    ],
)
def test_a_bad_macro_is_400_naming_the_path_and_not_saved(agent_api, actions, field):
    response = agent_api.post(MACROS, {"name": "Bad", "actions": actions}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Macro.objects.exists()


def test_bulk_with_a_macro(supervisor_api, storefront, supervisor):
    macro = services.macro_create(user=supervisor, name="Hold", scope="global", actions=WAITING["actions"][1:])
    tickets = [make_ticket(storefront) for _ in range(3)]
    response = supervisor_api.post(
        "/api/v1/desk/tickets/bulk/", {"references": [t.reference for t in tickets], "macro": macro.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert all(row["ok"] for row in response.json()["results"])
    assert set(Ticket.objects.values_list("status", flat=True)) == {"pending"}


def test_the_desk_previews_then_applies_and_a_macro_that_does_not_send_fills_the_reply_box(
    agent_desk, agent, storefront
):
    # given the agent's macro whose reply is not sent but put in the reply box
    macro = services.macro_create(
        user=agent,
        name="Draft",
        actions=[{"type": "reply", "value": "Hello {customer_name}"}, {"type": "add_tags", "value": ["drafted"]}],
        send_reply=False,
    )
    ticket = make_ticket(storefront)
    # when previewed: the page says what would happen, nothing changed
    page = agent_desk.get(f"/desk/tickets/{ticket.reference}/", {"macro_preview": macro.pk})
    assert "error" not in page.context["macro_preview"], page.context["macro_preview"]
    assert page.context["macro_preview"]["reply"] == f"Hello {ticket.customer.name}"
    assert not ticket.tags.exists()
    # when applied: the tags are on, no reply sent, the text waits in the reply box
    response = agent_desk.post(f"/desk/tickets/{ticket.reference}/macro/", {"macro": macro.pk}, follow=True)
    assert list(ticket.tags.values_list("name", flat=True)) == ["drafted"]
    assert not Message.objects.filter(ticket=ticket, kind=MessageKind.PUBLIC).exists()
    assert response.context["reply_form"].initial["body"] == f"Hello {ticket.customer.name}"


def test_the_macro_preview_names_the_new_status_and_severity_in_the_agents_language(agent_desk, agent, storefront):
    # given a Chinese-speaking agent's macro that puts a ticket on hold and raises its severity
    services.staff_set_preferences(user=agent, language="zh-hans")
    macro = services.macro_create(
        user=agent,
        name="Hold",
        actions=[{"type": "set_status", "value": "on_hold"}, {"type": "set_severity", "value": "severe"}],
    )
    ticket = make_ticket(storefront, status=Status.OPEN)

    # when previewed on the ticket page
    html = agent_desk.get(f"/desk/tickets/{ticket.reference}/", {"macro_preview": macro.pk}).content.decode()

    # then the preview reads as the rest of the page: labels, not the codes the actions store
    preview = html[html.index("macro-preview") :]
    assert "挂起" in preview and "严重" in preview
    assert ": on_hold" not in preview and ": severe" not in preview


def test_the_macros_page_saves_a_personal_macro(agent_desk, agent):
    response = agent_desk.post(
        "/desk/macros/",
        {"name": "Thanks", "scope": "personal", "reply_en": "Thank you!", "status": "resolved", "send_reply": "1"},
        follow=True,
    )
    assert response.status_code == 200
    macro = Macro.objects.get()
    assert (macro.owner, macro.scope) == (agent, "personal")
    assert [action["type"] for action in macro.actions] == ["reply", "set_status"]
