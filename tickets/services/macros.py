"""Macros (workspace.md): named lists of actions of the vocabulary (tickets.services.actions), personal, a team's or
global; supervisors keep team and global macros, each agent their own. Applying one runs all its actions in one
transaction, or none; `dry_run` says what would change and renders the reply, changing nothing."""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import InvalidInput, NotFound, NotPermitted
from tickets import roles
from tickets.models import Macro, MacroScope, Team, Ticket
from tickets.services import actions as vocabulary
from tickets.services.collision import ticket_check_seen
from tickets.services.events import Actor
from tickets.services.lifecycle import ticket_lock


def person_actions_validate(actions: Any) -> list[dict[str, Any]]:
    """A person's list of actions (a macro, a bulk action), checked by the action vocabulary (automation.md): 400
    naming the path (`actions.0.value`). Kept as given: the vocabulary checks them again when it applies them."""
    if not isinstance(actions, list) or not actions:
        raise InvalidInput(_("Give at least one action."), field="actions")
    vocabulary.actions_validate(actions)
    return [{"type": raw["type"], "value": raw.get("value")} for raw in actions]


def actions_permitted_check(*, actions: list[dict[str, Any]], ticket: Ticket, user: AbstractUser) -> None:
    """What a person may not do by hand they may not do through a macro or a bulk action either: agents hand
    tickets on within the ticket's team only (supervisors to any team), and tickets go to agents only."""
    supervisor = roles.is_supervisor(user)
    team_name = ticket.team.name if ticket.team_id else None
    for action in actions:
        if action["type"] == "assign_team" and not supervisor and action["value"] != team_name:
            raise NotPermitted(_("No such team, or you may not assign to it."), field="team")
        if action["type"] == "assign_agent" and action["value"] not in (
            vocabulary.LEAST_LOADED,
            vocabulary.TEAM_SUPERVISOR,
        ):
            assignee = get_user_model().objects.filter(username=action["value"], is_active=True).first()
            if assignee is None or not roles.is_agent(assignee):
                raise NotPermitted(_("Tickets go to agents only."), field="assignee")
            if not supervisor and not (ticket.team_id and ticket.team.members.filter(pk=assignee.pk).exists()):
                raise NotPermitted(_("No such member of the ticket's team."), field="assignee")


def actions_run(
    *,
    ticket: Ticket,
    actions: list[dict[str, Any]],
    user: AbstractUser,
    rule_name: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> vocabulary.ActionResult:
    """A person's checked actions on one ticket, all or none, through the vocabulary, after checking they may do
    them by hand. `dry_run`: done, then rolled back."""
    actions_permitted_check(actions=actions, ticket=ticket, user=user)
    return vocabulary.actions_apply(
        ticket=ticket, actions=actions, actor=Actor(user=user), rule_name=rule_name, dry_run=dry_run, now=now
    )


def _checked(*, user: AbstractUser, name: Any, scope: Any, team: Team | None, actions: Any) -> dict[str, Any]:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        raise InvalidInput(_("A name of 1 to 100 characters."), field="name")
    if scope not in MacroScope.values:
        raise InvalidInput(_("Unknown value %(value)s.") % {"value": scope}, field="scope")
    if scope != MacroScope.PERSONAL and not roles.is_supervisor(user):
        raise NotPermitted(_("Only supervisors keep team and global macros."), field="scope")
    if scope == MacroScope.TEAM and team is None:
        raise InvalidInput(_("A team macro names its team."), field="team")
    return {
        "name": name.strip(),
        "scope": scope,
        "team": team if scope == MacroScope.TEAM else None,
        "actions": person_actions_validate(actions),
    }


@transaction.atomic
def macro_create(
    *,
    user: AbstractUser,
    name: Any,
    actions: Any,
    scope: str = MacroScope.PERSONAL,
    team: Team | None = None,
    send_reply: bool = True,
    is_active: bool = True,
    position: int = 100,
) -> Macro:
    data = _checked(user=user, name=name, scope=scope, team=team, actions=actions)
    now = timezone.now()
    return Macro.objects.create(
        owner=user,
        send_reply=send_reply,
        is_active=is_active,
        position=position,
        created_at=now,
        updated_at=now,
        **data,
    )


def macro_may_change(user: AbstractUser, macro: Macro) -> bool:
    if macro.scope == MacroScope.PERSONAL:
        return macro.owner_id == user.pk
    return roles.is_supervisor(user)


@transaction.atomic
def macro_update(
    *,
    macro: Macro,
    user: AbstractUser,
    name: Any,
    actions: Any,
    scope: str = MacroScope.PERSONAL,
    team: Team | None = None,
    send_reply: bool = True,
    is_active: bool = True,
    position: int = 100,
) -> Macro:
    if not macro_may_change(user, macro):
        raise NotFound(_("No such macro, or not yours to change."))
    for field, value in _checked(user=user, name=name, scope=scope, team=team, actions=actions).items():
        setattr(macro, field, value)
    macro.send_reply, macro.is_active, macro.position = send_reply, is_active, position
    macro.updated_at = timezone.now()
    macro.save()
    return macro


@transaction.atomic
def macro_delete(*, macro: Macro, user: AbstractUser) -> None:
    if not macro_may_change(user, macro):
        raise NotFound(_("No such macro, or not yours to change."))
    macro.delete()


@transaction.atomic
def macro_apply(
    *,
    macro: Macro,
    ticket: Ticket,
    user: AbstractUser,
    dry_run: bool = False,
    without_reply: bool = False,
    seen_event_id: int | None = None,
    confirm: bool = False,
    now: datetime | None = None,
) -> vocabulary.ActionResult:
    """Apply the macro's actions to the ticket, all or none, as this agent (their permissions hold; the timeline
    names the macro). `without_reply` leaves out its reply (the desk puts the text in the reply box instead);
    `dry_run` changes nothing and returns what would change, the reply rendered for this ticket. Like a reply, it is
    held (TicketChanged) when the customer or someone else wrote after `seen_event_id`, unless `confirm`."""
    actions = _actions_of(macro, without_reply=without_reply)
    if not actions:
        return vocabulary.ActionResult(ticket=ticket, dry_run=dry_run)
    with transaction.atomic():
        if not dry_run:
            # Under the ticket's lock, so that nothing new slips in between the check and the actions.
            ticket_check_seen(ticket=ticket_lock(ticket.pk), user=user, seen_event_id=seen_event_id, confirm=confirm)
        return actions_run(
            ticket=ticket,
            actions=actions,
            user=user,
            rule_name=_("Macro: %(name)s") % {"name": macro.name},
            dry_run=dry_run,
            now=now,
        )


def _actions_of(macro: Macro, *, without_reply: bool) -> list[dict[str, Any]]:
    return [action for action in macro.actions if not (without_reply and action["type"] == "reply")]


def macro_bulk_actions(macro: Macro) -> list[dict[str, Any]]:
    """The actions a macro applies to many tickets at once: its reply only if the macro sends it (a reply meant for
    the reply box has no box to go to)."""
    return _actions_of(macro, without_reply=not macro.send_reply)


def macro_reply_text(*, macro: Macro, ticket: Ticket, user: AbstractUser) -> str | None:
    """The macro's reply rendered for this ticket (in the customer's language), without applying anything."""
    if not any(action["type"] == "reply" for action in macro.actions):
        return None
    reply_only = [action for action in macro.actions if action["type"] == "reply"]
    return actions_run(ticket=ticket, actions=reply_only, user=user, dry_run=True).reply
