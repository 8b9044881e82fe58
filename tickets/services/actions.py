"""The action vocabulary of automation.md, shared by macros, triggers, time rules and SLA escalation levels.

- `actions_validate(actions)` checks a list of `{"type", "value"}` as the desk API receives it and returns typed
  `Action`s; anything wrong raises InvalidInput (400) with `errors` naming the path (`actions.1.value`), so a rule
  or macro with a bad action is never saved.
- `actions_apply(ticket=, actions=, actor=, ...)` runs them on one ticket, in order, each through the service a
  person's action goes through (the mover, messages, assignment, webhooks), so events, SLA clocks, webhooks and the
  state machine hold; with `rule_name`, an `automation` event names the rule on the timeline first. Everything
  happens in a savepoint inside the caller's transaction: an action that fails (a team deleted since the rule was
  saved, a move the state machine refuses) raises and none of the rule's actions stick. `dry_run` runs the same
  code and rolls the savepoint back: what would change, nothing changed.

Types and values (automation.md, "Shapes"):

| type | value |
| --- | --- |
| reply, note | text with the canned-response placeholders, or {"en": ..., "zh-hans": ...} |
| set_status, set_severity, set_category | the enum value |
| assign_team | a team name |
| assign_agent | a username, "least_loaded" (in the ticket's team) or "team_supervisor" (the team's, least loaded) |
| add_tags, remove_tags | a list of tag names |
| notify | {"users": [usernames], "teams": [names], "supervisors": bool, "chat": channel name, "text": optional} |
| send_webhook | {} (the storefront's webhook, event `ticket.automation`, with the rule's name) |
"""

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.errors import InvalidInput, NotPermitted
from tickets.models import (
    MESSAGE_BODY_MAX,
    Category,
    ChatChannel,
    EventKind,
    Severity,
    Status,
    Team,
    Ticket,
)
from tickets.roles import SUPERVISORS, is_agent
from tickets.selectors import tickets_visible_to
from tickets.services import routing
from tickets.services.assignment import ticket_assign, ticket_change_category, ticket_change_severity
from tickets.services.chat import chat_post, ticket_link
from tickets.services.events import Actor, ticket_record_event
from tickets.services.lifecycle import ticket_lock, ticket_move
from tickets.services.messages import placeholders_fill, ticket_add_note, ticket_reply
from tickets.services.notify import staff_notify
from tickets.services.tags import tags_validate, ticket_tags_change
from tickets.services.webhooks import ticket_ordering_key, ticket_ref, webhook_enqueue

LEAST_LOADED = "least_loaded"
TEAM_SUPERVISOR = "team_supervisor"
TEXT_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
ACTION_TYPES = (
    "reply",
    "note",
    "set_status",
    "set_severity",
    "set_category",
    "assign_team",
    "assign_agent",
    "add_tags",
    "remove_tags",
    "notify",
    "send_webhook",
)
_ENUMS = {"set_status": Status, "set_severity": Severity, "set_category": Category}


@dataclass(frozen=True)
class Action:
    """One checked action. `value` is normalized: a text action's value is a dict language -> text; notify's is a
    dict with the keys users, teams, supervisors, chat, text."""

    type: str
    value: Any

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "value": self.value}


@dataclass
class ActionResult:
    """What applying the actions did (or, with dry_run, would do): the changes in order, the reply and the note
    as rendered for this ticket."""

    ticket: Ticket
    changes: list[dict[str, Any]] = field(default_factory=list)
    reply: str | None = None
    note: str | None = None
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"changes": self.changes, "reply": self.reply, "note": self.note, "dry_run": self.dry_run}


def _error(path: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors={path: [message]})


def _text_value(value: Any, path: str) -> dict[str, str]:
    if isinstance(value, str):
        if not value.strip():
            raise _error(path, _("Write the text."))
        _check_length(value, path)
        return {"": value}
    if isinstance(value, dict) and value:
        texts: dict[str, str] = {}
        for language, text in value.items():
            if language not in TEXT_LANGUAGES:
                raise _error(f"{path}.{language}", _("Unknown language %(value)s.") % {"value": language})
            if not isinstance(text, str) or not text.strip():
                raise _error(f"{path}.{language}", _("Write the text."))
            _check_length(text, f"{path}.{language}")
            texts[language] = text
        return texts
    raise _error(path, _('A text, or texts per language ({"en": ..., "zh-hans": ...}).'))


