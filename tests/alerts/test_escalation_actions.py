"""SLA escalation levels act (automation.md): a policy's level 2 and 3 carry actions of the vocabulary, besides their
alert; SLA alerts reach triggers on sla.warning and sla.breached."""

from datetime import UTC, datetime, timedelta

import pytest

from alerts import services
from tests.factories import make_staff, make_ticket
from tickets.models import ChatChannel, ChatDelivery, EventKind, Severity, SlaPolicy, Trigger
from tickets.services.automation import rule_save

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_escalation_levels_carry_out_the_policys_actions_once(storefront, team, agent, supervisor):
    # given the standard policy: level 2 reassigns to the lead and raises severity, level 3 tells the chat room
    lead = make_staff("lead", "agent", teams=(team,))
    ChatChannel.objects.create(name="Escalations", kind="generic", url="http://127.0.0.1:9/chat", language="en")
    policy = SlaPolicy.objects.get(name="Standard")
    policy.level2_actions = [
        {"type": "assign_agent", "value": "lead"},
        {"type": "set_severity", "value": "severe"},
    ]
    policy.level3_actions = [{"type": "notify", "value": {"chat": "Escalations"}}]
    policy.save()
    ticket = make_ticket(storefront, now=T0)
    assert ticket.assignee == agent
    # when the sweep reaches the breach, then level 2
    services.sla_sweep(now=T0 + timedelta(hours=2))
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.severity) == (agent, Severity.MINOR)
    services.sla_sweep(now=T0 + timedelta(hours=4))
    services.sla_sweep(now=T0 + timedelta(hours=4, minutes=1))  # a second sweep acts on nothing again
    # then level 2's actions were carried out once, named on the timeline
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.severity) == (lead, Severity.SEVERE)
    rules = list(ticket.events.filter(kind=EventKind.AUTOMATION).values_list("data__rule", flat=True))
    assert rules == ["Standard: escalation level 2"]
    # and level 3 tells the chat room
    assert not ChatDelivery.objects.exists()
    services.sla_sweep(now=T0 + timedelta(hours=6))
    assert ChatDelivery.objects.get().title == f"Standard: escalation level 3: {ticket.reference}"


def test_a_breach_reaches_the_triggers_on_sla_breached(storefront, team, agent):
    rule_save(
        model=Trigger,
        data={
            "name": "Tag breaches",
            "event": "sla.breached",
            "conditions": {},
            "actions": [{"type": "add_tags", "value": ["breached"]}],
        },
    )
    ticket = make_ticket(storefront, now=T0)
    services.sla_sweep(now=T0 + timedelta(hours=2))
    services.sla_sweep(now=T0 + timedelta(hours=2, minutes=1))
    assert list(ticket.tags.values_list("name", flat=True)) == ["breached"]
    assert ticket.events.filter(kind=EventKind.AUTOMATION).count() == 1


def test_a_kpi_crossing_is_posted_to_the_warning_lines_chat_group(storefront, django_capture_on_commit_callbacks):
    from decimal import Decimal

    from alerts.models import Comparison, Kpi, KpiPeriod, KpiThreshold
    from tickets.models import Ticket

    # given a warning line that names a Chinese chat group, and a day whose first response took 5 h against 2 h
    group = ChatChannel.objects.create(name="KPI", kind="wecom", url="http://127.0.0.1:9/robot", language="zh-hans")
    KpiThreshold.objects.update(is_active=False)
    KpiThreshold.objects.create(
        kpi=Kpi.FIRST_RESPONSE_TIME,
        comparison=Comparison.AT_MOST,
        value=Decimal("2"),
        period=KpiPeriod.DAY,
        chat_channel=group,
    )
    day = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    Ticket.objects.create(
        storefront=storefront,
        subject="Parcel",
        created_at=day + timedelta(hours=1),
        updated_at=day + timedelta(hours=1),
        first_response_at=day + timedelta(hours=6),
    )
    # when the KPIs are evaluated, then the group gets one message, in Chinese, linking to the KPI alerts
    services.kpis_evaluate(now=day + timedelta(hours=8))
    services.kpis_evaluate(now=day + timedelta(hours=9))
    delivery = ChatDelivery.objects.get()
    assert delivery.channel == group and delivery.title == "KPI 预警"
    assert "首次响应" in delivery.text
    assert delivery.link.endswith("?kind=kpi")
