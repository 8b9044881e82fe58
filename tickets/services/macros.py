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
from tickets.services.events import Actor
from tickets.services.tags import tags_validate, ticket_tags_change

_TAG_TYPES = ("add_tags", "remove_tags")


def _vocabulary_has(kind: Any) -> bool:
    return kind in vocabulary.ACTION_TYPES


def person_actions_validate(actions: Any, *, path: str = "actions") -> list[dict[str, Any]]:
    """A person's list of actions (a macro, a bulk action), checked by the action vocabulary (automation.md): 400
    naming the path (`actions.0.value`); returned as the vocabulary's `{"type", "value"}` JSON, as they are kept."""
    if not isinstance(actions, list) or not actions:
        raise InvalidInput(_("Give at least one action."), errors={path: [_("Give at least one action.")]})
    checked = []
    for index, raw in enumerate(actions):
        at = f"{path}.{index}"
        kind = raw.get("type") if isinstance(raw, dict) else None
        if kind in _TAG_TYPES and not _vocabulary_has(kind):
            # Tag actions until the vocabulary has them (tickets.services.tags does the work either way).
            if set(raw) != {"type", "value"}:
                message = _('An action is {"type": ..., "value": ...}.')
                raise InvalidInput(message, errors={at: [message]})
            try:
                checked.append({"type": kind, "value": tags_validate(raw["value"])})
            except InvalidInput as exc:
                raise InvalidInput(exc.message, errors={f"{at}.value": [str(exc.message)]}) from None
            continue
        try:
            vocabulary.actions_validate([raw])
        except InvalidInput as exc:
            errors = {key.replace("actions.0", at, 1): value for key, value in (exc.errors or {}).items()}
            raise InvalidInput(exc.message, errors=errors or {at: [str(exc.message)]}) from None
        # Kept as given (checked): the vocabulary checks it again when it applies it.
        checked.append({"type": raw["type"], "value": raw.get("value")})
    return checked


def actions_permitted_check(*, actions: list[dict[str, Any]], ticket: Ticket, user: AbstractUser) -> None:
    """What a person may not do by hand they may not do through a macro or a bulk action either: agents hand
    tickets on within the ticket's team only (supervisors to any team), and tickets go to agents only."""
    supervisor = roles.is_supervisor(user)
    team_name = ticket.team.name if ticket.team_id else None
    for action in actions:
        if action["type"] == "assign_team" and not supervisor and action["value"] != team_name:
            raise NotPermitted(_("No such team, or you may not assign to it."), field="team")
        if action["type"] == "assign_agent" and action["value"] != vocabulary.LEAST_LOADED:
            assignee = get_user_model().objects.filter(username=action["value"], is_active=True).first()
            if assignee is None or not roles.is_agent(assignee):
                raise NotPermitted(_("Tickets go to agents only."), field="assignee")
            if not supervisor and not (ticket.team_id and ticket.team.members.filter(pk=assignee.pk).exists()):
                raise NotPermitted(_("No such member of the ticket's team."), field="assignee")


class _Rollback(Exception):
    def __init__(self, result: vocabulary.ActionResult) -> None:
        self.result = result


def actions_run(
    *,
    ticket: Ticket,
    actions: list[dict[str, Any]],
    user: AbstractUser,
    rule_name: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> vocabulary.ActionResult:
    """A person's checked actions on one ticket, all or none, through the vocabulary (`vocabulary.actions_apply`);
    tag actions through tickets.services.tags while the vocabulary has none. `dry_run`: done, then rolled back."""
    now = now or timezone.now()
    actions_permitted_check(actions=actions, ticket=ticket, user=user)
    actor = Actor(user=user)
    try:
        with transaction.atomic():
            result = vocabulary.ActionResult(ticket=ticket)
            pending: list[dict[str, Any]] = []
            for action in [*actions, None]:
                if action is not None and not (action["type"] in _TAG_TYPES and not _vocabulary_has(action["type"])):
                    pending.append(action)
                    continue
                if pending:
                    done = vocabulary.actions_apply(
                        ticket=ticket, actions=pending, actor=actor, rule_name=rule_name, now=now
                    )
                    rule_name = None  # the timeline names the macro once
                    result.changes += done.changes
                    result.reply, result.note = done.reply or result.reply, done.note or result.note
                    result.ticket = ticket = done.ticket
                    pending = []
                if action is not None:
                    add = action["value"] if action["type"] == "add_tags" else ()
                    remove = action["value"] if action["type"] == "remove_tags" else ()
                    names = ticket_tags_change(ticket=ticket, actor=actor, add=add, remove=remove, now=now)
                    result.changes.append({"type": action["type"], "value": action["value"], "tags": names})
            if dry_run:
                raise _Rollback(result)
    except _Rollback as rolled_back:
        rolled_back.result.dry_run = True
        return rolled_back.result
    return result


def _checked(*, user: AbstractUser, name: Any, scope: Any, team: Team | None, actions: Any) -> dict[str, Any]:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        raise InvalidInput(_("A name of 1 to 100 characters."), field="name")
    if scope not in MacroScope.values:
        raise InvalidInput(_("Unknown value %(value)s.") % {"value": scope}, field="scope")
    if scope != MacroScope.PERSONAL and not roles.is_supervisor(user):
        raise NotPermitted(_("Only supervisors keep team and global macros."), field="scope")
    if scope == MacroScope.TEAM and team is None:
        raise InvalidInput(_("A team macro names its team."), field="team")
    checked = person_actions_validate(actions)
    return {
        "name": name.strip(),
        "scope": scope,
        "team": team if scope == MacroScope.TEAM else None,
        "actions": checked,
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
    now: datetime | None = None,
) -> vocabulary.ActionResult:
    """Apply the macro's actions to the ticket, all or none, as this agent (their permissions hold; the timeline
    names the macro). `without_reply` leaves out its reply (the desk puts the text in the reply box instead);
    `dry_run` changes nothing and returns what would change, the reply rendered for this ticket."""
    actions = [action for action in macro.actions if not (without_reply and action["type"] == "reply")]
    if not actions:
        return vocabulary.ActionResult(ticket=ticket, dry_run=dry_run)
    return actions_run(
        ticket=ticket,
        actions=actions,
        user=user,
        rule_name=_("Macro: %(name)s") % {"name": macro.name},
        dry_run=dry_run,
        now=now,
    )


def macro_reply_text(*, macro: Macro, ticket: Ticket, user: AbstractUser) -> str | None:
    """The macro's reply rendered for this ticket (in the customer's language), without applying anything."""
    if not any(action["type"] == "reply" for action in macro.actions):
        return None
    reply_only = [action for action in macro.actions if action["type"] == "reply"]
    return actions_run(ticket=ticket, actions=reply_only, user=user, dry_run=True).reply
