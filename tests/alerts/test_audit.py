"""Who changed what (operations.md): every change to settings-like data, with who, when, before and after, readable by
supervisors and admins (in the admin and on /desk/audit/), never holding a secret."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from alerts.models import KpiThreshold
from tests.factories import make_staff
from tickets import services
from tickets.models import ApiKey, RoutingRule, SlaPolicy, Storefront, Team

pytestmark = pytest.mark.django_db


def _entries(model: type) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model)).order_by("timestamp", "id")
    )


def test_a_routing_rule_changed_in_the_admin_by_a_supervisor_shows_who_before_and_after(
    supervisor_desk, supervisor, team, other_team
):
    rule = RoutingRule.objects.create(position=10, category="logistics", team=team)

    response = supervisor_desk.post(
        reverse("admin:tickets_routingrule_change", args=[rule.pk]),
        {"position": 10, "category": "payment", "team": other_team.pk, "is_active": "on"},
    )

    assert response.status_code == 302
    change = _entries(RoutingRule)[-1]
    assert change.actor == supervisor and change.action == LogEntry.Action.UPDATE
    assert change.changes_dict["category"] == ["logistics", "payment"]
    assert change.changes_dict["team"] == [str(team.pk), str(other_team.pk)]
    # and the supervisors read it on the desk, in words
    page = supervisor_desk.get("/desk/audit/").content.decode()
    assert "supervisor" in page and "routing rule" in page
    assert "<del>Logistics</del> → <ins>Payment</ins>" in page or "<del>logistics</del> → <ins>payment</ins>" in page


def test_team_members_added_and_removed_in_the_admin_are_recorded(supervisor_desk, supervisor, team, agent, db):
    newcomer = make_staff("newcomer", "agent")

    response = supervisor_desk.post(
        reverse("admin:tickets_team_change", args=[team.pk]),
        {"name": team.name, "name_zh": team.name_zh, "members": [newcomer.pk, supervisor.pk], "is_default": "on"},
    )

    assert response.status_code == 302
    m2m = [entry for entry in _entries(Team) if entry.actor == supervisor]
    operations = {entry.changes_dict["members"]["operation"]: entry.changes_dict["members"]["objects"] for entry in m2m}
    assert operations == {"add": ["newcomer"], "delete": ["agent"]}
    page = supervisor_desk.get("/desk/audit/").content.decode()
    assert "added newcomer" in page and "removed agent" in page


def test_a_staff_members_role_is_recorded(db):
    user = make_staff("mei", "finance")

    roles = [entry.changes_dict.get("groups") for entry in LogEntry.objects.get_for_object(user)]
    assert {"type": "m2m", "operation": "add", "objects": ["finance"]} in roles


def test_sla_policy_and_kpi_line_changes_are_recorded(supervisor_desk, supervisor):
    policy = SlaPolicy.objects.get(name="Standard")
    line = KpiThreshold.objects.filter(kpi="satisfaction").first()
    policy.response_minutes = 60
    policy.save()
    line.value = 92
    line.save()

    assert _entries(SlaPolicy)[-1].changes_dict["response_minutes"] == ["120", "60"]
    assert _entries(KpiThreshold)[-1].changes_dict["value"][1] in {"92", "92.00"}


def test_no_secret_is_ever_recorded(db):
    storefront, key = services.storefront_create(name="Secret Shop", webhook_url="https://shop.example/hook")
    secret = storefront.webhook_secret
    storefront.webhook_secret = services.storefronts.new_webhook_secret()
    storefront.save()

    recorded = " ".join(str(entry.changes) for entry in LogEntry.objects.all())
    api_key = ApiKey.objects.get(storefront=storefront)
    for value in (secret, storefront.webhook_secret, key, key.partition(".")[2], api_key.hashed_key):
        assert value not in recorded
    # the secret's change is still on record, masked whole
    assert _entries(Storefront)[-1].changes_dict["webhook_secret"] == ["********", "********"]


def test_only_supervisors_and_admins_read_the_audit(client, agent, supervisor):
    client.force_login(agent)
    assert client.get("/desk/audit/").status_code == 403
    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 302  # not staff: to the login

    client.force_login(supervisor)
    assert client.get("/desk/audit/").status_code == 200
    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 200
