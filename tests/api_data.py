"""A realistic installation for the tests that call the whole API from outside (the schema fuzz run, the generated
client): one storefront with tickets, returns in each state with their refunds, complaints at each step of their
workflow, daily sales, alerts and canned responses; staff of each role with their API tokens. Everything goes
through the services, as the API and the desk would make it."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from alerts.models import Alert
from alerts.services import sla_sweep
from complaints import services as complaint_services
from returns import services as return_services
from tests.factories import (
    CannedResponseFactory,
    CustomerFactory,
    StorefrontFactory,
    TeamFactory,
    make_staff,
    make_ticket,
)
from tickets import services
from tickets.models import Storefront
from tickets.services.sales import sales_stat_upsert


@dataclass
class ApiWorld:
    storefront: Storefront
    key: str
    tokens: dict[str, str] = field(default_factory=dict)  # role -> staff API token
    ids: dict[str, list[str | int]] = field(default_factory=dict)  # what -> ids (or references) of existing objects


def _order(external_id: str, *, unit_price: str, delivered_days_ago: int = 2) -> return_services.OrderSnapshot:
    delivered = timezone.now() - timedelta(days=delivered_days_ago)
    return return_services.OrderSnapshot(
        external_id=external_id,
        placed_at=delivered - timedelta(days=2),
        delivered_at=delivered,
        currency="CNY",
        lines=[return_services.LineSnapshot("L1", "KET-01", "Electric kettle", 3, Decimal(unit_price))],
    )


def build_api_world() -> ApiWorld:
    team = TeamFactory(name="Customer service", is_default=True)
    logistics = TeamFactory(name="Logistics")
    staff = {
        role: make_staff(f"api-{role}", role, teams=(team, logistics) if role != "finance" else ())
        for role in ("agent", "supervisor", "finance")
    }
    tokens = {role: user.token for role, user in staff.items()}
    agent, finance = staff["agent"], staff["finance"]
    storefront = StorefrontFactory(name="Acme Shop")
    world = ApiWorld(storefront=storefront, key=storefront.plain_key, tokens=tokens)

    # Tickets: fresh, acknowledged, answered, one with a note, one without a customer.
    tickets = [
        make_ticket(storefront, subject=f"Where is order SO-{n}?", order_external_id=f"SO-{n}") for n in range(4)
    ]
    services.ticket_acknowledge(ticket=tickets[1], user=agent)
    services.ticket_reply(ticket=tickets[2], user=agent, body="It left the warehouse today.")
    services.ticket_add_note(ticket=tickets[3], user=agent, body="Carrier says it is delayed.")
    tickets.append(services.ticket_create(storefront=storefront, subject="A question", body="Do you ship abroad?"))

    # Returns: one awaiting review (above the auto-approval limit), then one in each later state.
    customer = return_services.CustomerDetails(external_id="C-RETURNS", name="Li Lei", email="li.lei@example.com")
    fault = [return_services.ItemRequest("L1", 1, "quality_issue", False, True)]

    def make_return(order_id: str, unit_price: str = "199.00"):
        return return_services.return_create(
            storefront=storefront,
            order=_order(order_id, unit_price=unit_price),
            items=fault,
            resolution="refund",
            description="It leaks from the base.",
            customer=customer,
        )

    requested = make_return("SO-900", unit_price="800.00")
    approved = make_return("SO-901")
    in_transit = return_services.return_ship(
        return_request=make_return("SO-902"), storefront=storefront, carrier="SF Express", tracking_number="SF1"
    )
    received = return_services.return_receive(
        return_request=return_services.return_ship(
            return_request=make_return("SO-903"), storefront=storefront, carrier="SF Express", tracking_number="SF2"
        ),
        user=agent,
    )
    inspected = []
    for order_id in ("SO-904", "SO-905"):
        shipped = return_services.return_ship(
            return_request=make_return(order_id), storefront=storefront, carrier="SF Express", tracking_number=order_id
        )
        back = return_services.return_receive(return_request=shipped, user=agent)
        inspected.append(return_services.return_inspect(return_request=back, user=agent, passed=True, notes="Leaks."))
    refunds = [refund for return_request in inspected for refund in return_request.refunds.all()]
    return_services.refund_issue(refund=refunds[-1], user=finance)  # one pending, one processing
    returns = [requested, approved, in_transit, received, *inspected]

    # Complaints at each step of the workflow.
    complaints = []
    steps = ("investigate", "propose", "accept", "execute", "follow_up")
    for depth in range(len(steps) + 1):
        complaint = complaint_services.complaint_create(
            storefront=storefront,
            category="product_quality",
            body="The kettle leaked and burnt my table.",
            severity="severe" if depth == 0 else "moderate",
            customer=CustomerFactory(storefront=storefront),
            order_external_id=f"SO-95{depth}",
        )
        for step in steps[:depth]:
            complaint = _complaint_step(complaint, step, agent)
        complaints.append(complaint)

    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in range(3)]
    for day in days:
        sales_stat_upsert(storefront=storefront, day=day, orders=120, revenue=Decimal("23999.00"), currency="CNY")
    canned = [CannedResponseFactory(team=None), CannedResponseFactory(team=team)]
    # A sweep two days on: every open ticket has breached, so there are alerts to list and acknowledge.
    sla_sweep(now=timezone.now() + timedelta(days=2))

    # Automation: an inactive trigger and time rule (the fuzzer reads, replaces, tests and deletes them).
    from tickets.models import TimeRule, Trigger
    from tickets.services.automation import rule_save

    note = [{"type": "note", "value": "Checked by a rule"}]
    rules = [
        rule_save(
            model=Trigger, data={"name": "Fuzz trigger", "event": "ticket.created", "actions": note, "active": False}
        ),
        rule_save(
            model=TimeRule,
            data={
                "name": "Fuzz time rule",
                "active": False,
                "conditions": {"all": [{"field": "hours_since.created", "op": "gt", "value": 1}]},
                "actions": note,
            },
        ),
    ]

    # Power tools: a macro, a saved view and a finished bulk job of the supervisor's.
    from tickets import services as ticket_services
    from tickets.models import BulkJob

    supervisor = staff["supervisor"]
    macro = ticket_services.macro_create(
        user=supervisor, name="Hold", scope="global", actions=[{"type": "add_tags", "value": ["held"]}]
    )
    view = ticket_services.saved_view_create(user=supervisor, name="VIP", filters={"tags": ["vip"]})
    job = BulkJob.objects.create(
        user=supervisor,
        actions=[{"type": "add_tags", "value": ["held"]}],
        ticket_ids=[],
        status="done",
        created_at=timezone.now(),
    )

    world.ids = {
        "automation_rules": [rule.pk for rule in rules],
        "macros": [macro.pk],
        "views": [view.pk],
        "bulk_jobs": [job.pk],
        "tickets": [str(ticket.public_id) for ticket in tickets],
        "ticket_references": [ticket.reference for ticket in tickets] + [c.ticket.reference for c in complaints],
        "returns": [str(return_request.public_id) for return_request in returns],
        "refunds": [str(refund.public_id) for refund in refunds],
        "complaints": [str(complaint.public_id) for complaint in complaints],
        "alerts": list(Alert.objects.values_list("pk", flat=True)),
        "canned_responses": [response.pk for response in canned],
        "sales_days": [day.isoformat() for day in days],
        "storefronts": [storefront.pk],
        "teams": [team.pk, logistics.pk],
    }
    return world


def _complaint_step(complaint, step: str, user):
    if step == "investigate":
        return complaint_services.complaint_start_investigation(complaint=complaint, user=user)
    if step == "propose":
        return complaint_services.complaint_propose_solution(
            complaint=complaint,
            user=user,
            findings="Batch 42 has a faulty seal.",
            proposed_solution="A new kettle and a voucher.",
            compensation_amount="50.00",
            currency="CNY",
        )
    if step == "accept":
        return complaint_services.complaint_record_response(complaint=complaint, user=user, response="accepted")
    if step == "execute":
        return complaint_services.complaint_start_execution(
            complaint=complaint, user=user, execution_note="Replacement shipped."
        )
    return complaint_services.complaint_follow_up(
        complaint=complaint, user=user, follow_up_note="The customer is happy.", satisfaction=5
    )
