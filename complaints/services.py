"""Every write of complaints: create, each workflow step, the department.

One mover: every step goes through `_move`, which checks ALLOWED_MOVES on rows locked in the fixed order (the ticket
row first, then the complaint, as tickets.services does), writes the fields of the step and one ticket event, so a
step is either applied whole with its event or refused with nothing written. The complaint's ticket is changed only
through tickets.services.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aftersales.errors import IllegalStateChange, InvalidInput, NotPermitted
from aftersales.money import to_money
from complaints.models import (
    ALLOWED_MOVES,
    DEFAULT_CURRENCY,
    DEFAULT_DEPARTMENTS,
    CategoryDepartment,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    CustomerResponse,
    Department,
    DepartmentTeam,
    RootCause,
)
from tickets import roles
from tickets import services as ticket_services
from tickets.models import Channel, Customer, EventKind, Kind, Severity, Status, Storefront, Team, Ticket
from tickets.services.tickets import Actor

SUBJECT_MAX = 200
MAX_COMPENSATION = Decimal("9999999999.99")


def department_for(*, category: str) -> str:
    """The department the editable mapping gives a category (complaints.md's default when no row exists)."""
    department = CategoryDepartment.objects.filter(category=category).values_list("department", flat=True).first()
    return department or DEFAULT_DEPARTMENTS.get(category, Department.CUSTOMER_SERVICE)


def department_team(*, department: str) -> Team | None:
    """The team working a department's complaints: the DepartmentTeam row, else the team named like the department."""
    row = DepartmentTeam.objects.select_related("team").filter(department=department).first()
    if row is not None:
        return row.team
    with translation.override("en"):
        name = str(Department(department).label)
    return Team.objects.filter(name__iexact=name).first()


def _route_to_department(ticket: Ticket, department: str, *, user: Any, now: datetime) -> Ticket:
    """Hand the ticket to the department's team, unassigned: one of its agents takes it by investigating."""
    team = department_team(department=department)
    if team is not None and ticket.team_id != team.pk:
        return ticket_services.ticket_assign(ticket=ticket, user=user, team=team, assignee=None, now=now)
    return ticket


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _require(field: str, value: Any, message: str) -> str:
    text = _text(value)
    if not text:
        raise InvalidInput(message, field=field)
    return text


def _summary(previous: str | None, to: str) -> str:
    # Stored in the event (the timeline shows it next to the complaint's reference); written in the site's default
    # language so that the audit trail reads the same for everyone.
    with translation.override(settings.LANGUAGE_CODE):
        if previous is None:
            return str(ComplaintStatus(to).label)
        return f"{ComplaintStatus(previous).label} → {ComplaintStatus(to).label}"


def _event_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _record(complaint: Complaint, *, actor: Actor, now: datetime, data: dict[str, Any]) -> None:
    ticket_services.ticket_record_event(
        ticket=complaint.ticket,
        kind=EventKind.COMPLAINT,
        actor=actor,
        data={"complaint": complaint.reference, **data},
        now=now,
    )


def _lock(complaint: Complaint) -> Complaint:
    """Lock the ticket row, then the complaint row: the order every writer of either uses, so no deadlock."""
    ticket = Ticket.objects.select_for_update().get(pk=complaint.ticket_id)
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    locked.ticket = ticket
    return locked


def _check_move(complaint: Complaint, to: str) -> None:
    if to not in ALLOWED_MOVES[complaint.status]:
        raise IllegalStateChange(
            _("A complaint cannot move from %(from)s to %(to)s.")
            % {"from": ComplaintStatus(complaint.status).label, "to": ComplaintStatus(to).label},
            field="status",
        )


def _move(complaint: Complaint, to: str, *, actor: Actor, now: datetime, fields: dict[str, Any]) -> None:
    """Apply one workflow step to a locked complaint. The only code that writes `Complaint.status`."""
    _check_move(complaint, to)
    previous = complaint.status
    for name, value in fields.items():
        setattr(complaint, name, value)
    complaint.status = to
    complaint.updated_at = now
    if to == ComplaintStatus.ARCHIVED:
        complaint.archived_at = now
    complaint.save(update_fields=[*fields, "status", "updated_at", "archived_at"])
    _record(
        complaint,
        actor=actor,
        now=now,
        data={
            "from": previous,
            "to": to,
            "fields": {name: _event_value(value) for name, value in fields.items()},
            "summary": _summary(previous, to),
        },
    )


def _require_agent(user: Any) -> None:
    if user is None or not roles.is_agent(user):
        raise NotPermitted(_("Only agents and supervisors may work complaints."))


def _subject(category: str, body: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        label = str(ComplaintCategory(category).label)
    first_line = body.strip().splitlines()[0] if body.strip() else ""
    subject = _("Complaint (%(category)s): %(text)s") % {"category": label, "text": first_line}
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
    body = _require("body", body, _("Describe the complaint."))
    ticket = ticket_services.ticket_create(
        storefront=storefront,
        subject=_subject(category, body),
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
    # Like the ticket reference: the row's own sequence number, unique without a counter row to lock.
    complaint.reference = f"C-{complaint.pk:06d}"
    complaint.save(update_fields=["reference"])
    _record(
        complaint,
        actor=Actor(storefront=storefront),
        now=now,
        data={
            "from": None,
            "to": ComplaintStatus.RECEIVED,
            "fields": {"category": category, "severity": severity, "department": department},
            "summary": _summary(None, ComplaintStatus.RECEIVED),
        },
    )
    complaint.ticket = _route_to_department(ticket, department, user=None, now=now)
    return complaint


@transaction.atomic
def complaint_start_investigation(*, complaint: Complaint, user: Any, now: datetime | None = None) -> Complaint:
    """received -> investigating (or again after a declined proposal). The first investigation acknowledges the
    ticket: the customer is told the reference and when to expect an answer."""
    now = now or timezone.now()
    _require_agent(user)
    complaint = _lock(complaint)
    _move(complaint, ComplaintStatus.INVESTIGATING, actor=Actor(user=user), now=now, fields={})
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
    code = (_text(currency) or DEFAULT_CURRENCY).upper()
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
    _require_agent(user)
    complaint = _lock(complaint)
    _check_move(complaint, ComplaintStatus.SOLUTION_PROPOSED)
    fields = {
        "findings": _require("findings", findings, _("Write down what the investigation found.")),
        "proposed_solution": _require("proposed_solution", proposed_solution, _("Describe the proposed solution.")),
    }
    fields["compensation_amount"], fields["currency"] = _compensation(compensation_amount, currency)
    # A new proposal awaits a new answer.
    fields.update(customer_response="", customer_response_at=None, customer_response_note="")
    _move(complaint, ComplaintStatus.SOLUTION_PROPOSED, actor=Actor(user=user), now=now, fields=fields)
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
        _require_agent(user)
    if response not in CustomerResponse.values:
        raise InvalidInput(_("Answer accepted or declined."), field="response")
    complaint = _lock(complaint)
    to = ComplaintStatus.ACCEPTED if response == CustomerResponse.ACCEPTED else ComplaintStatus.DECLINED
    fields = {"customer_response": response, "customer_response_at": now, "customer_response_note": _text(note)}
    _move(complaint, to, actor=Actor(user=user, storefront=storefront), now=now, fields=fields)
    return complaint


@transaction.atomic
def complaint_start_execution(
    *, complaint: Complaint, user: Any, execution_note: str, now: datetime | None = None
) -> Complaint:
    """accepted -> executing: carrying out the accepted solution."""
    now = now or timezone.now()
    _require_agent(user)
    complaint = _lock(complaint)
    _check_move(complaint, ComplaintStatus.EXECUTING)
    note = _require("execution_note", execution_note, _("Say what is being done to carry out the solution."))
    _move(complaint, ComplaintStatus.EXECUTING, actor=Actor(user=user), now=now, fields={"execution_note": note})
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
    _require_agent(user)
    complaint = _lock(complaint)
    _check_move(complaint, ComplaintStatus.FOLLOW_UP)
    note = _require("follow_up_note", follow_up_note, _("Write down how the follow-up with the customer went."))
    if satisfaction is not None and (
        isinstance(satisfaction, bool) or not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5
    ):
        raise InvalidInput(_("Satisfaction is a whole number from 1 to 5."), field="follow_up_satisfaction")
    fields = {"follow_up_note": note, "follow_up_satisfaction": satisfaction}
    _move(complaint, ComplaintStatus.FOLLOW_UP, actor=Actor(user=user), now=now, fields=fields)
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
    _require_agent(user)
    complaint = _lock(complaint)
    _check_move(complaint, ComplaintStatus.ARCHIVED)
    code = _text(root_cause_code) or complaint.root_cause_code
    if code and code not in RootCause.values:
        raise InvalidInput(_("Unknown root cause %(value)s.") % {"value": code}, field="root_cause_code")
    fields = {
        "root_cause_code": code,
        "root_cause": _text(root_cause) or complaint.root_cause,
        "lessons": _text(lessons) or complaint.lessons,
    }
    missing = {field: [str(ROOT_CAUSE_MESSAGES[field])] for field, value in fields.items() if not value}
    if missing:
        first = next(iter(missing))
        raise InvalidInput(ROOT_CAUSE_MESSAGES[first], errors=missing)
    _move(complaint, ComplaintStatus.ARCHIVED, actor=Actor(user=user), now=now, fields=fields)
    return complaint


@transaction.atomic
def complaint_change_department(
    *, complaint: Complaint, user: Any, department: str, now: datetime | None = None
) -> Complaint:
    """A supervisor hands the complaint to another department; its ticket goes to that department's team."""
    now = now or timezone.now()
    if user is None or not roles.is_supervisor(user):
        raise NotPermitted(_("Only a supervisor may change a complaint's department."))
    if department not in Department.values:
        raise InvalidInput(_("Unknown department %(value)s.") % {"value": department}, field="department")
    complaint = _lock(complaint)
    if complaint.is_archived:
        raise IllegalStateChange(_("An archived complaint cannot change department."), field="department")
    previous = complaint.department
    if previous == department:
        return complaint
    complaint.department = department
    complaint.updated_at = now
    complaint.save(update_fields=["department", "updated_at"])
    with translation.override(settings.LANGUAGE_CODE):
        summary = _("department %(from)s → %(to)s") % {
            "from": Department(previous).label,
            "to": Department(department).label,
        }
    _record(
        complaint,
        actor=Actor(user=user),
        now=now,
        data={"department": {"from": previous, "to": department}, "summary": summary},
    )
    complaint.ticket = _route_to_department(complaint.ticket, department, user=user, now=now)
    return complaint


@transaction.atomic
def complaint_mapping_update(
    *, user: Any, departments: dict[str, str], teams: dict[str, Team | None] | None = None
) -> None:
    """A supervisor edits which department handles each category and which team works each department.

    Applies to complaints filed from now on; existing complaints keep their department (a supervisor moves one by
    hand with complaint_change_department).
    """
    if user is None or not roles.is_supervisor(user):
        raise NotPermitted(_("Only a supervisor may change which department handles complaints."))
    for category, department in departments.items():
        if category not in ComplaintCategory.values:
            raise InvalidInput(_("Unknown category %(value)s.") % {"value": category}, field=category)
        if department not in Department.values:
            raise InvalidInput(_("Unknown department %(value)s.") % {"value": department}, field=category)
        CategoryDepartment.objects.update_or_create(category=category, defaults={"department": department})
    for department, team in (teams or {}).items():
        if department not in Department.values:
            raise InvalidInput(_("Unknown department %(value)s.") % {"value": department}, field=department)
        if team is None:
            DepartmentTeam.objects.filter(department=department).delete()
        else:
            DepartmentTeam.objects.update_or_create(department=department, defaults={"team": team})
