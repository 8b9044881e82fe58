"""Which department handles a complaint and which team works it: the editable mapping, a supervisor's hand-over."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.errors import IllegalStateChange, InvalidInput, NotPermitted
from complaints.models import (
    DEFAULT_DEPARTMENTS,
    CategoryDepartment,
    Complaint,
    ComplaintCategory,
    Department,
    DepartmentTeam,
)
from complaints.services.mover import lock, record_event
from tickets import roles
from tickets import services as ticket_services
from tickets.models import Team, Ticket
from tickets.services import Actor


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


def route_to_department(ticket: Ticket, department: str, *, user: Any, now: datetime) -> Ticket:
    """Hand the ticket to the department's team, unassigned: one of its agents takes it by investigating."""
    team = department_team(department=department)
    if team is not None and ticket.team_id != team.pk:
        return ticket_services.ticket_assign(ticket=ticket, user=user, team=team, assignee=None, now=now)
    return ticket


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
    complaint = lock(complaint)
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
    record_event(
        complaint,
        actor=Actor(user=user),
        now=now,
        data={"department": {"from": previous, "to": department}, "summary": summary},
    )
    complaint.ticket = route_to_department(complaint.ticket, department, user=user, now=now)
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
