"""Automation rules (automation.md): their conditions, triggers run on events, and time rules run on elapsed time.

Conditions are `{"all": [...], "any": [...]}` of `{"field", "op", "value"}` over the dotted fields of `FIELDS`. One
table says what each field is, which ops it takes, how it is read from a ticket (triggers, in memory) and how it is
selected in SQL (time rules, set-based): the two readings cannot drift apart.

Triggers: a service that changes a ticket calls `automation_event(event=..., ticket=...)` inside its transaction
(returns and complaints call it for theirs: `tickets` never imports them). The active triggers come from the
settings cache and are matched in memory, so a change no trigger matches costs no query. Matching triggers run in
position order, each seeing what the earlier ones changed, each at most once per event, each in a savepoint: one
that fails is skipped (none of its actions stick, the person's change goes through) with an alert to supervisors,
and after AUTOMATION_MAX_FAILURES failures in a row it is switched off with an alert. A trigger's changes raise
events in turn; they are handled after the current event, breadth first; no trigger acts twice for one original
event, and a chain deeper than MAX_DEPTH is cut; either cut raises an alert naming the triggers in the chain.

Time rules: `time_rules_run(now=...)` selects, per rule, the tickets matching its conditions now that it has not yet
fired on in their current state (status and since when), in SQL, and fires on each under the ticket's row lock; the
unique (rule, ticket, state_since) row makes it exactly once with several workers at the same moment.
"""

import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError, InvalidInput
from tickets.business_time import subtract_working_time
from tickets.models import (
    BusinessCalendar,
    Category,
    Channel,
    Message,
    MessageKind,
    Severity,
    Status,
    Ticket,
    TimeRule,
    TimeRuleFiring,
    Trigger,
    TriggerEvent,
    TriggerFiring,
)
from tickets.services.notify import supervisors_alert
from tickets.settings_cache import cached, settings_changed

logger = logging.getLogger(__name__)

MAX_DEPTH = 5
OPS = ("is", "is_not", "in", "not_in", "contains", "not_contains", "gt", "lt")
EQ = ("is", "is_not", "in", "not_in")
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


@dataclass(frozen=True)
class Field:
    """A condition field: its kind (how values are checked and compared), the ops it takes, its choices, and its
    ORM path for time rules (None: triggers only, e.g. what a return's event tells)."""

    kind: str
    ops: tuple[str, ...]
    choices: tuple[str, ...] = ()
    orm: str | None = None


FIELDS: dict[str, Field] = {
    "ticket.status": Field("enum", EQ, tuple(Status.values), "status"),
    "ticket.severity": Field("enum", EQ, tuple(Severity.values), "severity"),
    "ticket.category": Field("enum", EQ, tuple(Category.values), "category"),
    "ticket.channel": Field("enum", EQ, tuple(Channel.values), "channel"),
    "ticket.team": Field("name", EQ, (), "team__name"),
    "ticket.assignee": Field("name", EQ, (), "assignee__username"),
    "ticket.storefront": Field("name", EQ, (), "storefront__name"),
    "ticket.subject": Field("text", ("is", "is_not", "contains", "not_contains"), (), "subject"),
    "ticket.body": Field("text", ("contains", "not_contains"), (), "body"),
    "customer.language": Field("enum", EQ, LANGUAGES, "storefront__language"),
    "order.amount": Field("number", ("is", "is_not", "gt", "lt")),
    "order.days_since_delivery": Field("number", ("is", "is_not", "gt", "lt")),
    "return.reason": Field("string", EQ),
    "return.resolution": Field("string", EQ),
    "return.outcome": Field("string", EQ),
    "complaint.category": Field("string", EQ),
    "complaint.severity": Field("string", EQ),
    "time.business_hours": Field("bool", ("is", "is_not"), (), "time"),
    "ticket.tags": Field("tags", ("contains", "not_contains", "in", "not_in"), (), "tags__name"),
}

# Time rules only: hours since an instant of the ticket, in calendar hours or in a business calendar's hours.
HOURS_SINCE = {
    "hours_since.created": "created_at",
    "hours_since.status_changed": "status_changed_at",
    "hours_since.customer_replied": "customer_replied_at",
    "hours_since.agent_replied": "agent_replied_at",
    "hours_since.pending_since": "pending_since",
}


