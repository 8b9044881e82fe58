"""Which team and which agent a ticket goes to (tickets.md, "Routing"). Reads only: the lifecycle and assignment
services write the choice."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from tickets.models import OPEN_STATUSES, RoutingRule, Team, Ticket
from tickets.roles import AGENTS


def route(ticket: Ticket) -> Team | None:
    """The team of the first active routing rule, in order, whose conditions match; else the default team."""
    for rule in RoutingRule.objects.filter(is_active=True).select_related("team").order_by("position", "id"):
        if rule.matches(ticket):
            return rule.team
    return Team.objects.filter(is_default=True).first()


def least_loaded_agent(team: Team) -> AbstractUser | None:
    """The team's active agent, available for new tickets, with the fewest open tickets (ties: the longest-standing
    account); None when the team has none. One query: each candidate's open tickets are counted in the partial index
    of open tickets by assignee (`ticket_assignee_open_idx`)."""
    open_tickets = (
        Ticket.objects.filter(assignee=OuterRef("pk"), status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        get_user_model()
        .objects.filter(teams=team, is_active=True, groups__name=AGENTS)
        .exclude(profile__is_available=False)
        .annotate(load=Coalesce(Subquery(open_tickets, output_field=IntegerField()), Value(0)))
        .order_by("load", "id")
        .first()
    )
