"""Who works a ticket: assignment by hand, and the re-routing that follows a change of severity or category."""

from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import InvalidInput
from tickets import roles
from tickets.models import Category, EventKind, Severity, Team, Ticket, TriggerEvent
from tickets.services import routing
from tickets.services.automation import automation_event
from tickets.services.collision import ticket_check_seen
from tickets.services.events import Actor, ticket_record_event
from tickets.services.lifecycle import ticket_lock, ticket_move


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    user: AbstractUser | None = None,
    assignee: AbstractUser | None = None,
    team: Team | None = None,
    actor: Actor | None = None,
    seen_event_id: int | None = None,
    confirm: bool = False,
    now: datetime | None = None,
) -> Ticket:
    """Assign by hand (to a team, a member of it, or nobody): routing leaves the ticket alone afterwards. By a
    person (`user`) or an automation rule (`actor`), whose choice routing respects as a person's. With
    `seen_event_id`, held if the ticket changed since (collision)."""
    now = now or timezone.now()
    actor = actor or Actor(user=user)
    ticket = ticket_lock(ticket.pk)
    ticket_check_seen(ticket=ticket, user=user, seen_event_id=seen_event_id, confirm=confirm)
    if team is None:
        team = ticket.team
    # The desk's rule, for every way a person assigns (the desk, the API, macros, bulk actions): agents assign within
    # the ticket's team, supervisors to any team.
    if (
        actor.user is not None
        and team is not None
        and team.pk != ticket.team_id
        and not roles.is_supervisor(actor.user)
    ):
        raise InvalidInput(_("No such team, or you may not assign to it."), field="team")
    if assignee is not None and not (assignee.is_active and roles.is_agent(assignee)):
        raise InvalidInput(_("Only an active agent can be given tickets."), field="assignee")
    if assignee is not None and team is not None and not team.members.filter(pk=assignee.pk).exists():
        raise InvalidInput(
            _("%(user)s is not a member of %(team)s.") % {"user": assignee, "team": team}, field="assignee"
        )
    fields = ("assignee", "assigned_by_hand", *(("team",) if ticket.team_id != (team.pk if team else None) else ()))
    ticket.team = team
    ticket.assignee = assignee
    ticket.assigned_by_hand = True
    ticket_record_event(
        ticket=ticket,
        kind=EventKind.ASSIGNED,
        actor=actor,
        data={"team": team.name if team else None, "assignee": assignee.get_username() if assignee else None},
        now=now,
    )
    ticket_move(ticket=ticket, actor=actor, now=now, fields=fields)
    automation_event(event=TriggerEvent.TICKET_ASSIGNED, ticket=ticket, now=now)
    return ticket


def _change_field(
    ticket: Ticket,
    field: str,
    value: str,
    choices: type[models.TextChoices],
    event_kind: str,
    *,
    actor: Actor,
    now: datetime,
) -> Ticket:
    """A change of what routing rules and SLA policies match on: the ticket is routed again (unless a person
    assigned it by hand) and its SLA policy picked again."""
    if value not in choices.values:
        raise InvalidInput(_("Unknown value %(value)s.") % {"value": value}, field=field)
    ticket = ticket_lock(ticket.pk)
    previous = getattr(ticket, field)
    if previous == value:
        return ticket
    setattr(ticket, field, value)
    ticket_record_event(ticket=ticket, kind=event_kind, actor=actor, data={"from": previous, "to": value}, now=now)
    fields: tuple[str, ...] = (field,)
    if not ticket.assigned_by_hand:
        team = routing.route(ticket)
        if team is not None:
            assignee = routing.least_loaded_agent(team)
            if ticket.team_id != team.pk or ticket.assignee_id != (assignee.pk if assignee else None):
                ticket.team, ticket.assignee_id = team, assignee.pk if assignee else None
                fields = (field, "team", "assignee")
                ticket_record_event(
                    ticket=ticket,
                    kind=EventKind.ASSIGNED,
                    data={"team": team.name, "assignee": assignee.get_username() if assignee else None, "auto": True},
                    now=now,
                )
    ticket_move(ticket=ticket, actor=actor, now=now, repick_policy=True, fields=fields)
    if "assignee" in fields:
        automation_event(event=TriggerEvent.TICKET_ASSIGNED, ticket=ticket, now=now)
    return ticket


@transaction.atomic
def ticket_change_severity(
    *,
    ticket: Ticket,
    severity: str,
    user: AbstractUser | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> Ticket:
    return _change_field(
        ticket,
        "severity",
        severity,
        Severity,
        EventKind.SEVERITY_CHANGED,
        actor=actor or Actor(user=user),
        now=now or timezone.now(),
    )


@transaction.atomic
def ticket_change_category(
    *,
    ticket: Ticket,
    category: str,
    user: AbstractUser | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> Ticket:
    return _change_field(
        ticket,
        "category",
        category,
        Category,
        EventKind.CATEGORY_CHANGED,
        actor=actor or Actor(user=user),
        now=now or timezone.now(),
    )
