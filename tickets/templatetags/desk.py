"""Template helpers of the desk: navigation from the panel registry, SLA time left, query-string building."""

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tickets import masking, panels
from tickets.forms import team_label
from tickets.models import Category, EventKind, Metric, Severity, Status

register = template.Library()


@register.filter
def team_name(team: Any) -> str:
    """A team's name in the user's language (Team.name_zh for Chinese, when set)."""
    return team_label(team)


# The actions' names in the automation language (macros, triggers, time rules), as a reader sees them.
ACTION_LABELS = {
    "reply": gettext_lazy("Reply"),
    "note": gettext_lazy("Internal note"),
    "set_status": gettext_lazy("Set the status"),
    "set_severity": gettext_lazy("Set the severity"),
    "set_category": gettext_lazy("Set the category"),
    "assign_team": gettext_lazy("Assign to a team"),
    "assign_agent": gettext_lazy("Assign to an agent"),
    "add_tags": gettext_lazy("Add tags"),
    "remove_tags": gettext_lazy("Remove tags"),
    "notify": gettext_lazy("Notify"),
    "send_webhook": gettext_lazy("Send a webhook"),
}
# The example rules migration 0063 ships (stored in English): shown in the reader's language. A rule someone
# named, or one renamed since, is shown as typed.
SHIPPED_RULE_NAMES = {
    "Remind the customer after 48 business hours pending": gettext_lazy(
        "Remind the customer after 48 business hours pending"
    ),
    "Resolve after another 72 business hours pending": gettext_lazy("Resolve after another 72 business hours pending"),
    "A new ticket nobody took in 1 hour: tell the team's supervisors": gettext_lazy(
        "A new ticket nobody took in 1 hour: tell the team's supervisors"
    ),
    # Its name since migration 0053, which made it assign the ticket as automation.md ships it.
    "A new ticket nobody took in 1 hour: to the team's supervisor": gettext_lazy(
        "A new ticket nobody took in 1 hour: to the team's supervisor"
    ),
    "Severe complaints: tell the supervisors": gettext_lazy("Severe complaints: tell the supervisors"),
}


@register.filter
def action_label(kind: str) -> str:
    """An action type (add_tags...) in the reader's language; an unknown one as it is."""
    return str(ACTION_LABELS.get(kind, kind))


# The actions whose values are codes of a choice: a preview or a test shows their label.
_ACTION_CHOICES = {"set_status": Status, "set_severity": Severity, "set_category": Category}


@register.filter
def change_value(change: dict[str, Any], key: str) -> str:
    """A value of an action's change (its `from` or `to`) as the reader reads it: a status, severity or category by
    its label in their language; anything else (a team's or an agent's name) as it is."""
    value = change.get(key)
    if value in (None, ""):
        return ""
    choices = _ACTION_CHOICES.get(change.get("type", ""))
    return _label(choices, value) if choices is not None else str(value)


@register.filter
def rule_name(name: str) -> str:
    """A rule's name: a shipped example's in the reader's language, any other as it was typed."""
    return str(SHIPPED_RULE_NAMES.get(name, name))


@register.filter
def customer_label(customer: Any) -> str:
    """A customer in a list: the name, else the masked e-mail or phone, else their storefront id ("" for none)."""
    return masking.customer_label(customer)


@register.filter
def masked_email(email: str) -> str:
    return masking.mask_email(email or "")


@register.filter
def masked_phone(phone: str) -> str:
    return masking.mask_phone(phone or "")


@register.simple_tag(takes_context=True)
def desk_nav(context: template.Context) -> list[panels.NavLink]:
    """The navigation links other apps registered, for the signed-in user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return panels.nav_items(user)


def _span(delta: timedelta) -> str:
    """A short human duration: "2 d 3 h", "3 h 5 min", "12 min"."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return ngettext("%(minutes)d min", "%(minutes)d min", minutes) % {"minutes": minutes}


@register.simple_tag
def due_state(due_at: datetime | None, now: datetime | None = None) -> dict[str, Any] | None:
    """{"overdue": bool, "text": "3 h 5 min"} for a deadline, or None when there is none."""
    if due_at is None:
        return None
    now = now or timezone.now()
    if due_at <= now:
        return {"overdue": True, "text": _span(now - due_at)}
    return {"overdue": False, "text": _span(due_at - now)}


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (None or "" removes one); keeps filters on paging."""
    request = context.get("request")
    query: QueryDict = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def render_panel(context: template.Context, panel: dict[str, Any]) -> str:
    """Render a registered ticket panel with its own context on top of the page's (request, user, csrf)."""
    panel_template = context.template.engine.get_template(panel["template"])
    with context.push(**panel, panel=panel):
        return panel_template.render(context)


@register.simple_tag
def event_actor(event: Any) -> str:
    if event.actor_user_id:
        user = event.actor_user
        return user.get_full_name() or user.get_username()
    if event.actor_storefront_id:
        return event.actor_storefront.name
    return _("System")


