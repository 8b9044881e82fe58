"""A complaint moves with its ticket when that ticket is merged into another (tickets.services.merge)."""

from datetime import datetime

from django.utils.translation import gettext as _

from aftersales.errors import Conflict
from complaints.models import Complaint
from tickets.models import Ticket


def complaint_follow_merged_ticket(*, source: Ticket, target: Ticket, now: datetime) -> None:
    """The source ticket's complaint now belongs to the target. A ticket carries one complaint: when both carry one,
    the merge is refused (link the tickets instead)."""
    if not Complaint.objects.filter(ticket=source).exists():
        return
    if Complaint.objects.filter(ticket=target).exists():
        raise Conflict(
            _("%(source)s and %(target)s both carry a complaint: link them instead.")
            % {"source": source.reference, "target": target.reference},
            field="sources",
        )
    Complaint.objects.filter(ticket=source).update(ticket=target)
