"""Telling staff about something from the ticket core (a `notify` action, an automation rule that failed) without
importing the apps above it: `alerts` registers the notifier that writes its alerts and in-desk notifications
(`register_staff_notifier`, from its AppConfig.ready), as returns and complaints register their erasure parts."""

from collections.abc import Callable
from datetime import datetime

from django.contrib.auth import get_user_model

from tickets.models import Ticket
from tickets.roles import SUPERVISORS

StaffNotifier = Callable[..., None]
_notifiers: dict[str, StaffNotifier] = {}


def register_staff_notifier(name: str, notifier: StaffNotifier) -> None:
    """`notifier(*, user_ids: list[int], text: str, ticket: Ticket | None, now: datetime)` is called in the
    transaction of the change; it writes what the people see (and enqueues e-mail after commit)."""
    _notifiers[name] = notifier


def staff_notify(*, user_ids: set[int] | list[int], text: str, ticket: Ticket | None, now: datetime) -> int:
    """Notify these staff users; the number of recipients (0 when nothing is registered to tell them)."""
    recipients = sorted(set(user_ids))
    if not recipients or not _notifiers:
        return 0
    for notifier in _notifiers.values():
        notifier(user_ids=recipients, text=text, ticket=ticket, now=now)
    return len(recipients)


def supervisor_ids() -> set[int]:
    return set(get_user_model().objects.filter(groups__name=SUPERVISORS, is_active=True).values_list("pk", flat=True))


def supervisors_alert(*, text: str, ticket: Ticket | None = None, now: datetime) -> int:
    """An alert to every active supervisor (a rule cut at the depth limit, a rule that failed or was disabled)."""
    return staff_notify(user_ids=supervisor_ids(), text=text, ticket=ticket, now=now)