def _label(choices: type, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


@register.simple_tag
def event_summary(event: Any, team_names: dict[str, str] | None = None) -> str:
    """One line saying what happened; the values come from the event's data (escaped by the template engine)."""
    text = _event_summary(event, team_names)
    merged_from = (event.data or {}).get("merged_from")
    if merged_from:
        text += " " + _("(merged from %(reference)s)") % {"reference": merged_from}
    return text


def _event_summary(event: Any, team_names: dict[str, str] | None) -> str:
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.STATUS_CHANGED:
        text = _("status %(from)s → %(to)s") % {
            "from": _label(Status, data.get("from")),
            "to": _label(Status, data.get("to")),
        }
        if data.get("reason") == "customer_message":
            text += " " + _("(the customer wrote)")
        elif data.get("reason") == "auto_close":
            text += " " + _("(closed automatically)")
        return text
    if kind == EventKind.SEVERITY_CHANGED:
        return _("severity %(from)s → %(to)s") % {
            "from": _label(Severity, data.get("from")),
            "to": _label(Severity, data.get("to")),
        }
    if kind == EventKind.CATEGORY_CHANGED:
        return _("category %(from)s → %(to)s") % {
            "from": _label(Category, data.get("from")),
            "to": _label(Category, data.get("to")),
        }
    if kind == EventKind.ASSIGNED:
        assignee = data.get("assignee") or _("nobody")
        if data.get("team"):
            # Events record the team's name; the page passes the names in the reader's language (team_names_shown).
            team = (team_names or {}).get(data["team"], data["team"])
            return _("assigned to %(assignee)s (%(team)s)") % {"assignee": assignee, "team": team}
        return _("assigned to %(assignee)s") % {"assignee": assignee}
    if kind == EventKind.MERGED:
        if data.get("source"):
            return _("%(reference)s merged into this ticket") % {"reference": data["source"]}
        if data.get("target"):
            return _("merged into %(reference)s") % {"reference": data["target"]}
    if kind == EventKind.SPLIT:
        if data.get("new"):
            return _("split: messages moved to %(reference)s") % {"reference": data["new"]}
        if data.get("from"):
            return _("split from %(reference)s") % {"reference": data["from"]}
    if kind == EventKind.LINKED:
        if data.get("linked"):
            return _("linked to %(reference)s") % {"reference": data["linked"]}
        if data.get("follow_up"):
            return _("continued in %(reference)s") % {"reference": data["follow_up"]}
        if data.get("previous"):
            return _("follows %(reference)s") % {"reference": data["previous"]}
    if kind == EventKind.TAGS_CHANGED:
        parts = []
        if data.get("added"):
            parts.append(_("tags added: %(tags)s") % {"tags": ", ".join(data["added"])})
        if data.get("removed"):
            parts.append(_("tags removed: %(tags)s") % {"tags": ", ".join(data["removed"])})
        return "; ".join(parts) or str(_label(EventKind, kind))
    if kind == EventKind.ATTACHMENTS_DELETED:
        return ngettext(
            "%(count)d attachment deleted, %(days)s days after the ticket closed",
            "%(count)d attachments deleted, %(days)s days after the ticket closed",
            data.get("count") or 0,
        ) % {"count": data.get("count") or 0, "days": data.get("retention_days", "?")}
    label = _label(EventKind, kind)
    if kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACH, EventKind.ESCALATION) and data.get("metric"):
        metric = _label(Metric, data["metric"])
        if kind == EventKind.ESCALATION:
            return _("escalation of %(metric)s to level %(level)s") % {"metric": metric, "level": data.get("level")}
        return f"{label}: {metric}"
    return _generic_summary(label, data, kind)


def _generic_summary(label: str, data: dict[str, Any], kind: str = "") -> str:
    """Events of the apps above tickets (returns, refunds, complaints): their reference and what changed.

    Their own labels live in those apps, which tickets may not import: they register them
    (panels.register_event_values); an unregistered code is shown legibly as it is.
    """
    text = label
    references = [str(data[key]) for key in ("return", "refund", "complaint") if data.get(key)]
    if references:
        text += " " + " ".join(references)
    if data.get("from") and data.get("to"):
        text += ": " + _("%(from)s → %(to)s") % {
            "from": _readable(data["from"], kind),
            "to": _readable(data["to"], kind),
        }
    elif data.get("to"):
        text += ": " + _readable(data["to"], kind)
    elif isinstance(data.get("department"), dict):
        moved = data["department"]
        text += ": " + _("department %(from)s → %(to)s") % {
            "from": _readable(moved.get("from"), kind),
            "to": _readable(moved.get("to"), kind),
        }
    elif data.get("action"):
        text += ": " + _readable(data["action"], kind)
    elif data.get("detail") or data.get("summary"):
        text += ": " + str(data.get("detail") or data.get("summary"))
    return text


def _readable(code: Any, kind: str = "") -> str:
    # The label the app registered (panels.register_event_values), else the code made legible.
    return panels.event_value_label(kind, code) or str(code).replace("_", " ")
