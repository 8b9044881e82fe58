"""Which team and which agent a ticket goes to (tickets.md, "Routing"). Reads only: the lifecycle and assignment
services write the choice."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db.models import Count

from tickets.models import OPEN_STATUSES, RoutingRule, Team, Ticket
from tickets.roles import AGENTS
from tickets.settings_cache import cached


def _routing() -> tuple[list[RoutingRule], Team | None]:
    rules = list(RoutingRule.objects.filter(is_active=True).select_related("team").order_by("position", "id"))
    return rules, Team.objects.filter(is_default=True).first()


def route(ticket: Ticket) -> Team | None:
    """The team of the first active routing rule, in order, whose conditions match; else the default team."""
    rules, default_team = cached("routing", _routing)
    for rule in rules:
        if rule.matches(ticket):
            return rule.team
    return default_team


def _candidates(team_id: int) -> list[AbstractUser]:
    return list(
        get_user_model()
        .objects.filter(teams=team_id, is_active=True, groups__name=AGENTS)
        .exclude(profile__is_available=False)
        .order_by("id")
    )


def least_loaded_agent(team: Team) -> AbstractUser | None:
    """The team's active agent, available for new tickets, with the fewest open tickets (ties: the longest-standing
    account); None when the team has none. Who may be given tickets is a setting (cached); their open tickets are
    counted at each call, in the partial index of open tickets by assignee (`ticket_assignee_open_idx`)."""
    agents = cached(f"team_agents:{team.pk}", lambda: _candidates(team.pk))
    if not agents:
        return None
    open_tickets = dict(
        Ticket.objects.filter(assignee_id__in=[agent.pk for agent in agents], status__in=OPEN_STATUSES)
        .order_by()
        .values_list("assignee_id")
        .annotate(count=Count("pk"))
    )
    return min(agents, key=lambda agent: (open_tickets.get(agent.pk, 0), agent.pk))
