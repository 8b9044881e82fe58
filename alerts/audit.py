"""Who changed what in the settings-like data (operations.md, "Who changed what"): reading django-auditlog's entries
for the desk's audit page (`/desk/audit/`) and the admin. Which models are followed is in settings
(AUDITLOG_INCLUDE_TRACKING_MODELS); secrets are never recorded, so nothing here needs hiding."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

PAGE_SIZE = 50


@dataclass(frozen=True)
class Change:
    field: str
    before: str = ""
    after: str = ""
    # m2m: "add" or "delete" with the objects added or removed (team members, a user's roles)
    operation: str = ""
    objects: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    model: str
    object_repr: str
    changes: list[Change]


def tracked_content_types() -> list[ContentType]:
    labels = [
        entry["model"] if isinstance(entry, dict) else entry for entry in settings.AUDITLOG_INCLUDE_TRACKING_MODELS
    ]
    models = []
    for label in labels:
        app_label, _dot, model_name = label.partition(".")
        models.append((app_label, model_name.lower()))
    return sorted(
        (
            ct
            for ct in ContentType.objects.filter(app_label__in={a for a, _m in models})
            if (ct.app_label, ct.model) in models
        ),
        key=model_label,
    )


def audit_entries(*, content_type_id: int | None = None) -> QuerySet[LogEntry]:
    entries = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")
    if content_type_id is not None:
        entries = entries.filter(content_type_id=content_type_id)
    return entries


def _changes(entry: LogEntry) -> list[Change]:
    model = entry.content_type.model_class()
    out = []
    for name, values in (entry.changes_dict or {}).items():
        label, choices = name, {}
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except Exception:  # a field since removed keeps its stored name
                field = None
            if field is not None and field.auto_created and not field.concrete:
                # A reverse relation (a storefront's keys, a team's tickets): auditlog records its manager's repr
                # ("tickets.ApiKey.None") on create, which says nothing.
                continue
            if field is not None:
                # A field without its own verbose name gets Django's ("storefront"): said in the reader's language
                # when the catalog knows the word.
                label = gettext(str(getattr(field, "verbose_name", name)))
                choices = {str(value): str(shown) for value, shown in getattr(field, "flatchoices", None) or ()}
        if isinstance(values, dict) and values.get("type") == "m2m":
            out.append(
                Change(field=label, operation=values.get("operation", ""), objects=tuple(values.get("objects", ())))
            )
        elif isinstance(values, list | tuple) and len(values) == 2:
            out.append(Change(field=label, before=_show(values[0], choices), after=_show(values[1], choices)))
    return out


def _show(value: Any, choices: dict[str, str] | None = None) -> str:
    if value in (None, "None"):
        return ""
    if choices and str(value) in choices:
        return choices[str(value)]  # a choice's label (the reader's language), not its stored code
    # auditlog stores values as text: booleans are said in the reader's language.
    return {"True": str(_("yes")), "False": str(_("no"))}.get(str(value), str(value))


def model_label(content_type: ContentType) -> str:
    model = content_type.model_class()
    return str(model._meta.verbose_name_plural) if model is not None else content_type.model


# auditlog's actions, in the reader's language (auditlog ships no Simplified Chinese).
ACTIONS = {
    LogEntry.Action.CREATE: _("created"),
    LogEntry.Action.UPDATE: _("changed"),
    LogEntry.Action.DELETE: _("deleted"),
}


def audit_page(*, content_type_id: int | None, page: str | int | None) -> tuple[Page, list[AuditRow]]:
    paginator = Paginator(audit_entries(content_type_id=content_type_id), PAGE_SIZE)
    current = paginator.get_page(page)
    rows = []
    for entry in current.object_list:
        model = entry.content_type.model_class()
        rows.append(
            AuditRow(
                at=entry.timestamp,
                actor=entry.actor.get_username() if entry.actor else "",
                action=str(ACTIONS.get(entry.action, entry.get_action_display())),
                model=str(model._meta.verbose_name) if model else entry.content_type.model,
                object_repr=entry.object_repr,
                changes=_changes(entry),
            )
        )
    return current, rows