# --- validation ---------------------------------------------------------------------------------------------------


def _error(path: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors={path: [message]})


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)) if isinstance(value, (int, float, str, Decimal)) else None
    except InvalidOperation:
        return None


def _check_value(spec: Field, op: str, value: Any, path: str) -> None:
    many = op in ("in", "not_in")
    values = value if many else [value]
    if many and (not isinstance(value, list) or not value):
        raise _error(path, _("A list of values."))
    for item in values:
        if spec.kind == "enum" and item not in spec.choices:
            raise _error(path, _("Unknown value %(value)s.") % {"value": item})
        if spec.kind in ("name", "string") and not (item is None or (isinstance(item, str) and item)):
            raise _error(path, _("A name."))
        if spec.kind in ("text", "tags") and not (isinstance(item, str) and item.strip()):
            raise _error(path, _("Write the text."))
        if spec.kind == "number" and _number(item) is None:
            raise _error(path, _("A number."))
        if spec.kind == "bool" and not isinstance(item, bool):
            raise _error(path, _("true or false."))


def _check_one(raw: Any, path: str, *, time_rule: bool) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _error(path, _('A condition is an object {"field": ..., "op": ..., "value": ...}.'))
    name = raw.get("field")
    if not isinstance(name, str):
        raise _error(f"{path}.field", _("Unknown field %(value)s.") % {"value": name})
    hours = name in HOURS_SINCE
    allowed_keys = {"field", "op", "value", *(("business", "calendar") if hours else ())}
    unknown = set(raw) - allowed_keys
    if unknown:
        key = sorted(unknown)[0]
        raise _error(f"{path}.{key}", _("Unknown key %(key)s.") % {"key": key})
    if hours and not time_rule:
        raise _error(f"{path}.field", _("hours_since conditions are for time rules."))
    if not hours and name not in FIELDS:
        raise _error(f"{path}.field", _("Unknown field %(value)s.") % {"value": name})
    if time_rule and not hours and FIELDS[name].orm is None:
        raise _error(f"{path}.field", _("%(value)s is known only when an event tells it.") % {"value": name})
    op = raw.get("op")
    ops = ("gt", "lt") if hours else FIELDS[name].ops
    if op not in ops:
        raise _error(f"{path}.op", _("Unknown op %(value)s for this field.") % {"value": op})
    if hours:
        number = _number(raw.get("value"))
        if number is None or number < 0:
            raise _error(f"{path}.value", _("A number of hours."))
        if not isinstance(raw.get("business", False), bool):
            raise _error(f"{path}.business", _("true or false."))
        calendar = raw.get("calendar")
        if calendar is not None and (
            not isinstance(calendar, str) or not BusinessCalendar.objects.filter(name=calendar).exists()
        ):
            raise _error(f"{path}.calendar", _("There is no business calendar %(name)s.") % {"name": calendar})
    else:
        _check_value(FIELDS[name], op, raw.get("value"), f"{path}.value")
    return dict(raw)


def conditions_validate(conditions: Any, *, time_rule: bool = False, path: str = "conditions") -> dict[str, list]:
    """Check conditions as the API receives them; InvalidInput naming the path (`conditions.all.0.field`)."""
    if conditions in (None, {}):
        return {"all": [], "any": []}
    if not isinstance(conditions, dict):
        raise _error(path, _('Conditions are {"all": [...], "any": [...]}.'))
    unknown = set(conditions) - {"all", "any"}
    if unknown:
        key = sorted(unknown)[0]
        raise _error(f"{path}.{key}", _("Unknown key %(key)s.") % {"key": key})
    checked: dict[str, list] = {}
    for key in ("all", "any"):
        items = conditions.get(key) or []
        if not isinstance(items, list):
            raise _error(f"{path}.{key}", _("A list of conditions."))
        checked[key] = [_check_one(item, f"{path}.{key}.{i}", time_rule=time_rule) for i, item in enumerate(items)]
    return checked


# --- matching in memory (triggers) --------------------------------------------------------------------------------