def _check_length(text: str, path: str) -> None:
    # The limit of every message (tickets.services.messages); placeholders grow a little when filled, and the
    # message service refuses the result if it then exceeds it.
    if len(text) > MESSAGE_BODY_MAX:
        raise _error(
            path,
            _("Ensure this field has no more than %(limit)s characters.") % {"limit": f"{MESSAGE_BODY_MAX:,}"},
        )


def _names(value: Any, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise _error(path, _("A list of names."))
    return list(dict.fromkeys(value))


def _no_team(name: str) -> str:
    return _("There is no team %(name)s.") % {"name": name}


def _no_user(name: str) -> str:
    return _("There is no active staff user %(name)s.") % {"name": name}


def _check_users(names: list[str], path: str) -> None:
    known = set(get_user_model().objects.filter(username__in=names, is_active=True).values_list("username", flat=True))
    for index, name in enumerate(names):
        if name not in known:
            raise _error(f"{path}.{index}", _no_user(name))


def _no_chat(name: str) -> str:
    return _("There is no active chat channel %(name)s.") % {"name": name}


def _validate_one(raw: Any, path: str, check: bool) -> Action:
    if not isinstance(raw, dict):
        raise _error(path, _('An action is an object {"type": ..., "value": ...}.'))
    unknown = set(raw) - {"type", "value"}
    if unknown:
        key = sorted(unknown)[0]
        raise _error(f"{path}.{key}", _("Unknown key %(key)s.") % {"key": key})
    kind = raw.get("type")
    if kind not in ACTION_TYPES:
        raise _error(f"{path}.type", _("Unknown action %(value)s.") % {"value": kind})
    value = raw.get("value")
    vpath = f"{path}.value"
    if kind in ("reply", "note"):
        return Action(kind, _text_value(value, vpath))
    if kind in _ENUMS:
        if value not in _ENUMS[kind].values:
            raise _error(vpath, _("Unknown value %(value)s.") % {"value": value})
        return Action(kind, value)
    if kind == "assign_team":
        if not isinstance(value, str) or not value:
            raise _error(vpath, _("A team name."))
        if check and not Team.objects.filter(name=value).exists():
            raise _error(vpath, _no_team(value))
        return Action(kind, value)
    if kind == "assign_agent":
        if not isinstance(value, str) or not value:
            raise _error(vpath, _('A username, "least_loaded" or "team_supervisor".'))
        if (
            check
            and value not in (LEAST_LOADED, TEAM_SUPERVISOR)
            and not get_user_model().objects.filter(username=value, is_active=True).exists()
        ):
            raise _error(vpath, _no_user(value))
        return Action(kind, value)
    if kind in ("add_tags", "remove_tags"):
        try:
            names = tags_validate(value if isinstance(value, list) else "")
        except InvalidInput as error:
            raise _error(vpath, error.message) from error
        if not names:
            raise _error(vpath, _("Name at least one tag."))
        return Action(kind, names)
    if kind == "notify":
        if not isinstance(value, dict):
            raise _error(vpath, _('Whom to notify: {"users": [...], "teams": [...], "chat": "..."}.'))
        unknown = set(value) - {"users", "teams", "supervisors", "chat", "text"}
        if unknown:
            key = sorted(unknown)[0]
            raise _error(f"{vpath}.{key}", _("Unknown key %(key)s.") % {"key": key})
        users = _names(value.get("users"), f"{vpath}.users")
        teams = _names(value.get("teams"), f"{vpath}.teams")
        if check:
            _check_users(users, f"{vpath}.users")
            known = set(Team.objects.filter(name__in=teams).values_list("name", flat=True))
            for index, name in enumerate(teams):
                if name not in known:
                    raise _error(f"{vpath}.teams.{index}", _no_team(name))
        supervisors = value.get("supervisors", False)
        if not isinstance(supervisors, bool):
            raise _error(f"{vpath}.supervisors", _("true or false."))
        chat = value.get("chat") or ""
        if not isinstance(chat, str):
            raise _error(f"{vpath}.chat", _("A chat channel's name."))
        if check and chat and not ChatChannel.objects.filter(name=chat, is_active=True).exists():
            raise _error(f"{vpath}.chat", _no_chat(chat))
        text = _text_value(value["text"], f"{vpath}.text") if value.get("text") is not None else {}
        if not (users or teams or supervisors or chat):
            raise _error(vpath, _("Name someone to notify: users, teams, supervisors or a chat channel."))
        return Action(kind, {"users": users, "teams": teams, "supervisors": supervisors, "chat": chat, "text": text})
    # send_webhook
    if value not in (None, {}):
        raise _error(vpath, _("send_webhook takes no value ({})."))
    return Action(kind, {})


def actions_validate(actions: Any, *, path: str = "actions", check_references: bool = True) -> list[Action]:
    """Check a list of actions as the API receives it; InvalidInput naming the path of the first thing wrong.
    `check_references=False` skips the database (the teams, users and chat channels named exist): for rules read
    back from their cache, checked when they were saved and failing cleanly if a name has gone since."""
    if isinstance(actions, list) and all(isinstance(action, Action) for action in actions):
        return list(actions)
    if not isinstance(actions, list):
        raise _error(path, _("A list of actions."))
    return [_validate_one(raw, f"{path}.{index}", check_references) for index, raw in enumerate(actions)]


def text_for(texts: dict[str, str], language: str) -> str:
    """The text in this language, else the one without a language, else English, else any."""
    for key in (language, "", "en"):
        if texts.get(key):
            return texts[key]
    return next(iter(texts.values()))


# While set, the services' automation events start no triggers: a dry run (the desk's "test against a ticket") shows
# what one rule would do, and rolls everything back anyway.
events_suppressed: ContextVar[bool] = ContextVar("automation_events_suppressed", default=False)


class _DryRun(Exception):
    def __init__(self, result: ActionResult):
        self.result = result


def actions_apply(
    *,
    ticket: Ticket,
    actions: Sequence[Action] | list[dict[str, Any]],
    actor: Actor,
    language: str | None = None,
    rule_name: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ActionResult:
    """Apply the actions to the ticket in order, in a savepoint of the caller's transaction (all or none).

    `actor`: the person applying a macro (their permissions hold: agents only), or SYSTEM for a rule. `language`:
    which text of a reply or note (default: the customer's, i.e. the storefront's). `rule_name`: the rule or macro,
    named on the timeline. `dry_run`: everything is done and then rolled back; the result says what would change.
    Raises ApplicationError (nothing kept) when an action cannot be done."""
    checked = actions_validate(list(actions))
    now = now or timezone.now()
    if actor.user is not None and not is_agent(actor.user):
        raise NotPermitted(_("Only agents and supervisors may act on tickets."))

    token = events_suppressed.set(True) if dry_run else None
    try:
        with transaction.atomic():
            result = _apply_all(ticket, checked, actor=actor, language=language, rule_name=rule_name, now=now)
            if dry_run:
                raise _DryRun(result)
    except _DryRun as rolled_back:
        rolled_back.result.dry_run = True
        return rolled_back.result
    finally:
        if token is not None:
            events_suppressed.reset(token)
    return result


def _apply_all(
    ticket: Ticket, actions: list[Action], *, actor: Actor, language: str | None, rule_name: str | None, now: datetime
) -> ActionResult:
    ticket = ticket_lock(ticket.pk)
    if actor.user is not None and not may_see(actor.user, ticket):
        raise NotPermitted(_("You may not act on this ticket."))
    language = language or ticket.storefront.language
    if rule_name:
        ticket_record_event(
            ticket=ticket,
            kind=EventKind.AUTOMATION,
            actor=actor,
            data={"rule": rule_name, "actions": [action.type for action in actions]},
            now=now,
        )
    result = ActionResult(ticket=ticket)
    for index, action in enumerate(actions):
        ctx = _Context(result, actor, language, rule_name, now, f"actions.{index}.value")
        try:
            ticket = _APPLY[action.type](ticket, action.value, ctx)
        except InvalidInput as error:
            # A service's refusal names its own field (team, assignee, body): name the action that asked for it.
            paths = list(error.errors or {})
            if paths and all(path.startswith("actions.") for path in paths):
                raise
            texts = [text for messages in (error.errors or {"": [str(error.message)]}).values() for text in messages]
            raise InvalidInput(error.message, errors={ctx.path: texts}) from error
        result.ticket = ticket
    return result


def may_see(user: Any, ticket: Ticket) -> bool:
    """The desk's visibility rule for one ticket: the one rule (tickets_visible_to), not a second copy of it."""
    return tickets_visible_to(user).filter(pk=ticket.pk).exists()


@dataclass
class _Context:
    result: ActionResult
    actor: Actor
    language: str
    rule: str | None
    now: datetime
    path: str


# An action's code: it changes the ticket (or, dry, says what it would change) and notes that in ctx.result.
_Apply = Callable[[Ticket, Any, _Context], Ticket]


def _message(kind: str, write: Callable[..., Any]) -> _Apply:
    """reply, note: the text in the run's language (the storefront's), placeholders filled, written by its service."""

    def apply(ticket: Ticket, value: dict, ctx: _Context) -> Ticket:
        text = placeholders_fill(text_for(value, ctx.language), ticket=ticket, agent=ctx.actor.user)
        message = write(ticket=ticket, body=text, actor=ctx.actor, now=ctx.now)
        setattr(ctx.result, kind, message.body)
        ctx.result.changes.append({"type": kind, "text": message.body})
        return message.ticket

    return apply


def _set_status(ticket: Ticket, value: str, ctx: "_Context") -> Ticket:
    previous = ticket.status
    ticket_move(ticket=ticket, actor=ctx.actor, now=ctx.now, status=value, reason="automation" if ctx.rule else "")
    if previous != ticket.status:
        ctx.result.changes.append({"type": "set_status", "from": previous, "to": ticket.status})
    return ticket


def _set_field(field: str, change: Callable[..., Ticket]) -> _Apply:
    """set_severity, set_category: the field changed through its service; the result notes a move that happened."""

    def apply(ticket: Ticket, value: str, ctx: _Context) -> Ticket:
        previous = getattr(ticket, field)
        ticket = change(ticket=ticket, **{field: value}, actor=ctx.actor, now=ctx.now)
        if previous != getattr(ticket, field):
            ctx.result.changes.append({"type": f"set_{field}", "from": previous, "to": getattr(ticket, field)})
        return ticket

    return apply


def _team(name: str, path: str) -> Team:
    team = Team.objects.filter(name=name).first()
    if team is None:
        # Deleted since the rule was saved: the rule fails (and its trigger is skipped with an alert).
        raise _error(path, _no_team(name))
    return team


def _user(pk: int | None) -> Any:
    return get_user_model().objects.get(pk=pk) if pk is not None else None


def _names_of(ticket: Ticket) -> tuple[str | None, str | None]:
    team = ticket.team.name if ticket.team_id else None
    return team, ticket.assignee.get_username() if ticket.assignee_id else None


def _assign_team(ticket: Ticket, value: str, ctx: "_Context") -> Ticket:
    team = _team(value, ctx.path)
    if ticket.team_id == team.pk:
        return ticket
    before = _names_of(ticket)
    # The assignee stays when they belong to the new team; else the team's least-loaded agent takes it, as routing
    # would have chosen.
    keep = ticket.assignee_id is not None and team.members.filter(pk=ticket.assignee_id).exists()
    if keep:
        assignee = ticket.assignee
    else:
        agent = routing.least_loaded_agent(team)
        assignee = _user(agent.pk if agent else None)
    ticket = ticket_assign(ticket=ticket, team=team, assignee=assignee, actor=ctx.actor, now=ctx.now)
    after = _names_of(ticket)
    ctx.result.changes.append({"type": "assign_team", "from": before[0], "to": after[0], "assignee": after[1]})
    return ticket


def _assign_agent(ticket: Ticket, value: str, ctx: "_Context") -> Ticket:
    before = _names_of(ticket)
    if value == LEAST_LOADED:
        if ticket.team_id is None:
            return ticket
        agent = routing.least_loaded_agent(ticket.team)
        if agent is None or agent.pk == ticket.assignee_id:
            return ticket
        assignee, team = _user(agent.pk), ticket.team
    elif value == TEAM_SUPERVISOR:
        supervisor = routing.team_supervisor(ticket.team) if ticket.team_id else None
        if supervisor is None or supervisor == ticket.assignee_id:
            return ticket
        assignee, team = _user(supervisor), ticket.team
    else:
        assignee = get_user_model().objects.filter(username=value, is_active=True).first()
        if assignee is None:
            raise _error(ctx.path, _no_user(value))
        if assignee.pk == ticket.assignee_id:
            return ticket
        team = ticket.team
        if team is None or not team.members.filter(pk=assignee.pk).exists():
            # Not in the ticket's team: the ticket follows them to their (first) team.
            team = assignee.teams.order_by("name").first()
    ticket = ticket_assign(ticket=ticket, team=team, assignee=assignee, actor=ctx.actor, now=ctx.now)
    after = _names_of(ticket)
    ctx.result.changes.append({"type": "assign_agent", "from": before[1], "to": after[1], "team": after[0]})
    return ticket


def _add_tags(ticket: Ticket, value: list, ctx: "_Context") -> Ticket:
    before = set(ticket.tags.values_list("name", flat=True))
    after = ticket_tags_change(ticket=ticket, actor=ctx.actor, add=value, now=ctx.now)
    added = sorted(set(after) - before)
    if added:
        ctx.result.changes.append({"type": "add_tags", "added": added})
    return ticket


def _remove_tags(ticket: Ticket, value: list, ctx: "_Context") -> Ticket:
    before = set(ticket.tags.values_list("name", flat=True))
    after = ticket_tags_change(ticket=ticket, actor=ctx.actor, remove=value, now=ctx.now)
    removed = sorted(before - set(after))
    if removed:
        ctx.result.changes.append({"type": "remove_tags", "removed": removed})
    return ticket


def _notify(ticket: Ticket, value: dict, ctx: "_Context") -> Ticket:
    user_model = get_user_model()
    recipients = set(
        user_model.objects.filter(username__in=value["users"], is_active=True).values_list("pk", flat=True)
    )
    if value["teams"]:
        teams = dict(Team.objects.filter(name__in=value["teams"]).values_list("name", "pk"))
        for name in value["teams"]:
            if name not in teams:
                raise _error(f"{ctx.path}.teams", _no_team(name))
        recipients |= set(
            user_model.objects.filter(teams__pk__in=teams.values(), is_active=True).values_list("pk", flat=True)
        )
    if value["supervisors"]:
        supervisors = user_model.objects.filter(groups__name=SUPERVISORS, is_active=True)
        if ticket.team_id is not None:
            supervisors = supervisors.filter(teams__pk=ticket.team_id)
        recipients |= set(supervisors.values_list("pk", flat=True))

    def compose(in_language: str) -> tuple[str, str]:
        with translation.override(in_language):
            title = (
                _("%(rule)s: %(reference)s") % {"rule": ctx.rule, "reference": ticket.reference}
                if ctx.rule
                else ticket.reference
            )
            if value["text"]:
                text = placeholders_fill(text_for(value["text"], in_language), ticket=ticket, agent=ctx.actor.user)
            else:
                text = _("%(reference)s %(subject)s (status: %(status)s, severity: %(severity)s)") % {
                    "reference": ticket.reference,
                    "subject": ticket.subject,
                    "status": Status(ticket.status).label,
                    "severity": Severity(ticket.severity).label,
                }
        return title, text

    title, text = compose(settings.LANGUAGE_CODE)
    notified = staff_notify(user_ids=recipients, text=f"{title} — {text}"[:500], ticket=ticket, now=ctx.now)
    change: dict[str, Any] = {"type": "notify", "users": notified}
    if value["chat"]:
        channel = ChatChannel.objects.filter(name=value["chat"], is_active=True).first()
        if channel is None:
            raise _error(f"{ctx.path}.chat", _no_chat(value["chat"]))
        title, text = compose(channel.language)
        chat_post(channel=channel, title=title, text=text, link=ticket_link(ticket), ticket=ticket, now=ctx.now)
        change["chat"] = channel.name
    ctx.result.changes.append(change)
    return ticket


def _send_webhook(ticket: Ticket, value: dict, ctx: "_Context") -> Ticket:
    delivery = webhook_enqueue(
        storefront=ticket.storefront,
        event_type="ticket.automation",
        data={"ticket": ticket_ref(ticket), "rule": ctx.rule or ""},
        ordering_key=ticket_ordering_key(ticket),
        now=ctx.now,
    )
    ctx.result.changes.append({"type": "send_webhook", "sent": delivery is not None})
    return ticket


_APPLY = {
    "reply": _message("reply", ticket_reply),
    "note": _message("note", ticket_add_note),
    "set_status": _set_status,
    "set_severity": _set_field("severity", ticket_change_severity),
    "set_category": _set_field("category", ticket_change_category),
    "assign_team": _assign_team,
    "assign_agent": _assign_agent,
    "add_tags": _add_tags,
    "remove_tags": _remove_tags,
    "notify": _notify,
    "send_webhook": _send_webhook,
}
