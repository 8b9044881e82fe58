"""Extension points of the desk: ticket-page panels and navigation items provided by apps above `tickets`.

`tickets` never imports `returns`, `complaints` or `alerts`; those apps register here from their
AppConfig.ready(), and the desk asks the registry what to show. The registry is filled once per process at start-up
and only read afterwards, so it needs no locking and every process builds the same one.

    from tickets.panels import register_ticket_panel, register_nav_item
    register_ticket_panel(kind="return", build=build_return_panel, order=10)  # build(request, ticket) -> dict | None
    register_nav_item(label=_("Returns"), url_name="returns:queue", visible=lambda user: ..., order=20)

A panel builder returns None (nothing to show) or a dict with "template" plus that template's context.

Context providers fill facts the ticket's own page and the desk API both show beside the ticket, in a shape tickets
defines (e.g. "order": tickets.api.common.OrderContextOut), from models of the apps above:

    register_ticket_context(key="order", build=build_order_context)  # build(ticket, user) -> dict | None

References of other apps' objects (a return's R-000123) find their tickets in the queue's search:

    register_reference(prefix="R-", ticket_ids=lambda reference: ReturnRequest.objects.filter(...).values("ticket_id"))
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

PanelBuilder = Callable[[HttpRequest, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class TicketPanel:
    kind: str
    build: PanelBuilder
    order: int


@dataclass(frozen=True)
class NavItem:
    label: Any
    url_name: str
    visible: Callable[[Any], bool] | None
    order: int


@dataclass(frozen=True)
class NavLink:
    """What the layout renders: a label, a resolved URL and the URL name (to mark the current page)."""

    label: Any
    url: str
    url_name: str


_panels: dict[str, TicketPanel] = {}
_contexts: dict[str, Callable[[Any, Any], Any]] = {}
_landings: dict[str, Callable[[Any], bool]] = {}
_event_values: dict[str, dict[str, Any]] = {}
_nav_items: dict[str, NavItem] = {}
_references: dict[str, Callable[[str], Any]] = {}


def register_ticket_panel(*, kind: str, build: PanelBuilder, order: int = 100) -> None:
    """Show a panel on the ticket page. Registering the same kind again replaces it (ready() may run twice)."""
    _panels[kind] = TicketPanel(kind=kind, build=build, order=order)


def register_nav_item(
    *, label: Any, url_name: str, visible: Callable[[Any], bool] | None = None, order: int = 100
) -> None:
    """Add a link to the desk navigation, shown to users for whom `visible(user)` is true (everyone if None)."""
    _nav_items[url_name] = NavItem(label=label, url_name=url_name, visible=visible, order=order)


def register_ticket_context(*, key: str, build: Callable[[Any, Any], Any]) -> None:
    """Provide one fact beside the ticket (page and desk API), as `user` may see it. Registering the same key again
    replaces it."""
    _contexts[key] = build


def register_reference(*, prefix: str, ticket_ids: Callable[[str], Any]) -> None:
    """Let the desk's search find tickets by another app's reference: `ticket_ids(reference)` (the reference in upper
    case) is a queryset of the ids of the tickets it names, used as a subquery."""
    _references[prefix.upper()] = ticket_ids


def reference_ticket_ids(reference: str) -> Any:
    """The subquery of the tickets another app's reference names; None when no app knows its prefix."""
    for prefix, ticket_ids in _references.items():
        if reference.upper().startswith(prefix):
            return ticket_ids(reference.upper())
    return None


def register_event_values(*, kind: str, labels: Any) -> None:
    """Labels (lazy translations) of the codes an app's events carry in `from`, `to` and `action`, e.g. the return
    states, so that the ticket's timeline says them in the reader's language. Merged with earlier registrations."""
    _event_values.setdefault(kind, {}).update({str(code): label for code, label in dict(labels).items()})


def event_value_label(kind: str, code: Any) -> str | None:
    label = _event_values.get(kind, {}).get(str(code))
    return str(label) if label is not None else None


def register_landing_page(*, url_name: str, applies: Callable[[Any], bool]) -> None:
    """Where the desk sends a user who has no ticket queue (e.g. finance to its refunds): the first page registered
    whose `applies(user)` is true."""
    _landings[url_name] = applies


def landing_url(user: Any) -> str | None:
    for url_name, applies in _landings.items():
        if applies(user):
            try:
                return reverse(url_name)
            except NoReverseMatch:
                continue
    return None


def ticket_context(ticket: Any, key: str, *, user: Any) -> Any:
    """The fact `key` for this ticket as this user may see it, from its provider; None when nothing provides it or
    there is nothing to show."""
    build = _contexts.get(key)
    return build(ticket, user) if build is not None else None


def panels_for(request: HttpRequest, ticket: Any) -> list[dict[str, Any]]:
    """The panels to render for this ticket, in order; each is a dict with "template", "kind" and its context."""
    shown: list[dict[str, Any]] = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.kind)):
        context = panel.build(request, ticket)
        if context is None:
            continue
        if "template" not in context:
            raise ValueError(f"Ticket panel {panel.kind!r} returned no template.")
        shown.append({"kind": panel.kind, **context})
    return shown


def nav_items(user: Any) -> list[NavLink]:
    """The navigation links this user may see, in order. Links whose URL is not routed are left out."""
    links: list[NavLink] = []
    for item in sorted(_nav_items.values(), key=lambda i: (i.order, i.url_name)):
        if item.visible is not None and not item.visible(user):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        links.append(NavLink(label=item.label, url=url, url_name=item.url_name))
    return links