def default_calendar() -> BusinessCalendar | None:
    return (
        BusinessCalendar.objects.filter(name=settings.AUTOMATION_DEFAULT_CALENDAR).first()
        or BusinessCalendar.objects.order_by("pk").first()
    )


def _schedule(calendar_name: str | None) -> Any:
    """The named business calendar (else the installation's default) resolved for computing; None: 24x7."""
    from tickets.services.clocks import calendar_schedule

    calendar = BusinessCalendar.objects.filter(name=calendar_name).first() if calendar_name else default_calendar()
    return calendar_schedule(calendar) if calendar is not None else None


def in_business_hours(now: datetime, calendar_name: str | None = None) -> bool:
    schedule = _schedule(calendar_name)
    if schedule is None:
        return True
    day = now.astimezone(schedule.tz).date()
    return any(a <= now < b for a, b in schedule.utc_intervals_on(day))


class Facts:
    """A ticket (and what the event told) as the conditions read it; each field read at most once, and only when a
    condition asks for it."""

    def __init__(self, ticket: Ticket, context: dict[str, Any] | None, now: datetime):
        self.ticket, self.context, self.now = ticket, context or {}, now
        self._values: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        if name not in self._values:
            self._values[name] = self._read(name)
        return self._values[name]

    def _read(self, name: str) -> Any:
        ticket = self.ticket
        scope, _dot, key = name.partition(".")
        if scope == "ticket":
            if key == "team":
                return ticket.team.name if ticket.team_id else None
            if key == "assignee":
                return ticket.assignee.get_username() if ticket.assignee_id else None
            if key == "storefront":
                return ticket.storefront.name
            if key == "tags":  # tags are one whatever their case
                return {name.lower() for name in ticket.tags.values_list("name", flat=True)} if ticket.pk else set()
            return getattr(ticket, key)
        if name == "customer.language":
            return ticket.storefront.language
        if name == "time.business_hours":
            return in_business_hours(self.now)
        value = (self.context.get(scope) or {}).get(key)
        return _number(value) if FIELDS[name].kind == "number" and value is not None else value

    def body_contains(self, text: str) -> bool:
        opening = getattr(self.ticket, "opening_message", None)
        if opening is not None and text.lower() in opening.body.lower():
            return True  # a new ticket's opening message: no query
        return Message.objects.filter(ticket=self.ticket, kind=MessageKind.CUSTOMER, body__icontains=text).exists()


def _compare(spec: Field, op: str, actual: Any, value: Any) -> bool:
    if spec.kind == "text":
        actual = (actual or "").lower()
        wanted = str(value).lower()
        return {
            "is": actual == wanted,
            "is_not": actual != wanted,
            "contains": wanted in actual,
            "not_contains": wanted not in actual,
        }[op]
    if spec.kind == "tags":
        tags = actual or set()
        wanted = value if isinstance(value, list) else [value]
        found = any(str(tag).lower() in tags for tag in wanted)
        return found if op in ("contains", "in") else not found
    if spec.kind == "number":
        if actual is None:
            return op == "is_not"
        number = _number(value)
        return {"is": actual == number, "is_not": actual != number, "gt": actual > number, "lt": actual < number}[op]
    if op == "is":
        return actual == value
    if op == "is_not":
        return actual != value
    if op == "in":
        return actual in value
    return actual not in value  # not_in


def condition_holds(condition: dict[str, Any], facts: Facts) -> bool:
    name, op, value = condition["field"], condition["op"], condition.get("value")
    spec = FIELDS[name]
    if name == "ticket.body":
        found = facts.body_contains(str(value))
        return found if op == "contains" else not found
    return _compare(spec, op, facts.get(name), value)


def conditions_match(conditions: dict[str, list], facts: Facts) -> bool:
    every = conditions.get("all") or []
    some = conditions.get("any") or []
    return all(condition_holds(c, facts) for c in every) and (not some or any(condition_holds(c, facts) for c in some))


def conditions_explain(conditions: dict[str, list], facts: Facts) -> list[dict[str, Any]]:
    """Each condition with whether it holds (the desk's "test against T-…")."""
    return [
        {"path": f"conditions.{key}.{index}", **condition, "matched": condition_holds(condition, facts)}
        for key in ("all", "any")
        for index, condition in enumerate(conditions.get(key) or [])
        if condition["field"] not in HOURS_SINCE
    ]


