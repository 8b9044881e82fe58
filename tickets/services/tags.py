"""Tags on tickets: free-text labels, case-insensitive, written only here."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import InvalidInput
from tickets.models import EventKind, Tag, Ticket

# The module, not its functions: lifecycle's ticket_create uses this module's validation in turn.
from tickets.services import lifecycle
from tickets.services.events import Actor, ticket_record_event

TAG_MAX_LENGTH = 50


def tags_validate(names: Iterable[str]) -> list[str]:
    """The names trimmed, each once whatever its case (the first spelling kept), in the order given. Raises
    InvalidInput naming `tags` for anything that is not a name of 1-50 characters without a comma."""
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise InvalidInput(_("Tags must be a list of names."), field="tags")
    cleaned: dict[str, str] = {}
    for name in names:
        if not isinstance(name, str):
            raise InvalidInput(_("Each tag must be a text."), field="tags")
        name = name.strip()
        if not name:
            raise InvalidInput(_("A tag cannot be empty."), field="tags")
        if len(name) > TAG_MAX_LENGTH:
            raise InvalidInput(
                _("A tag has at most %(max)d characters: %(tag)s") % {"max": TAG_MAX_LENGTH, "tag": name[:60]},
                field="tags",
            )
        if "," in name:
            raise InvalidInput(_("A tag cannot contain a comma: %(tag)s") % {"tag": name}, field="tags")
        cleaned.setdefault(name.lower(), name)
    return list(cleaned.values())


def tags_get_or_create(names: Sequence[str]) -> list[Tag]:
    """The Tag rows of validated names, created when new. Safe against a concurrent create of the same name: the
    insert skips what the case-insensitive unique constraint already holds, and the rows are read back."""
    if not names:
        return []
    lowered = [name.lower() for name in names]
    # Inserted in one order whatever the order given: two transactions creating the same new tags wait for each
    # other on the unique index, never in a cycle.
    Tag.objects.bulk_create(
        [Tag(name=name) for name in sorted(names, key=lambda name: (name.lower(), name))], ignore_conflicts=True
    )
    by_lower = {tag.lowered: tag for tag in Tag.objects.annotate(lowered=Lower("name")).filter(lowered__in=lowered)}
    return [by_lower[name] for name in lowered if name in by_lower]


@transaction.atomic
def ticket_tags_change(
    *,
    ticket: Ticket,
    actor: Actor,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    now: datetime | None = None,
) -> list[str]:
    """Add and remove tags on a ticket (under its row lock), one `tags_changed` event with what actually changed.
    Returns the ticket's tag names, sorted. Nothing is written when nothing changes."""
    now = now or timezone.now()
    add_names = tags_validate(add)
    remove_names = tags_validate(remove)
    both = {name.lower() for name in add_names} & {name.lower() for name in remove_names}
    if both:
        raise InvalidInput(
            _("A tag cannot be both added and removed: %(tags)s") % {"tags": ", ".join(sorted(both))}, field="tags"
        )
    locked = lifecycle.ticket_lock(ticket.pk)
    current = {tag.name.lower(): tag for tag in locked.tags.all()}
    to_add = tags_get_or_create([name for name in add_names if name.lower() not in current])
    to_remove = [current[name.lower()] for name in remove_names if name.lower() in current]
    if to_add:
        locked.tags.add(*to_add)
    if to_remove:
        locked.tags.remove(*to_remove)
    if to_add or to_remove:
        ticket_record_event(
            ticket=locked,
            kind=EventKind.TAGS_CHANGED,
            actor=actor,
            data={"added": [tag.name for tag in to_add], "removed": [tag.name for tag in to_remove]},
            now=now,
        )
        lifecycle.ticket_move(ticket=locked, actor=actor, now=now, fields=("updated_at",))
        ticket.updated_at = locked.updated_at
    names = [tag.name for tag in current.values() if tag not in to_remove] + [tag.name for tag in to_add]
    return sorted(names, key=lambda name: (name.lower(), name))
