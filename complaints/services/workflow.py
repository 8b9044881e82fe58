"""Complaint creation and the workflow steps, each through the one mover (complaints.services.mover).

The complaint's ticket is changed only through tickets.services: acknowledged when the investigation starts,
answered by the proposal, resolved at follow-up.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.errors import InvalidInput
from aftersales.money import to_money
from complaints.models import (
    DEFAULT_CURRENCY,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    CustomerResponse,
    RootCause,
)
from complaints.services.mover import (
    check_move,
    clean_text,
    lock,
    move,
    raise_automation_event,
    record_event,
    require_agent,
    required_text,
    summary,
)
from complaints.services.routing import department_for, route_to_department
from tickets import services as ticket_services
from tickets.models import Channel, Customer, Kind, Severity, Status, Storefront
from tickets.services import Actor

SUBJECT_MAX = 200
MAX_COMPENSATION = Decimal("9999999999.99")


def _subject(category: str, body: str, *, language: str) -> str:
    # In the storefront's language, like everything else the customer reads about their request.
    first_line = body.strip().splitlines()[0] if body.strip() else ""
    with translation.override(language):
        subject = _("Complaint (%(category)s): %(text)s") % {
            "category": ComplaintCategory(category).label,
            "text": first_line,
        }
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 1] + "…"


@transaction.atomic
def complaint_create(
    *,
    storefront: Storefront,
    category: str,
    body: str,
    severity: str = Severity.MINOR,
    customer: Customer | None = None,
    order_external_id: str = "",
    channel: str = Channel.API,
    now: datetime | None = None,
) -> Complaint:
    """A complaint and its ticket (kind `complaint`), the opening body a customer message so the response clock
    runs; the department from the category mapping, and the ticket handed to that department's team."""
    now = now or timezone.now()
    if category not in ComplaintCategory.values:
        raise InvalidInput(_("Unknown category %(value)s.") % {"value": category}, field="category")
    if severity not in Severity.values:
        raise InvalidInput(_("Unknown severity %(value)s.") % {"value": severity}, field="severity")
    body = required_text("body", body, _("Describe the complaint."))
    ticket = ticket_services.ticket_create(
        storefront=storefront,
        subject=_subject(category, body, language=storefront.language),
        body=body,
        kind=Kind.COMPLAINT,
        category=category,
        severity=severity,
        channel=channel,
        customer=customer,
        order_external_id=order_external_id,
        now=now,
    )
    department = department_for(category=category)
    complaint = Complaint.objects.create(
        ticket=ticket,
        category=category,
        severity=severity,
        department=department,
        status=ComplaintStatus.RECEIVED,
        created_at=now,
        updated_at=now,
    )
    record_event(
        complaint,
        actor=Actor(storefront=storefront),
        now=now,
        data={
            "from": None,
            "to": ComplaintStatus.RECEIVED,
            "fields": {"category": category, "severity": severity, "department": department},
            "summary": summary(None, ComplaintStatus.RECEIVED),
        },
    )
    complaint.ticket = route_to_department(ticket, department, user=None, now=now)
    raise_automation_event(complaint, "complaint.created", now=now)
    return complaint


@transaction.atomic
def complaint_start_investigation(*, complaint: Complaint, user: Any, now: datetime | None = None) -> Complaint:
    """received -> investigating (or again after a declined proposal). The first investigation acknowledges the
    ticket: the customer is told the reference and when to expect an answer."""
    now = now or timezone.now()
    require_agent(user)
    complaint = lock(complaint)
    move(complaint, ComplaintStatus.INVESTIGATING, actor=Actor(user=user), now=now, fields={})
    ticket = complaint.ticket
    if ticket.acknowledged_at is None and ticket.is_open:
        complaint.ticket = ticket_services.ticket_acknowledge(ticket=ticket, user=user, send_message=True, now=now)
    return complaint


def _compensation(amount: Any, currency: Any) -> tuple[Decimal | None, str]:
    if amount is None or amount == "":
        return None, ""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Enter an amount such as 50.00."), field="compensation_amount") from None
    if not value.is_finite() or value < 0 or value > MAX_COMPENSATION or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(
            _("The compensation must be a non-negative amount with at most 2 decimal places."),
            field="compensation_amount",
        )
    code = (clean_text(currency) or DEFAULT_CURRENCY).upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise InvalidInput(_("Use a three-letter ISO 4217 currency code."), field="currency")
    return to_money(value), code


def _proposal_text(complaint: Complaint) -> str:
    with translation.override(complaint.ticket.storefront.language):
        text = _("Our proposal for your complaint %(reference)s:") % {"reference": complaint.reference}
        text += "\n\n" + complaint.proposed_solution
        if complaint.compensation_amount is not None:
            text += "\n\n" + _("Compensation: %(amount)s %(currency)s") % {
                "amount": complaint.compensation_amount,
                "currency": complaint.currency,
            }
        text += "\n\n" + _("Please let us know whether you accept it.")
    return text


