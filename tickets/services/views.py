"""Saved views (workspace.md): queue tabs of their own, personal or a team's.

A view's filters are the queue's (tickets.selectors.ticket_queue), checked here before the view is saved: an
unknown filter, sort or column is 400 naming it (`filters.colour`), never a view that fails when it is opened.
"""

import re
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import InvalidInput, NotFound, NotPermitted
from tickets import roles
from tickets.models import Category, Channel, Kind, SavedView, Severity, Status, Storefront, Team
from tickets.services.tags import tags_validate

# Sorts a view (and a sortable column header) may ask for: name -> the queue's order_by.
SORTS: dict[str, tuple[str, ...]] = {
    "due": (),  # the queue's own: soonest deadline first
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "reference": ("id",),
    "-reference": ("-id",),
    "severity": ("severity", "id"),
    "status": ("status", "id"),
    "subject": ("subject", "id"),
}
COLUMNS = (
    "reference",
    "subject",
    "customer",
    "status",
    "severity",
    "category",
    "channel",
    "storefront",
    "team",
    "assignee",
    "tags",
    "created",
    "updated",
    "sla",
)
SLA_STATES = ("on_track", "at_risk", "breached")
_ENUMS = {"kind": Kind, "category": Category, "severity": Severity, "channel": Channel}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _error(path: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors={path: [message]})


def _choice(value: Any, choices: Any, path: str) -> str:
    if value not in choices.values:
        raise _error(path, _("Unknown value %(value)s.") % {"value": value})
    return value


def view_filters_validate(filters: Any) -> dict[str, Any]:
    """The view's filters in the queue's terms, each checked; 400 naming `filters.<key>` otherwise."""
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise _error("filters", _('Filters are an object, e.g. {"status": ["open"], "tags": ["vip"]}.'))
    out: dict[str, Any] = {}
    for key, value in filters.items():
        path = f"filters.{key}"
        if key == "status":
            values = value if isinstance(value, list) else [value]
            out[key] = sorted({_choice(item, Status, path) for item in values})
        elif key in ("kind", "category", "severity", "channel"):
            out[key] = _choice(value, _ENUMS[key], path)
        elif key == "sla":
            if value not in SLA_STATES:
                raise _error(path, _("Unknown value %(value)s.") % {"value": value})
            out[key] = value
        elif key == "tags":
            try:
                out[key] = tags_validate(value)
            except InvalidInput as exc:
                raise _error(path, str(exc.message)) from None
        elif key in ("storefront", "team"):
            model = Storefront if key == "storefront" else Team
            if isinstance(value, bool) or not isinstance(value, int) or not model.objects.filter(pk=value).exists():
                raise _error(path, _("Unknown value %(value)s.") % {"value": value})
            out[key] = value
        elif key == "assignee":
            known = value in ("me", "none") or (
                isinstance(value, str) and get_user_model().objects.filter(username=value, is_active=True).exists()
            )
            if not known:
                raise _error(path, _('A username, "me" or "none".'))
            out[key] = value
        elif key in ("created_from", "created_to"):
            if not isinstance(value, str) or not _DATE.fullmatch(value):
                raise _error(path, _("A date, YYYY-MM-DD."))
            try:
                date.fromisoformat(value)
            except ValueError:
                raise _error(path, _("A date, YYYY-MM-DD.")) from None
            out[key] = value
        elif key == "q":
            if not isinstance(value, str) or len(value) > 200:
                raise _error(path, _("At most 200 characters of text."))
            out[key] = value.strip()
        else:
            raise _error(path, _("Unknown filter %(key)s.") % {"key": key})
    return out


def _validated(*, name: Any, filters: Any, sort: Any, columns: Any) -> dict[str, Any]:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        raise _error("name", _("A name of 1 to 100 characters."))
    if sort in (None, ""):
        sort = ""
    elif sort not in SORTS:
        raise _error("sort", _("Unknown sort %(value)s.") % {"value": sort})
    if columns in (None, []):
        columns = []
    elif not isinstance(columns, list):
        raise _error("columns", _("A list of columns."))
    else:
        for index, column in enumerate(columns):
            if column not in COLUMNS:
                raise _error(f"columns.{index}", _("Unknown column %(value)s.") % {"value": column})
        columns = list(dict.fromkeys(columns))
    return {"name": name.strip(), "filters": view_filters_validate(filters), "sort": sort, "columns": columns}


def _check_team(user: AbstractUser, team: Team | None) -> None:
    # Team views are shared with every member: supervisors keep them; agents keep their own personal views.
    if team is not None and not roles.is_supervisor(user):
        raise NotPermitted(_("Only supervisors manage team views."), field="team")


@transaction.atomic
def saved_view_create(
    *,
    user: AbstractUser,
    name: Any,
    team: Team | None = None,
    filters: Any = None,
    sort: Any = "",
    columns: Any = None,
    position: int = 100,
) -> SavedView:
    _check_team(user, team)
    data = _validated(name=name, filters=filters, sort=sort, columns=columns)
    now = timezone.now()
    return SavedView.objects.create(owner=user, team=team, position=position, created_at=now, updated_at=now, **data)


def _may_change(user: AbstractUser, view: SavedView) -> bool:
    if view.team_id is None:
        return view.owner_id == user.pk
    return roles.is_supervisor(user)


@transaction.atomic
def saved_view_update(
    *,
    view: SavedView,
    user: AbstractUser,
    name: Any,
    team: Team | None = None,
    filters: Any = None,
    sort: Any = "",
    columns: Any = None,
    position: int = 100,
) -> SavedView:
    if not _may_change(user, view):
        raise NotFound(_("No such view, or not yours to change."))
    _check_team(user, team)
    for field, value in _validated(name=name, filters=filters, sort=sort, columns=columns).items():
        setattr(view, field, value)
    view.team, view.position, view.updated_at = team, position, timezone.now()
    view.save()
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, user: AbstractUser) -> None:
    if not _may_change(user, view):
        raise NotFound(_("No such view, or not yours to change."))
    view.delete()
