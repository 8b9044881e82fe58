"""Reads of the ticket core, with the visibility rules of tickets.md.

An agent sees the tickets of their teams and the tickets assigned to them; a supervisor sees all; a storefront
sees only its own. Every list here costs a fixed number of queries whatever its length.
"""

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import JSONObject, Lower
from django.http import Http404
from django.utils import timezone, translation

from tickets import roles
from tickets.models import (
    OPEN_STATUSES,
    BulkJob,
    CannedResponse,
    Customer,
    Kind,
    Macro,
    MacroScope,
    Message,
    MessageKind,
    SavedView,
    SlaClock,
    Storefront,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    TimeRule,
    Trigger,
)
from tickets.panels import reference_ticket_ids

QUEUE_SCOPES = ("mine", "team", "unassigned", "all")
QUEUE_FILTERS = ("status", "kind", "category", "severity", "channel", "storefront", "tags")
# The status filter's "any status": closed and resolved tickets too.
STATUS_ANY = "any"


def tickets_visible_to(user: Any) -> QuerySet[Ticket]:
    if roles.is_supervisor(user):
        return Ticket.objects.all()
    if not roles.is_agent(user):
        return Ticket.objects.none()
    return Ticket.objects.filter(Q(team__in=user.teams.all()) | Q(assignee=user))


def ticket_queue(
    *,
    user: Any,
    scope: str = "mine",
    filters: dict[str, Any] | None = None,
    search: str = "",
    ordering: tuple[str, ...] = (),
) -> QuerySet[Ticket]:
    """The desk queue: soonest SLA deadline first (tickets without a running clock last), then oldest first.

    Without a status filter it shows the tickets still open (new, open, pending, on hold); `status="any"` shows every
    status, and so does a search for a reference.
    """
    filters = filters or {}
    tickets = tickets_visible_to(user)
    if scope == "mine":
        tickets = tickets.filter(assignee=user)
    elif scope == "team":
        tickets = tickets.filter(team__in=user.teams.all())
    elif scope == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    status = filters.get("status")
    search = search.strip()
    if status == STATUS_ANY or _reference_q(search) is not None:
        # A reference names one ticket: it is found whatever the status filter says (a resolved ticket too).
        pass
    elif status:
        tickets = tickets.filter(status__in=status if isinstance(status, (list, tuple)) else [status])
    else:
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    for field in ("kind", "category", "severity", "channel"):
        if filters.get(field):
            tickets = tickets.filter(**{field: filters[field]})
    if filters.get("storefront"):
        tickets = tickets.filter(storefront_id=filters["storefront"])
    if filters.get("sla"):
        tickets = tickets.filter(sla_state_q(filters["sla"]))
    for name in filters.get("tags") or ():
        tickets = tickets.filter(tagged_q(name))
    if filters.get("team"):
        tickets = tickets.filter(team_id=filters["team"])
    assignee = filters.get("assignee")
    if assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee:
        tickets = tickets.filter(assignee__username=assignee)
    tz = timezone.get_current_timezone()
    if filters.get("created_from"):
        start = datetime.combine(date.fromisoformat(filters["created_from"]), time.min, tzinfo=tz)
        tickets = tickets.filter(created_at__gte=start)
    if filters.get("created_to"):
        end = datetime.combine(date.fromisoformat(filters["created_to"]) + timedelta(days=1), time.min, tzinfo=tz)
        tickets = tickets.filter(created_at__lt=end)
    if search:
        tickets = tickets.filter(_search_q(search))
    # NULLS LAST spelled out: PostgreSQL sorts nulls last ascending by default (and the (next_due_at, id) indexes
    # are built that way), SQLite first.
    return with_tag_names(tickets.select_related("customer", "team", "assignee", "storefront")).order_by(
        *(ordering or (F("next_due_at").asc(nulls_last=True), "id"))
    )


def saved_views_for(*, user: Any) -> QuerySet[SavedView]:
    """The queue tabs of a user: their personal views, then their teams' (every team's for supervisors)."""
    team_views = Q(team__isnull=False) if roles.is_supervisor(user) else Q(team__in=user.teams.all())
    return SavedView.objects.filter(Q(team__isnull=True, owner=user) | team_views).select_related("team")


