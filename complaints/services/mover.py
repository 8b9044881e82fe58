"""The one mover of the complaint workflow, shared by every step.

`move` checks ALLOWED_MOVES on rows locked in the fixed order (the ticket row first, then the complaint, as
tickets.services does), writes the fields of the step and one ticket event, so a step is either applied whole with
its event or refused with nothing written. It is the only code that writes `Complaint.status`.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.errors import IllegalStateChange, InvalidInput, NotPermitted
from complaints.models import ALLOWED_MOVES, Complaint, ComplaintStatus
from tickets import roles
from tickets import services as ticket_services
from tickets.models import EventKind
from tickets.services import Actor


def clean_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def required_text(field: str, value: Any, message: str) -> str:
    text = clean_text(value)
    if not text:
        raise InvalidInput(message, field=field)
    return text


def summary(previous: str | None, to: str) -> str:
    # Stored in the event (the timeline shows it next to the complaint's reference); written in the site's default
    # language so that the audit trail reads the same for everyone.
    with translation.override(settings.LANGUAGE_CODE):
        if previous is None:
            return str(ComplaintStatus(to).label)
        return f"{ComplaintStatus(previous).label} → {ComplaintStatus(to).label}"


def event_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def record_event(complaint: Complaint, *, actor: Actor, now: datetime, data: dict[str, Any]) -> None:
    ticket_services.ticket_record_event(
        ticket=complaint.ticket,
        kind=EventKind.COMPLAINT,
        actor=actor,
        data={"complaint": complaint.reference, **data},
        now=now,
    )


def lock(complaint: Complaint) -> Complaint:
    """Lock the ticket row, then the complaint row: the order every writer of either uses, so no deadlock."""
    ticket = ticket_services.ticket_lock(complaint.ticket_id)
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    locked.ticket = ticket
    return locked


def check_move(complaint: Complaint, to: str) -> None:
    if to not in ALLOWED_MOVES[complaint.status]:
        raise IllegalStateChange(
            _("A complaint cannot move from %(from)s to %(to)s.")
            % {"from": ComplaintStatus(complaint.status).label, "to": ComplaintStatus(to).label},
            field="status",
        )


def move(complaint: Complaint, to: str, *, actor: Actor, now: datetime, fields: dict[str, Any]) -> None:
    """Apply one workflow step to a locked complaint. The only code that writes `Complaint.status`."""
    check_move(complaint, to)
    previous = complaint.status
    for name, value in fields.items():
        setattr(complaint, name, value)
    complaint.status = to
    complaint.updated_at = now
    if to == ComplaintStatus.ARCHIVED:
        complaint.archived_at = now
    complaint.save(update_fields=[*fields, "status", "updated_at", "archived_at"])
    record_event(
        complaint,
        actor=actor,
        now=now,
        data={
            "from": previous,
            "to": to,
            "fields": {name: event_value(value) for name, value in fields.items()},
            "summary": summary(previous, to),
        },
    )
    raise_automation_event(complaint, "complaint.moved", now=now)


def raise_automation_event(complaint: Complaint, event: str, *, now: datetime) -> None:
    """Tell the ticket core's triggers (it cannot import complaints: the complaint's facts go with the event)."""
    ticket_services.automation_event(
        event=event,
        ticket=complaint.ticket,
        context={
            "complaint": {"category": complaint.category, "severity": complaint.severity, "status": complaint.status}
        },
        now=now,
    )


def require_agent(user: Any) -> None:
    if user is None or not roles.is_agent(user):
        raise NotPermitted(_("Only agents and supervisors may work complaints."))