# --- selection in SQL (time rules) --------------------------------------------------------------------------------


def _hours_cutoff(condition: dict[str, Any], now: datetime) -> datetime:
    seconds = float(_number(condition["value"])) * 3600
    if condition.get("business"):
        return subtract_working_time(_schedule(condition.get("calendar")), now, seconds)
    return now - timezone.timedelta(seconds=seconds)


def condition_q(condition: dict[str, Any], now: datetime) -> Q:
    name, op, value = condition["field"], condition["op"], condition.get("value")
    if name in HOURS_SINCE:
        column, cutoff = HOURS_SINCE[name], _hours_cutoff(condition, now)
        return Q(**{f"{column}__lte": cutoff}) if op == "gt" else Q(**{f"{column}__gt": cutoff})
    spec = FIELDS[name]
    if spec.kind == "bool":  # the time now: one answer for every ticket
        holds = in_business_hours(now) == value
        return Q() if holds == (op == "is") else Q(pk__in=[])
    if name == "ticket.body":
        found = Q(
            Exists(Message.objects.filter(ticket=OuterRef("pk"), kind=MessageKind.CUSTOMER, body__icontains=value))
        )
        return found if op == "contains" else ~found
    if spec.kind == "tags":
        wanted = value if isinstance(value, list) else [value]
        any_tag = Q(pk__in=[])
        for tag in wanted:
            any_tag |= Q(tags__name__iexact=tag)
        found = Q(Exists(Ticket.objects.filter(any_tag, pk=OuterRef("pk"))))
        return found if op in ("contains", "in") else ~found
    if spec.kind == "text":
        lookup = {"is": "iexact", "is_not": "iexact", "contains": "icontains", "not_contains": "icontains"}[op]
        match = Q(**{f"{spec.orm}__{lookup}": value})
        return match if op in ("is", "contains") else ~match
    if op in ("is", "is_not"):
        match = Q(**{f"{spec.orm}__isnull": True}) if value is None else Q(**{spec.orm: value})
        return match if op == "is" else ~match
    match = Q(**{f"{spec.orm}__in": value})
    return match if op == "in" else ~match


def conditions_q(conditions: dict[str, list], now: datetime) -> Q:
    query = Q()
    for condition in conditions.get("all") or []:
        query &= condition_q(condition, now)
    some = conditions.get("any") or []
    if some:
        either = Q(pk__in=[])
        for condition in some:
            either |= condition_q(condition, now)
        query &= either
    return query


# --- triggers -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """An active rule as the cache keeps it: what matching and firing need, no model instance."""

    id: int
    name: str
    conditions: dict[str, list]
    actions: list[Any]
    failures: int


def _rule(row: Trigger | TimeRule) -> Rule:
    from tickets.services.actions import actions_validate

    return Rule(
        id=row.pk,
        name=row.name,
        conditions=row.conditions,
        actions=actions_validate(row.actions, check_references=False),
        failures=row.failures,
    )


def _load_triggers() -> dict[str, list[Rule]]:
    by_event: dict[str, list[Rule]] = {}
    for row in Trigger.objects.filter(is_active=True).order_by("position", "id"):
        by_event.setdefault(row.event, []).append(_rule(row))
    return by_event


def active_triggers() -> dict[str, list[Rule]]:
    """The active triggers by event, in position order (settings cache: no query while nothing changed)."""
    return cached("triggers", _load_triggers)


def automation_listens(event: str) -> bool:
    return bool(active_triggers().get(event))


@dataclass
class _Run:
    """One original event and the chain it sets off: events to handle (breadth first), the triggers fired."""

    queue: list[tuple[str, Ticket, dict[str, Any] | None, int]] = field(default_factory=list)
    depth: int = 1
    chain: list[str] = field(default_factory=list)
    cut: bool = False
    fired: set[int] = field(default_factory=set)


_current: ContextVar[_Run | None] = ContextVar("automation_run", default=None)