def saved_view_get_for_user(*, user: Any, view_id: int) -> SavedView | None:
    return saved_views_for(user=user).filter(pk=view_id).first()


def saved_view_queue(
    *,
    user: Any,
    view: SavedView,
    filters: dict[str, Any] | None = None,
    search: str = "",
    scope: str = "all",
    ordering: tuple[str, ...] = (),
) -> QuerySet[Ticket]:
    """The tickets a saved view lists for this user (within what they may see), in its sort.

    `filters`, `search` and `scope` are what the reader picks on top of the view (the queue's filter form, the desk
    list's parameters): they narrow the view, never widen or replace its own filters (see `view_filters_narrowed`).
    The queue page, its bulk "all matching" and the desk list all read a view through here, so the three list the
    same tickets.
    """
    from tickets.services.views import SORTS

    view_filters = dict(view.filters)
    view_search = (view_filters.pop("q", "") or "").strip()
    narrowed = view_filters_narrowed(view_filters, filters or {})
    ordering = ordering or SORTS.get(view.sort, ())
    if narrowed is None:
        # Picks that cannot hold together with the view (a "pending" view, "open" picked): nothing, without asking
        # the database (a search would cost its probe query).
        return Ticket.objects.none()
    search = search.strip()
    # The picked search goes to ticket_queue, so that a reference typed in finds its ticket as on the plain queue;
    # the view's own search is one more condition.
    tickets = ticket_queue(user=user, scope=scope, filters=narrowed, search=search or view_search, ordering=ordering)
    if search and view_search:
        tickets = tickets.filter(_search_q(view_search))
    view_statuses = view_filters.get("status")
    if view_statuses and (_reference_q(search) is not None or _reference_q(view_search) is not None):
        # A reference skips the status filter in ticket_queue; a view's own statuses still hold.
        tickets = tickets.filter(status__in=view_statuses)
    return tickets


def view_filters_narrowed(view_filters: dict[str, Any], picked: dict[str, Any]) -> dict[str, Any] | None:
    """A view's filters with the reader's picks on top, each narrowing the view; None when they cannot both hold.

    A key the view leaves unset takes the pick as on the plain queue. Where the view sets it: `status` keeps the
    statuses in both (none in common: nothing; "any" picked changes nothing); `tags` must carry the view's and the
    picked ones; `created_from` / `created_to` keep the later start and the earlier end; any other key holds one
    value, so a different pick matches nothing.
    """
    narrowed = dict(view_filters)
    for key, value in picked.items():
        held = narrowed.get(key)
        if value in (None, "", [], ()):
            continue
        if held in (None, "", [], ()):
            narrowed[key] = value
        elif key == "status":
            if value == STATUS_ANY:
                continue
            chosen = set(value) if isinstance(value, (list, tuple)) else {value}
            common = sorted(set(held) & chosen)
            if not common:
                return None
            narrowed[key] = common
        elif key == "tags":
            narrowed[key] = [*held, *value]
        elif key == "created_from":
            narrowed[key] = max(held, value)
        elif key == "created_to":
            narrowed[key] = min(held, value)
        elif str(held) != str(value):
            return None
    return narrowed


def tagged_q(name: str) -> Q:
    """Tickets carrying the tag `name`, in any case (the lower(name) index finds the tag)."""
    carrying = Ticket.tags.through.objects.annotate(tag_lower=Lower("tag__name")).filter(
        ticket_id=OuterRef("pk"), tag_lower=name.strip().lower()
    )
    return Q(Exists(carrying))


def with_tag_names(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets with `tag_names`, their tags' names sorted, read in the same query as the tickets (a list of 50
    rows costs no extra query)."""
    names = Tag.objects.filter(tickets=OuterRef("pk")).order_by(Lower("name"), "name").values("name")
    return tickets.annotate(tag_names=ArraySubquery(names))


def with_links(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets with `linked`: their related tickets' reference, subject and status, in the same query."""
    linked = (
        Ticket.links.through.objects.filter(from_ticket_id=OuterRef("pk"))
        .order_by("to_ticket_id")
        .values(
            json=JSONObject(reference="to_ticket__reference", subject="to_ticket__subject", status="to_ticket__status")
        )
    )
    return tickets.annotate(linked=ArraySubquery(linked))