@transaction.atomic
def complaint_propose_solution(
    *,
    complaint: Complaint,
    user: Any,
    findings: str,
    proposed_solution: str,
    compensation_amount: Decimal | str | None = None,
    currency: str = "",
    notify_customer: bool = True,
    now: datetime | None = None,
) -> Complaint:
    """investigating -> solution_proposed, with what the investigation found and what we offer. The offer goes to
    the customer as a public reply (which answers their message) unless `notify_customer` is off."""
    now = now or timezone.now()
    require_agent(user)
    complaint = lock(complaint)
    check_move(complaint, ComplaintStatus.SOLUTION_PROPOSED)
    fields = {
        "findings": required_text("findings", findings, _("Write down what the investigation found.")),
        "proposed_solution": required_text(
            "proposed_solution", proposed_solution, _("Describe the proposed solution.")
        ),
    }
    fields["compensation_amount"], fields["currency"] = _compensation(compensation_amount, currency)
    # A new proposal awaits a new answer.
    fields.update(customer_response="", customer_response_at=None, customer_response_note="")
    move(complaint, ComplaintStatus.SOLUTION_PROPOSED, actor=Actor(user=user), now=now, fields=fields)
    if notify_customer and complaint.ticket.status != Status.CLOSED:
        ticket_services.ticket_reply(ticket=complaint.ticket, user=user, body=_proposal_text(complaint), now=now)
    return complaint


@transaction.atomic
def complaint_record_response(
    *,
    complaint: Complaint,
    response: str,
    note: str = "",
    user: Any = None,
    storefront: Storefront | None = None,
    now: datetime | None = None,
) -> Complaint:
    """solution_proposed -> accepted | declined: the customer's answer to the proposal, when, and their words."""
    now = now or timezone.now()
    if storefront is None:
        require_agent(user)
    if response not in CustomerResponse.values:
        raise InvalidInput(_("Answer accepted or declined."), field="response")
    complaint = lock(complaint)
    to = ComplaintStatus.ACCEPTED if response == CustomerResponse.ACCEPTED else ComplaintStatus.DECLINED
    fields = {"customer_response": response, "customer_response_at": now, "customer_response_note": clean_text(note)}
    move(complaint, to, actor=Actor(user=user, storefront=storefront), now=now, fields=fields)
    return complaint


@transaction.atomic
def complaint_start_execution(
    *, complaint: Complaint, user: Any, execution_note: str, now: datetime | None = None
) -> Complaint:
    """accepted -> executing: carrying out the accepted solution."""
    now = now or timezone.now()
    require_agent(user)
    complaint = lock(complaint)
    check_move(complaint, ComplaintStatus.EXECUTING)
    note = required_text("execution_note", execution_note, _("Say what is being done to carry out the solution."))
    move(complaint, ComplaintStatus.EXECUTING, actor=Actor(user=user), now=now, fields={"execution_note": note})
    return complaint


@transaction.atomic
def complaint_follow_up(
    *,
    complaint: Complaint,
    user: Any,
    follow_up_note: str,
    satisfaction: int | None = None,
    now: datetime | None = None,
) -> Complaint:
    """executing -> follow_up: the solution is carried out and the customer was contacted. Resolves the ticket."""
    now = now or timezone.now()
    require_agent(user)
    complaint = lock(complaint)
    check_move(complaint, ComplaintStatus.FOLLOW_UP)
    note = required_text("follow_up_note", follow_up_note, _("Write down how the follow-up with the customer went."))
    if satisfaction is not None and (
        isinstance(satisfaction, bool) or not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5
    ):
        raise InvalidInput(_("Satisfaction is a whole number from 1 to 5."), field="follow_up_satisfaction")
    fields = {"follow_up_note": note, "follow_up_satisfaction": satisfaction}
    move(complaint, ComplaintStatus.FOLLOW_UP, actor=Actor(user=user), now=now, fields=fields)
    ticket = complaint.ticket
    if ticket.is_open:
        complaint.ticket = ticket_services.ticket_change_status(
            ticket=ticket, status=Status.RESOLVED, user=user, reason="complaint_follow_up", now=now
        )
    return complaint


ROOT_CAUSE_MESSAGES = {
    "root_cause_code": gettext_lazy("A root cause is required to archive a complaint."),
    "root_cause": gettext_lazy("Describe the root cause to archive the complaint."),
    "lessons": gettext_lazy("Lessons learned are required to archive a complaint."),
}


@transaction.atomic
def complaint_archive(
    *,
    complaint: Complaint,
    user: Any,
    root_cause_code: str = "",
    root_cause: str = "",
    lessons: str = "",
    now: datetime | None = None,
) -> Complaint:
    """follow_up -> archived, only with a root cause (code and description) and the lessons learned."""
    now = now or timezone.now()
    require_agent(user)
    complaint = lock(complaint)
    check_move(complaint, ComplaintStatus.ARCHIVED)
    code = clean_text(root_cause_code) or complaint.root_cause_code
    if code and code not in RootCause.values:
        raise InvalidInput(_("Unknown root cause %(value)s.") % {"value": code}, field="root_cause_code")
    fields = {
        "root_cause_code": code,
        "root_cause": clean_text(root_cause) or complaint.root_cause,
        "lessons": clean_text(lessons) or complaint.lessons,
    }
    missing = {field: [str(ROOT_CAUSE_MESSAGES[field])] for field, value in fields.items() if not value}
    if missing:
        first = next(iter(missing))
        raise InvalidInput(ROOT_CAUSE_MESSAGES[first], errors=missing)
    move(complaint, ComplaintStatus.ARCHIVED, actor=Actor(user=user), now=now, fields=fields)
    return complaint