def automation_event(
    *, event: str, ticket: Ticket, context: dict[str, Any] | None = None, now: datetime | None = None
) -> bool:
    """An event happened to this ticket (locked by the caller, in its transaction): run the triggers that listen.
    True when a trigger acted: the caller's copy of the ticket is then read again (`refresh_from_db`), so what it
    answers is what the triggers left.

    `context` is what the event tells beyond the ticket: {"return": {"reason", "resolution", "outcome"},
    "order": {"amount", "days_since_delivery"}, "complaint": {"category", "severity"}}."""
    from tickets.services.actions import events_suppressed

    if events_suppressed.get() or not active_triggers().get(event):
        return False
    run = _current.get()
    if run is not None:
        # Raised by a trigger's action: handled after the current event, one level deeper; the same event of the same
        # ticket raised again by another trigger of this pass is one event (the ticket changed, once more).
        depth = run.depth + 1
        for index, (queued, other, queued_context, queued_depth) in enumerate(run.queue):
            if queued == event and other.pk == ticket.pk and queued_depth == depth:
                run.queue[index] = (event, other, {**(queued_context or {}), **(context or {})}, depth)
                return False
        run.queue.append((event, ticket, context, depth))
        return False
    now = now or timezone.now()
    original = ticket
    run = _Run(queue=[(event, ticket, context, 1)])
    token = _current.set(run)
    try:
        while run.queue:
            event, ticket, context, depth = run.queue.pop(0)
            if depth > MAX_DEPTH:
                _chain_cut(run, ticket, now)
                continue
            run.depth = depth
            if depth > 1:
                # Read again under the lock: what the last pass's triggers left (a failed one left nothing).
                ticket = Ticket.objects.select_related("storefront").get(pk=ticket.pk)
            _fire_triggers(run, event, ticket, context, now)
    finally:
        _current.reset(token)
    if run.chain and ticket.pk is not None:
        original.refresh_from_db()
        return True
    return False


def _chain_cut(run: _Run, ticket: Ticket, now: datetime, *, again: str = "") -> None:
    """Tell the supervisors once per original event that its chain was cut: at the depth limit, or because the
    trigger `again` would have acted a second time (a loop)."""
    if run.cut:
        return
    run.cut = True
    chain = " → ".join([*run.chain, again] if again else run.chain)
    logger.warning("Automation chain cut on %s: %s", ticket.reference, chain)
    if again:
        text = _("Trigger %(rule)s would have acted twice for one change on %(reference)s (a loop?): %(chain)s") % {
            "rule": again,
            "reference": ticket.reference,
            "chain": chain,
        }
    else:
        text = _("Triggers stopped after %(depth)s steps on %(reference)s (a loop?): %(chain)s") % {
            "depth": MAX_DEPTH,
            "reference": ticket.reference,
            "chain": chain,
        }
    supervisors_alert(text=text, ticket=ticket, now=now)


def _fire_triggers(run: _Run, event: str, ticket: Ticket, context: dict[str, Any] | None, now: datetime) -> None:
    from tickets.services.actions import actions_apply
    from tickets.services.events import SYSTEM

    for rule in active_triggers().get(event, []):
        if not conditions_match(rule.conditions, Facts(ticket, context, now)):
            continue
        if rule.id in run.fired:
            # No trigger acts twice for one original event (automation.md): two triggers undoing each other stop
            # after one turn each.
            _chain_cut(run, ticket, now, again=rule.name)
            continue
        queued = len(run.queue)
        try:
            with transaction.atomic():
                result = actions_apply(ticket=ticket, actions=rule.actions, actor=SYSTEM, rule_name=rule.name, now=now)
                TriggerFiring.objects.create(trigger_id=rule.id, ticket_id=ticket.pk, event=event, fired_at=now)
        except Exception as error:  # any failure of one rule: skip it, keep the person's change
            del run.queue[queued:]
            rule_failed(model=Trigger, rule=rule, error=error, ticket=ticket, now=now)
            continue
        if rule.failures:
            rule_succeeded(model=Trigger, rule=rule)
        run.fired.add(rule.id)
        run.chain.append(rule.name)
        ticket = result.ticket


