"""The complaint workflow: creation, every (from, to) pair, the ticket's acknowledgement and resolution, archiving
rules, departments, and the row lock under concurrent steps."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from aftersales.errors import IllegalStateChange, InvalidInput, NotPermitted
from complaints import services
from complaints.models import (
    ALLOWED_MOVES,
    CategoryDepartment,
    Complaint,
    ComplaintStatus,
    Department,
    DepartmentTeam,
)
from complaints.services import mover
from tests.complaints.conftest import run_step
from tests.factories import CustomerFactory, TeamFactory, make_staff
from tickets.models import EventKind, MessageKind, Metric, SlaClock, Status, TicketEvent
from tickets.services import Actor

pytestmark = pytest.mark.django_db

ALL_STATES = list(ComplaintStatus.values)
PAIRS = [(source, target) for source in ALL_STATES for target in ALL_STATES]

# The step that leads to each target state (the declined/accepted answers share the response step).
STEP_FOR = {
    ComplaintStatus.INVESTIGATING: "investigate",
    ComplaintStatus.SOLUTION_PROPOSED: "propose",
    ComplaintStatus.ACCEPTED: "accept",
    ComplaintStatus.DECLINED: "decline",
    ComplaintStatus.EXECUTING: "execute",
    ComplaintStatus.FOLLOW_UP: "follow_up",
    ComplaintStatus.ARCHIVED: "archive",
}


def _attempt(complaint, target, user):
    if target == ComplaintStatus.RECEIVED:
        # No step leads back to received; ask the one mover directly.
        with transaction.atomic():
            locked = mover.lock(complaint)
            mover.move(locked, target, actor=Actor(user=user), now=timezone.now(), fields={})
        return
    run_step(complaint, STEP_FOR[target], user)


def _snapshot(complaint):
    fresh = Complaint.objects.get(pk=complaint.pk)
    return (
        fresh.status,
        fresh.updated_at,
        fresh.findings,
        fresh.customer_response,
        fresh.execution_note,
        fresh.root_cause_code,
        TicketEvent.objects.filter(ticket_id=complaint.ticket_id).count(),
        fresh.ticket.status,
    )


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}->{t}" for s, t in PAIRS])
def test_every_workflow_pair_is_applied_or_refused_whole(make_complaint, agent, source, target):
    # given a complaint in `source`
    complaint = make_complaint(source)
    before = _snapshot(complaint)
    if target in ALLOWED_MOVES[source]:
        # when the step to `target` is taken, then the complaint is there, with an event saying who moved it
        _attempt(complaint, target, agent)
        complaint.refresh_from_db()
        assert complaint.status == target
        event = TicketEvent.objects.filter(ticket_id=complaint.ticket_id, kind=EventKind.COMPLAINT).latest("id")
        assert event.data["from"] == source and event.data["to"] == target
        assert event.actor_user == agent
    else:
        # when it is attempted anyway, then it is refused and nothing at all changed
        with pytest.raises(IllegalStateChange):
            _attempt(complaint, target, agent)
        assert _snapshot(complaint) == before


def test_create_opens_a_complaint_ticket_with_a_running_response_clock(storefront, team):
    customer = CustomerFactory(storefront=storefront, name="Li Lei")
    complaint = services.complaint_create(
        storefront=storefront,
        category="service",
        body="Nobody answered my calls for three days.",
        severity="moderate",
        customer=customer,
        order_external_id="SO-77",
    )
    ticket = complaint.ticket
    assert complaint.reference == f"C-{complaint.pk:06d}"
    assert complaint.status == ComplaintStatus.RECEIVED
    assert complaint.department == Department.CUSTOMER_SERVICE
    assert (ticket.kind, ticket.category, ticket.severity, ticket.status) == ("complaint", "service", "moderate", "new")
    assert ticket.order_external_id == "SO-77" and ticket.customer == customer
    opening = ticket.messages.get()
    assert opening.kind == MessageKind.CUSTOMER and opening.body == "Nobody answered my calls for three days."
    assert SlaClock.objects.filter(ticket=ticket, metric=Metric.RESPONSE, stopped_at__isnull=True).exists()
    # the department's team works it
    assert ticket.team == team
    created = TicketEvent.objects.get(ticket=ticket, kind=EventKind.COMPLAINT)
    assert created.data["to"] == "received" and created.actor_storefront == storefront


def test_department_comes_from_the_editable_mapping_and_its_team(storefront, other_team):
    # given the default mapping: logistics complaints go to logistics, the team named "Logistics"
    complaint = services.complaint_create(storefront=storefront, category="logistics", body="Parcel crushed.")
    assert complaint.department == Department.LOGISTICS
    assert complaint.ticket.team == other_team
    # when a supervisor maps payment complaints to customer service and names a team for that department
    CategoryDepartment.objects.filter(category="payment").update(department=Department.CUSTOMER_SERVICE)
    desk = TeamFactory(name="Front desk")
    DepartmentTeam.objects.create(department=Department.CUSTOMER_SERVICE, team=desk)
    complaint = services.complaint_create(storefront=storefront, category="payment", body="Charged twice.")
    # then new complaints follow the new mapping
    assert complaint.department == Department.CUSTOMER_SERVICE
    assert complaint.ticket.team == desk


def test_default_mapping_is_complaints_md():
    assert dict(CategoryDepartment.objects.values_list("category", "department")) == {
        "product_quality": "product",
        "logistics": "logistics",
        "service": "customer_service",
        "payment": "finance",
        "account": "security",
        "other": "customer_service",
    }


def test_bad_input_is_refused_before_anything_is_written(storefront):
    for kwargs, field in (
        ({"category": "weather", "body": "x"}, "category"),
        ({"category": "service", "body": "   "}, "body"),
        ({"category": "service", "body": "x", "severity": "apocalyptic"}, "severity"),
    ):
        with pytest.raises(InvalidInput) as refused:
            services.complaint_create(storefront=storefront, **kwargs)
        assert field in refused.value.errors
    assert not Complaint.objects.exists()


def test_investigation_acknowledges_the_ticket_once_and_tells_the_customer(make_complaint, agent):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    ticket = complaint.ticket
    assert ticket.acknowledged_at is not None and ticket.status == Status.OPEN
    assert ticket.assignee == agent
    assert complaint.ticket.messages.filter(kind=MessageKind.PUBLIC, body__contains=ticket.reference).count() == 1
    # a declined proposal sends the complaint back to investigation without a second acknowledgement
    run_step(complaint, "propose", agent)
    run_step(complaint, "decline", agent)
    run_step(complaint, "investigate", agent)
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ACKNOWLEDGED).count() == 1


def test_proposal_reaches_the_customer_and_answers_their_message(make_complaint, agent):
    complaint = make_complaint(ComplaintStatus.SOLUTION_PROPOSED)
    assert complaint.compensation_amount == Decimal("50.00") and complaint.currency == "CNY"
    reply = complaint.ticket.messages.filter(kind=MessageKind.PUBLIC).latest("id")
    assert "A replacement kettle and a voucher." in reply.body and "50.00 CNY" in reply.body
    response_clock = SlaClock.objects.get(ticket=complaint.ticket, metric=Metric.RESPONSE)
    assert response_clock.stopped_at is not None


def test_a_new_proposal_clears_the_previous_answer(make_complaint, agent):
    complaint = make_complaint(ComplaintStatus.DECLINED)
    assert complaint.customer_response == "declined" and complaint.customer_response_at is not None
    run_step(complaint, "investigate", agent)
    complaint = run_step(complaint, "propose", agent)
    assert complaint.customer_response == "" and complaint.customer_response_at is None


def test_follow_up_resolves_the_ticket(make_complaint):
    complaint = make_complaint(ComplaintStatus.FOLLOW_UP)
    assert complaint.ticket.status == Status.RESOLVED
    assert complaint.follow_up_satisfaction == 5


@pytest.mark.parametrize(
    ("missing", "field"),
    [("root_cause_code", "root_cause_code"), ("root_cause", "root_cause"), ("lessons", "lessons")],
)
def test_archiving_needs_root_cause_and_lessons(make_complaint, agent, missing, field):
    complaint = make_complaint(ComplaintStatus.FOLLOW_UP)
    values = {"root_cause_code": "carrier", "root_cause": "Parcel dropped.", "lessons": "Use padded boxes."}
    values[missing] = ""
    with pytest.raises(InvalidInput) as refused:
        services.complaint_archive(complaint=complaint, user=agent, **values)
    assert list(refused.value.errors) == [field]
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.FOLLOW_UP and complaint.archived_at is None


def test_archiving_without_a_root_cause_says_so(make_complaint, agent):
    complaint = make_complaint(ComplaintStatus.FOLLOW_UP)
    with pytest.raises(InvalidInput) as refused:
        services.complaint_archive(complaint=complaint, user=agent, lessons="Something.")
    assert str(refused.value.message) == "A root cause is required to archive a complaint."
    assert set(refused.value.errors) == {"root_cause_code", "root_cause"}


def test_step_inputs_are_checked(make_complaint, agent):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    for kwargs, field in (
        ({"findings": "", "proposed_solution": "x"}, "findings"),
        ({"findings": "x", "proposed_solution": " "}, "proposed_solution"),
        ({"findings": "x", "proposed_solution": "y", "compensation_amount": "-1"}, "compensation_amount"),
        ({"findings": "x", "proposed_solution": "y", "compensation_amount": "1.234"}, "compensation_amount"),
        ({"findings": "x", "proposed_solution": "y", "compensation_amount": "abc"}, "compensation_amount"),
        ({"findings": "x", "proposed_solution": "y", "compensation_amount": "5", "currency": "EURO"}, "currency"),
    ):
        with pytest.raises(InvalidInput) as refused:
            services.complaint_propose_solution(complaint=complaint, user=agent, **kwargs)
        assert field in refused.value.errors
    complaint = make_complaint(ComplaintStatus.EXECUTING)
    with pytest.raises(InvalidInput):
        services.complaint_follow_up(complaint=complaint, user=agent, follow_up_note="ok", satisfaction=6)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.EXECUTING


def test_only_staff_work_complaints(make_complaint, finance_user):
    complaint = make_complaint()
    with pytest.raises(NotPermitted):
        services.complaint_start_investigation(complaint=complaint, user=finance_user)


def test_supervisor_hands_a_complaint_to_another_department(make_complaint, supervisor, agent, other_team):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    with pytest.raises(NotPermitted):
        services.complaint_change_department(complaint=complaint, user=agent, department="logistics")
    complaint = services.complaint_change_department(complaint=complaint, user=supervisor, department="logistics")
    complaint.refresh_from_db()
    assert complaint.department == "logistics"
    assert complaint.ticket.team == other_team
    event = TicketEvent.objects.filter(ticket=complaint.ticket, kind=EventKind.COMPLAINT).latest("id")
    assert event.data["department"] == {"from": "customer_service", "to": "logistics"}
    assert event.actor_user == supervisor


def test_an_archived_complaint_keeps_its_department(make_complaint, supervisor):
    complaint = make_complaint(ComplaintStatus.ARCHIVED)
    with pytest.raises(IllegalStateChange):
        services.complaint_change_department(complaint=complaint, user=supervisor, department="finance")


def test_every_step_is_on_the_timeline_with_who_and_when(make_complaint, agent):
    complaint = make_complaint(ComplaintStatus.ARCHIVED)
    events = list(
        TicketEvent.objects.filter(ticket=complaint.ticket, kind=EventKind.COMPLAINT).order_by("created_at", "id")
    )
    assert [(event.data["from"], event.data["to"]) for event in events] == [
        (None, "received"),
        ("received", "investigating"),
        ("investigating", "solution_proposed"),
        ("solution_proposed", "accepted"),
        ("accepted", "executing"),
        ("executing", "follow_up"),
        ("follow_up", "archived"),
    ]
    assert all(event.actor_user == agent for event in events[1:])
    assert events[-1].data["fields"]["root_cause_code"] == "supplier"
    assert complaint.archived_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_agents_starting_the_investigation_at_once_move_it_once(storefront, team):
    first = make_staff("agent-a", "agent", teams=(team,))
    second = make_staff("agent-b", "agent", teams=(team,))
    complaint = services.complaint_create(storefront=storefront, category="service", body="Rude agent.")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(user):
        try:
            barrier.wait()
            services.complaint_start_investigation(complaint=complaint, user=user)
            outcomes.append("moved")
        except IllegalStateChange:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(user,)) for user in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved", "refused"]
    assert TicketEvent.objects.filter(ticket=complaint.ticket, kind=EventKind.ACKNOWLEDGED).count() == 1
    assert TicketEvent.objects.filter(ticket=complaint.ticket, data__to="investigating").count() == 1
