"""The supervisors' automation pages: a form for conditions and actions, test against a ticket, a time rule's
preview, firing counts; errors named by path, nothing saved."""

import pytest
from django.utils.html import escape

from tests.factories import make_ticket
from tickets import services
from tickets.models import ChatChannel, Status, TimeRule, Trigger
from tickets.services.automation import rule_save

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_example_rules")]


def _form(**changes: str) -> dict[str, str]:
    return {
        "name": "Pending reminder",
        "event": "ticket.status_changed",
        "active": "on",
        "position": "10",
        "conditions": '{"all": [{"field": "ticket.status", "op": "is", "value": "pending"}]}',
        "actions": '[{"type": "note", "value": "Waiting on the customer"}]',
        **changes,
    }


def test_only_supervisors_see_automation(agent_desk, team):
    assert agent_desk.get("/desk/automation/").status_code == 403


def test_a_supervisor_creates_a_trigger_in_the_form_and_sees_its_firings(supervisor_desk, storefront, team, agent):
    answer = supervisor_desk.post("/desk/automation/triggers/new/", _form())
    trigger = Trigger.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/desk/automation/triggers/{trigger.pk}/"
    ticket = make_ticket(storefront)
    services.ticket_change_status(ticket=ticket, status=Status.PENDING, user=agent)
    page = supervisor_desk.get("/desk/automation/").content.decode()
    assert "Pending reminder" in page and "<td>1</td>" in page


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"conditions": '{"all": [{"field": "ticket.colour", "op": "is", "value": 1}]}'}, "conditions.all.0.field"),
        ({"actions": '[{"type": "assign_team", "value": "Nobody"}]'}, "actions.0.value"),
        ({"actions": "[{not json"}, "Not valid JSON."),
    ],
)
def test_a_bad_rule_shows_what_is_wrong_and_saves_nothing(supervisor_desk, team, change, shown):
    answer = supervisor_desk.post("/desk/automation/triggers/new/", _form(**change))
    assert answer.status_code == 200 and shown in answer.content.decode()
    assert not Trigger.objects.exists()


def test_test_against_a_ticket_and_preview_a_time_rule(supervisor_desk, storefront, team, agent):
    ticket = make_ticket(storefront, subject="<script>alert(1)</script>")
    services.ticket_change_status(ticket=ticket, status=Status.PENDING, user=agent)
    rule = rule_save(
        model=TimeRule,
        data={
            "name": "Pending at all",
            "active": False,
            "conditions": {"all": [{"field": "hours_since.pending_since", "op": "gt", "value": 0}]},
            "actions": [{"type": "reply", "value": "About {reference}: <b>still there?</b>"}],
        },
    )
    page = supervisor_desk.get(f"/desk/automation/time-rules/{rule.pk}/?reference={ticket.reference}").content.decode()
    assert "The conditions match this ticket now." in page
    assert f"About {ticket.reference}: &lt;b&gt;still there?&lt;/b&gt;" in page
    assert f'href="/desk/tickets/{ticket.reference}/"' in page  # the preview lists it
    assert not ticket.messages.filter(kind="public").exists()


def test_test_against_a_ticket_names_a_status_change_by_its_labels(supervisor_desk, storefront, agent):
    # given a pending ticket and a time rule that puts tickets on hold
    ticket = make_ticket(storefront)
    services.ticket_change_status(ticket=ticket, status=Status.PENDING, user=agent)
    rule = rule_save(
        model=TimeRule,
        data={"name": "Hold", "active": False, "actions": [{"type": "set_status", "value": "on_hold"}]},
    )

    # when the supervisor tests it against the ticket
    page = supervisor_desk.get(
        f"/desk/automation/time-rules/{rule.pk}/?reference={ticket.reference.lower()}"
    ).content.decode()

    # then what it would do reads in words, as the status menu does, not in the codes the rule stores
    assert "Pending → On hold" in page


def test_a_malformed_chat_url_from_the_page_is_refused_naming_the_url(supervisor_desk):
    answer = supervisor_desk.post(
        "/desk/automation/chat-channels/", {"name": "Room", "kind": "wecom", "url": "not a url"}, follow=True
    )
    # one error, on the URL field, shown on the page
    [error] = [str(message) for message in answer.context["messages"]]
    assert error.startswith("url: ")
    assert f'<p class="message message-error">{escape(error)}</p>' in answer.content.decode()
    assert not ChatChannel.objects.exists()


def test_the_overview_reads_a_fixed_number_of_queries(supervisor_desk, team, django_assert_max_num_queries):
    for number in range(20):
        rule_save(
            model=Trigger,
            data={"name": f"R{number}", "event": "ticket.created", "actions": [{"type": "note", "value": "x"}]},
        )
    with django_assert_max_num_queries(15):
        assert supervisor_desk.get("/desk/automation/").status_code == 200