def linked_tickets_of(ticket: Ticket) -> list[dict[str, Any]]:
    linked = getattr(ticket, "linked", None)
    if linked is None:
        linked = [
            {"reference": other.reference, "subject": other.subject, "status": other.status}
            for other in ticket.links.order_by("pk")
        ]
    return list(linked)


def tag_names_of(ticket: Ticket) -> list[str]:
    """A ticket's tag names, sorted: from `with_tag_names` when the ticket was read with it."""
    names = getattr(ticket, "tag_names", None)
    if names is None:
        names = sorted(ticket.tags.values_list("name", flat=True), key=lambda name: (name.lower(), name))
    return list(names)


def tags_matching(*, prefix: str, limit: int = 20) -> list[str]:
    """Tag names starting with `prefix` (any case), for autocomplete: the most used first."""
    prefix = prefix.strip().lower()
    tags = Tag.objects.annotate(lowered=Lower("name"))
    if prefix:
        tags = tags.filter(lowered__startswith=prefix)
    return list(
        tags.annotate(uses=Count("tickets")).order_by("-uses", "lowered").values_list("name", flat=True)[:limit]
    )


SLA_STATES = ("on_track", "at_risk", "breached")


def sla_state_q(state: str, now: datetime | None = None) -> Q:
    """Tickets by SLA state, from the ticket's own soonest deadline and warning point (no per-row clock reads):
    breached = a running clock is past its deadline; at risk = past a warning point, none past its deadline;
    on track = running clocks, none past either."""
    now = now or timezone.now()
    if state == "breached":
        return Q(next_due_at__lte=now)
    if state == "at_risk":
        return Q(next_warn_at__lte=now, next_due_at__gt=now)
    if state == "on_track":
        return Q(next_warn_at__gt=now, next_due_at__gt=now)
    return Q()


def ticket_clocks(*, ticket: Ticket) -> list[SlaClock]:
    """A ticket's SLA clocks, running ones first (soonest deadline first), then the history, latest first."""
    clocks = list(SlaClock.objects.filter(ticket=ticket).order_by("started_at", "id"))
    running = sorted((c for c in clocks if c.stopped_at is None), key=lambda c: (c.paused_at is not None, c.due_at))
    stopped = sorted((c for c in clocks if c.stopped_at is not None), key=lambda c: c.stopped_at, reverse=True)
    return running + stopped


# What agents and customers quote, typed in any case: a ticket's reference (T-000123) or its return's or complaint's.
REFERENCE_PATTERN = re.compile(r"[A-Z]-\d+", re.IGNORECASE)

# A term matching more rows than this in customer names, subjects and messages is common (a word like "refund").
COMMON_TERM_ROWS = 10_000


def _reference_q(text: str) -> Q | None:
    """The ticket a reference names: its own (T-000123) or its return's or complaint's (R-, C-: the apps register
    theirs in tickets.panels); None when the text is no reference."""
    if not REFERENCE_PATTERN.fullmatch(text):
        return None
    # References are stored upper-case: `reference = 'T-000123'` uses the unique index; iexact would compile to
    # UPPER(reference) and could not.
    reference = text.upper()
    if reference.startswith("T-"):
        return Q(reference=reference)
    ticket_ids = reference_ticket_ids(reference)
    return Q(pk__in=ticket_ids) if ticket_ids is not None else None


def _search_q(text: str) -> Q:
    """Reference, customer name/e-mail/phone, order id, and words in the subject or the messages.

    A reference-looking term matches that reference only. Anything else is a UNION of one subquery per field: an
    OR across joined tables can use no index (PostgreSQL then filters every visible ticket and reads every
    message), while each branch of the UNION uses its own (see migration 0006_search_indexes). A UNION costs what
    its matches cost, though: for a common word (a million messages) it takes seconds, while walking the queue in
    its order and testing each ticket stops at the first page. So one probe query first counts the word's matches
    up to COMMON_TERM_ROWS, and a common word is tested ticket by ticket instead.
    """
    reference = _reference_q(text)
    if reference is not None:
        return reference
    # One branch per field, each with its own index.
    exact = [
        Ticket.objects.filter(reference=text.upper()).values("pk"),
        Ticket.objects.filter(order_external_id=text).values("pk"),
        Ticket.objects.filter(customer__email__iexact=text).values("pk"),
        Ticket.objects.filter(customer__phone=text).values("pk"),
    ]
    in_words = [
        Ticket.objects.filter(customer__name__icontains=text).values("pk"),
        Ticket.objects.filter(subject__icontains=text).values("pk"),
        Message.objects.filter(body__icontains=text).values("ticket_id"),
    ]
    first, *others = exact
    if _is_common(in_words):
        in_messages = Message.objects.filter(ticket=OuterRef("pk"), body__icontains=text)
        return (
            Q(pk__in=first.union(*others))
            | Q(customer__name__icontains=text)
            | Q(subject__icontains=text)
            | Q(Exists(in_messages))
        )
    return Q(pk__in=first.union(*others, *in_words))


