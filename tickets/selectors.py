"""Reads of the ticket core, with the visibility rules of tickets.md.

An agent sees the tickets of their teams and the tickets assigned to them; a supervisor sees all; a storefront
sees only its own. Every list here costs a fixed number of queries whatever its length.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from tickets import roles
from tickets.models import (
    OPEN_STATUSES,
    CannedResponse,
    Customer,
    Kind,
    Message,
    MessageKind,
    SlaClock,
    Storefront,
    Ticket,
    TicketEvent,
)

QUEUE_SCOPES = ("mine", "team", "unassigned", "all")
QUEUE_FILTERS = ("status", "kind", "category", "severity", "channel", "storefront")
# The status filter's "any status": closed and resolved tickets too.
STATUS_ANY = "any"


def tickets_visible_to(user: Any) -> QuerySet[Ticket]:
    if roles.is_supervisor(user):
        return Ticket.objects.all()
    if not roles.is_agent(user):
        return Ticket.objects.none()
    return Ticket.objects.filter(Q(team__in=user.teams.all()) | Q(assignee=user))


def ticket_queue(
    *, user: Any, scope: str = "mine", filters: dict[str, Any] | None = None, search: str = ""
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
    if REFERENCE_PATTERN.fullmatch(search) or status == STATUS_ANY:
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
    if search:
        tickets = tickets.filter(_search_q(search))
    # NULLS LAST spelled out: PostgreSQL sorts nulls last ascending by default (and the (next_due_at, id) indexes
    # are built that way), SQLite first.
    return tickets.select_related("customer", "team", "assignee", "storefront").order_by(
        F("next_due_at").asc(nulls_last=True), "id"
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


# What agents and customers quote: `T-000123`, typed in any case.
REFERENCE_PATTERN = re.compile(r"T-\d+", re.IGNORECASE)

# A term matching more rows than this in customer names, subjects and messages is common (a word like "refund").
COMMON_TERM_ROWS = 10_000


def _search_q(text: str) -> Q:
    """Reference, customer name/e-mail/phone, order id, and words in the subject or the messages.

    A reference-looking term matches that reference only. Anything else is a UNION of one subquery per field: an
    OR across joined tables can use no index (PostgreSQL then filters every visible ticket and reads every
    message), while each branch of the UNION uses its own (see migration 0006_search_indexes). A UNION costs what
    its matches cost, though: for a common word (a million messages) it takes seconds, while walking the queue in
    its order and testing each ticket stops at the first page. So one probe query first counts the word's matches
    up to COMMON_TERM_ROWS, and a common word is tested ticket by ticket instead.
    """
    if REFERENCE_PATTERN.fullmatch(text):
        # References are stored upper-case: `reference = 'T-000123'` uses the unique index; iexact would compile to
        # UPPER(reference) and could not.
        return Q(reference=text.upper())
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
        tickets_visible_to(user)
        .select_related("customer", "team", "assignee", "storefront", "previous_ticket")
        .filter(reference=reference)
        .first()
    )
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def ticket_get_for_storefront(*, storefront: Storefront, public_id: Any) -> Ticket:
    """A storefront's own ticket by its public id; another storefront's or an unknown one is 404."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404("No such ticket.") from None
    ticket = Ticket.objects.select_related("customer").filter(storefront=storefront, public_id=public_id).first()
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
    """The customer's other tickets beside a ticket (newest first, at most `limit`), and counts over all of theirs."""

    tickets: list[Ticket]
    total: int
    returns: int
    complaints: int


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
    if customer is None:
        return CustomerTickets(tickets=[], total=0, returns=0, complaints=0)
    theirs = tickets_visible_to(user).filter(_same_customer_q(customer), storefront_id=ticket.storefront_id)
    others = list(theirs.exclude(pk=ticket.pk).order_by("-created_at", "-id")[:limit])
    counts = theirs.aggregate(
        total=Count("id"),
        returns=Count("id", filter=Q(kind=Kind.RETURN)),
        complaints=Count("id", filter=Q(kind=Kind.COMPLAINT)),
    )
    return CustomerTickets(tickets=others, **counts)


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