def _error_text(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if errors:
        return "; ".join(f"{path}: {' '.join(map(str, messages))}" for path, messages in errors.items())[:500]
    return (str(error) or type(error).__name__)[:500]


def rule_failed(*, model: type[Trigger] | type[TimeRule], rule: Rule, error: Exception, ticket: Ticket, now: datetime):
    """A rule could not act on a ticket: count it, alert supervisors, switch the rule off after too many in a row."""
    if not isinstance(error, InvalidInput | IntegrityError) and not hasattr(error, "errors"):
        logger.exception("Automation rule %r failed on %s", rule.name, ticket.reference, exc_info=error)
    message = _error_text(error)
    model.objects.filter(pk=rule.id).update(failures=F("failures") + 1, last_error=message)
    failures = model.objects.filter(pk=rule.id).values_list("failures", flat=True).first() or 0
    disabled = failures >= settings.AUTOMATION_MAX_FAILURES
    if disabled:
        model.objects.filter(pk=rule.id).update(is_active=False)
    settings_changed()
    values = {"rule": rule.name, "reference": ticket.reference, "error": message, "count": failures}
    text = (
        _("Rule %(rule)s failed %(count)s times in a row and was switched off (last on %(reference)s: %(error)s)")
        if disabled
        else _("Rule %(rule)s was skipped on %(reference)s: %(error)s")
    ) % values
    supervisors_alert(text=text, ticket=ticket, now=now)


def rule_succeeded(*, model: type[Trigger] | type[TimeRule], rule: Rule) -> None:
    model.objects.filter(pk=rule.id).update(failures=0)
    settings_changed()


# --- time rules ---------------------------------------------------------------------------------------------------


def time_rule_matches(rule: TimeRule | Rule, *, now: datetime) -> models.QuerySet[Ticket]:
    """The tickets the rule would fire on now: not closed, its conditions hold and it has not fired on them in their
    current state. One query; no ticket is looked at in Python."""
    fired = TimeRuleFiring.objects.filter(
        rule_id=rule.id if isinstance(rule, Rule) else rule.pk,
        ticket_id=OuterRef("pk"),
        state_since=OuterRef("status_changed_at"),
    )
    # A closed ticket is final (merged ones too: the customer's next word opens a follow-up): no rule acts on it, and
    # one that could not (a reply, a move) would fail there run after run until it is switched off.
    return (
        Ticket.objects.filter(conditions_q(rule.conditions, now), status_changed_at__isnull=False)
        .exclude(status=Status.CLOSED)
        .exclude(Exists(fired))
        .order_by("pk")
    )


def time_rules_run(*, now: datetime | None = None, batch_size: int = 200) -> dict[str, int]:
    """Fire every active time rule on the tickets it matches now: {"matched": n, "fired": n}. Safe to run on several
    workers at once and again at the same instant: each (rule, ticket, state) fires once."""
    from tickets.services.actions import actions_apply
    from tickets.services.events import SYSTEM

    now = now or timezone.now()
    matched = fired = 0
    rules = [_rule(row) for row in TimeRule.objects.filter(is_active=True).order_by("position", "id")]
    for rule in rules:
        failed = False
        fired_before = fired
        while not failed:
            with transaction.atomic():
                # Rows another worker holds are skipped: it is firing on them; the unique firing row guards the rest.
                batch = list(
                    time_rule_matches(rule, now=now)
                    .select_for_update(of=("self",), skip_locked=True)
                    .select_related("storefront")[:batch_size]
                )
                matched += len(batch)
                for ticket in batch:
                    try:
                        with transaction.atomic():
                            TimeRuleFiring.objects.create(
                                rule_id=rule.id,
                                ticket=ticket,
                                status=ticket.status,
                                state_since=ticket.status_changed_at,
                                fired_at=now,
                            )
                    except IntegrityError:
                        continue  # fired by another worker a moment ago
                    try:
                        with transaction.atomic():
                            actions_apply(
                                ticket=ticket, actions=rule.actions, actor=SYSTEM, rule_name=rule.name, now=now
                            )
                    except Exception as error:
                        # Not fired after all: the next run tries again (and a rule that keeps failing is switched
                        # off by rule_failed).
                        TimeRuleFiring.objects.filter(
                            rule_id=rule.id, ticket=ticket, state_since=ticket.status_changed_at
                        ).delete()
                        rule_failed(model=TimeRule, rule=rule, error=error, ticket=ticket, now=now)
                        failed = True
                        break
                    fired += 1
            if len(batch) < batch_size:
                break
        if not failed and rule.failures and fired > fired_before:
            rule_succeeded(model=TimeRule, rule=rule)
    return {"matched": matched, "fired": fired}


def time_rule_preview(rule: TimeRule, *, now: datetime | None = None, limit: int = 50) -> dict[str, Any]:
    """Which open tickets the rule matches now (the desk's preview): the count and the first references."""
    now = now or timezone.now()
    matches = time_rule_matches(rule, now=now)
    return {
        "count": matches.count(),
        "tickets": list(matches.values_list("reference", flat=True)[:limit]),
        "at": now.isoformat(),
    }


# --- saving rules -------------------------------------------------------------------------------------------------


def _check_rule(data: dict[str, Any], *, time_rule: bool) -> dict[str, Any]:
    from tickets.services.actions import actions_validate

    checked: dict[str, Any] = {}
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _error("name", _("Give the rule a name."))
    checked["name"] = name.strip()[:200]
    if not time_rule:
        if data.get("event") not in TriggerEvent.values:
            raise _error("event", _("Unknown event %(value)s.") % {"value": data.get("event")})
        checked["event"] = data["event"]
    active = data.get("active", True)
    if not isinstance(active, bool):
        raise _error("active", _("true or false."))
    checked["is_active"] = active
    position = data.get("position", 100)
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise _error("position", _("A whole number, 0 or more."))
    checked["position"] = position
    checked["conditions"] = conditions_validate(data.get("conditions"), time_rule=time_rule)
    actions = data.get("actions")
    actions_validate(actions)
    if not actions:
        raise _error("actions", _("Add at least one action."))
    checked["actions"] = json.loads(json.dumps(actions))
    return checked


RuleModel = type[Trigger] | type[TimeRule]


def rule_save(*, model: RuleModel, data: dict[str, Any], rule: Trigger | TimeRule | None = None) -> Trigger | TimeRule:
    """Create or replace a trigger or time rule from the desk API's shape; InvalidInput naming the field, nothing
    saved, when anything is wrong. Saving a rule clears its failures."""
    checked = _check_rule(data, time_rule=model is TimeRule)
    with transaction.atomic():
        duplicate = model.objects.filter(name=checked["name"])
        if rule is not None:
            duplicate = duplicate.exclude(pk=rule.pk)
        if duplicate.exists():
            raise _error("name", _("A rule with this name exists already."))
        if rule is None:
            rule = model(**checked)
        else:
            for key, value in checked.items():
                setattr(rule, key, value)
        rule.failures, rule.last_error = 0, ""
        rule.save()
    return rule


def rule_delete(*, rule: Trigger | TimeRule) -> None:
    rule.delete()


def rule_as_json(rule: Trigger | TimeRule) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rule.pk,
        "name": rule.name,
        "active": rule.is_active,
        "position": rule.position,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "failures": rule.failures,
        "last_error": rule.last_error,
    }
    if isinstance(rule, Trigger):
        data["event"] = rule.event
    return data


def rule_test(*, rule: Trigger | TimeRule, ticket: Ticket, now: datetime | None = None) -> dict[str, Any]:
    """Test a rule against one ticket: which conditions hold, and what its actions would change (a dry run)."""
    from tickets.services.actions import actions_apply
    from tickets.services.events import SYSTEM

    now = now or timezone.now()
    conditions = rule.conditions
    facts = Facts(ticket, None, now)
    if isinstance(rule, TimeRule):
        matches = time_rule_matches(rule, now=now).filter(pk=ticket.pk).exists()
    else:
        matches = conditions_match(conditions, facts)
    try:
        would: dict[str, Any] = actions_apply(
            ticket=ticket, actions=rule.actions, actor=SYSTEM, rule_name=rule.name, dry_run=True, now=now
        ).as_json()
    except ApplicationError as error:
        would = {"error": _error_text(error)}
    return {"matches": matches, "conditions": conditions_explain(conditions, facts), "would": would}