def _is_common(branches: list[QuerySet[Any]]) -> bool:
    # LIMIT 1 OFFSET n over a UNION ALL: PostgreSQL stops reading as soon as the row past the threshold turns up.
    first, *others = branches
    return first.union(*others, all=True)[COMMON_TERM_ROWS : COMMON_TERM_ROWS + 1].exists()


def ticket_get_for_user(*, user: Any, reference: str) -> Ticket:
    """The ticket if this user may see it; 404 otherwise (never 403, so references cannot be probed)."""
    ticket = (
        with_links(with_tag_names(tickets_visible_to(user)))
        .select_related("customer", "team", "assignee", "storefront", "previous_ticket", "merged_into")
        .filter(reference=reference)
        .first()
    )
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def tickets_get_for_user(*, user: Any, references: Iterable[str]) -> tuple[list[Ticket], list[str]]:
    """The tickets of these references (trimmed, upper-case, each once, in the order given) that this user may see,
    in one query, and the references that name no such ticket."""
    wanted = list(dict.fromkeys(reference.strip().upper() for reference in references if reference.strip()))
    found = {
        ticket.reference: ticket
        for ticket in tickets_visible_to(user).select_related("storefront").filter(reference__in=wanted)
    }
    return [found[reference] for reference in wanted if reference in found], [
        reference for reference in wanted if reference not in found
    ]


