"""A return moves with its ticket when that ticket is merged into another (tickets.services.merge)."""

from datetime import datetime

from django.utils.translation import gettext as _

from aftersales.errors import Conflict
from returns.models import ReturnRequest
from tickets.models import Ticket


def return_follow_merged_ticket(*, source: Ticket, target: Ticket, now: datetime) -> None:
    """The source ticket's return now belongs to the target. A ticket carries one return: when both carry one, the
    merge is refused (merge the other way round, or link the tickets instead)."""
    if not ReturnRequest.objects.filter(ticket=source).exists():
        return
    if ReturnRequest.objects.filter(ticket=target).exists():
        raise Conflict(
            _("%(source)s and %(target)s both carry a return: link them instead.")
            % {"source": source.reference, "target": target.reference},
            field="sources",
        )
    ReturnRequest.objects.filter(ticket=source).update(ticket=target)