def ticket_get_for_storefront(*, storefront: Storefront, public_id: Any) -> Ticket:
    """A storefront's own ticket by its public id; another storefront's or an unknown one is 404."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404("No such ticket.") from None
    ticket = (
        Ticket.objects.select_related("customer", "merged_into")
        .filter(storefront=storefront, public_id=public_id)
        .first()
    )
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def ticket_public_messages(*, ticket: Ticket) -> QuerySet[Message]:
    """What the customer and the storefront may see: replies and the customer's own messages, never notes."""
    return (
        ticket.messages.exclude(kind=MessageKind.INTERNAL)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def ticket_timeline(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's events, oldest first, with their actors, messages and attachments, in three queries."""
    return (
        ticket.events.select_related("actor_user", "actor_storefront", "message", "message__author")
        .prefetch_related(Prefetch("message__attachments"))
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class CustomerTickets:
    """The customer's other tickets beside a ticket (newest first, at most `limit`), counts over all of theirs, and
    the language they are written to in (their storefront's)."""

    tickets: list[Ticket]
    total: int
    returns: int
    complaints: int
    language: str


def _same_customer_q(customer: Customer) -> Q:
    """Tickets of the same person in one storefront: the same customer row, or a customer with the same storefront
    id, e-mail (any case) or phone -- storefronts and the desk create a new customer row per contact more often than
    not. Blank values match nothing."""
    same = Q(customer_id=customer.pk)
    if customer.external_id:
        same |= Q(customer__external_id=customer.external_id)
    if customer.email:
        same |= Q(customer__email__iexact=customer.email)
    if customer.phone:
        same |= Q(customer__phone=customer.phone)
    return same


def customer_tickets(*, ticket: Ticket, user: Any, limit: int = 10) -> CustomerTickets:
    """The customer's other tickets this user may see, in the ticket's storefront, and how many tickets, returns and
    complaints they have in all (this one included). Two queries whatever the numbers."""
    customer = ticket.customer
    language = ticket.storefront.language
    if customer is None:
        return CustomerTickets(tickets=[], total=0, returns=0, complaints=0, language=language)
    theirs = tickets_visible_to(user).filter(_same_customer_q(customer), storefront_id=ticket.storefront_id)
    others = list(theirs.exclude(pk=ticket.pk).order_by("-created_at", "-id")[:limit])
    counts = theirs.aggregate(
        total=Count("id"),
        returns=Count("id", filter=Q(kind=Kind.RETURN)),
        complaints=Count("id", filter=Q(kind=Kind.COMPLAINT)),
    )
    return CustomerTickets(tickets=others, language=language, **counts)


def team_names_shown() -> dict[str, str]:
    """Team names as events recorded them -> the names a reader of the active language sees (Chinese names for
    Chinese readers; nothing to map, and no query, otherwise)."""
    if translation.get_language() != "zh-hans":
        return {}
    return dict(Team.objects.exclude(name_zh="").values_list("name", "name_zh"))


def canned_responses_for(*, user: Any, ticket: Ticket | None = None) -> QuerySet[CannedResponse]:
    """The active canned responses a user may pick, by title: the shared ones (no team), and the team's own wording
    -- on a ticket, that of the ticket's team (whoever may see the ticket writes in its team's words); elsewhere,
    that of the user's teams (every team's for supervisors)."""
    canned = CannedResponse.objects.filter(is_active=True).select_related("team").order_by("title", "id")
    if ticket is not None:
        return canned.filter(Q(team__isnull=True) | Q(team_id=ticket.team_id))
    if roles.is_supervisor(user):
        return canned
    return canned.filter(Q(team__isnull=True) | Q(team__in=user.teams.all()))


def customer_get_for_storefront(*, storefront: Storefront, external_id: str) -> Customer:
    """A storefront's own customer by the storefront's id for them; another storefront's or an unknown one is 404."""
    customer = Customer.objects.filter(storefront=storefront, external_id=external_id).exclude(external_id="").first()
    if customer is None:
        raise Http404("No such customer.")
    return customer


def customers_by_email(*, email: str, storefront: Storefront | None = None) -> QuerySet[Customer]:
    """Customers with this e-mail address (any case), in every storefront or one."""
    customers = Customer.objects.filter(email__iexact=email.strip()).exclude(email="")
    if storefront is not None:
        customers = customers.filter(storefront=storefront)
    return customers.select_related("storefront").order_by("pk")


def bulk_job_get_for_user(*, user: Any, job_id: int) -> BulkJob | None:
    """A bulk action its author may follow (supervisors: anyone's); None otherwise."""
    jobs = BulkJob.objects.all() if roles.is_supervisor(user) else BulkJob.objects.filter(user=user)
    return jobs.filter(pk=job_id).first()


def macros_for(*, user: Any, ticket: Ticket | None = None) -> QuerySet[Macro]:
    """The active macros a user may apply: global ones, their own, and their teams' (on a ticket: its team's too;
    supervisors: every team's)."""
    teams = (
        Q(scope=MacroScope.TEAM) if roles.is_supervisor(user) else Q(scope=MacroScope.TEAM, team__in=user.teams.all())
    )
    if ticket is not None and ticket.team_id is not None:
        teams |= Q(scope=MacroScope.TEAM, team_id=ticket.team_id)
    return (
        Macro.objects.filter(is_active=True)
        .filter(Q(scope=MacroScope.GLOBAL) | Q(scope=MacroScope.PERSONAL, owner=user) | teams)
        .select_related("team", "owner")
    )


def macros_managed_by(*, user: Any) -> QuerySet[Macro]:
    """The macros a user may see to manage: their own, and (supervisors) every team and global one; active or not."""
    shared = Q(scope__in=[MacroScope.TEAM, MacroScope.GLOBAL]) if roles.is_supervisor(user) else Q(pk__in=[])
    return Macro.objects.filter(Q(scope=MacroScope.PERSONAL, owner=user) | shared).select_related("team", "owner")


def automation_rules(model: type[Trigger] | type[TimeRule]) -> QuerySet[Any]:
    """Triggers or time rules in position order, each with how often it fired and when last (one query)."""
    return model.objects.annotate(fired=Count("firings"), last_fired_at=Max("firings__fired_at")).order_by(
        "position", "id"
    )
