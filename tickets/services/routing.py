"""Which team and which agent a ticket goes to (tickets.md, "Routing"). Reads only: the lifecycle and assignment
services write the choice."""

from dataclasses import dataclass

from django.db.models import Count

from tickets.models import OPEN_STATUSES, RoutingRule, Team, Ticket
from tickets.roles import AGENTS, SUPERVISORS
from tickets.settings_cache import cached


@dataclass(frozen=True)
class Agent:
    """An agent who may be given tickets: as much of the user as routing needs (cached, so kept small)."""

    pk: int
    username: str

    def get_username(self) -> str:
        return self.username


@dataclass(frozen=True)
class Routing:
    """What routing reads on every create: the active rules in order, the default team, and for each team the agents
    who may be given its tickets (active, in the agents' group, available), longest-standing account first."""

    rules: list[RoutingRule]
    default_team: Team | None
    agents: dict[int, list[Agent]]


def _routing() -> Routing:
    rules = list(RoutingRule.objects.filter(is_active=True).select_related("team").order_by("position", "id"))
    agents: dict[int, list[Agent]] = {}
    memberships = (
        Team.members.through.objects.filter(user__is_active=True, user__groups__name=AGENTS)
        .exclude(user__profile__is_available=False)
        .order_by("user_id")
        .values_list("team_id", "user_id", "user__username")
    )
    for team_id, user_id, username in memberships:
        agents.setdefault(team_id, []).append(Agent(pk=user_id, username=username))
    return Routing(rules=rules, default_team=Team.objects.filter(is_default=True).first(), agents=agents)


def route(ticket: Ticket, *, fallback: Team | None = None) -> Team | None:
    """The team of the first active routing rule, in order, whose conditions match; else the caller's fallback (a
    mailbox's default team), else the default team."""
    routing = cached("routing", _routing)
    for rule in routing.rules:
        if rule.matches(ticket):
            return rule.team
    return fallback or routing.default_team


def least_loaded_agent(team: Team) -> Agent | None:
    """The team's active agent, available for new tickets, with the fewest open tickets (ties: the longest-standing
    account); None when the team has none. Who may be given tickets is a setting (cached); their open tickets are
    counted at each call, in the partial index of open tickets by assignee (`ticket_assignee_open_idx`)."""
    agents = cached("routing", _routing).agents.get(team.pk, [])
    if not agents:
        return None
    open_tickets = _open_tickets([agent.pk for agent in agents])
    return min(agents, key=lambda agent: (open_tickets.get(agent.pk, 0), agent.pk))


def team_supervisor(team: Team) -> int | None:
    """The id of the team's supervisor (an active member in the supervisors' group) with the fewest open tickets
    (ties: the longest-standing account); None when the team has none."""
    ids = list(team.members.filter(is_active=True, groups__name=SUPERVISORS).values_list("pk", flat=True))
    if not ids:
        return None
    open_tickets = _open_tickets(ids)
    return min(ids, key=lambda pk: (open_tickets.get(pk, 0), pk))


def _open_tickets(user_ids: list[int]) -> dict[int, int]:
    # Counted in the partial index of open tickets by assignee (`ticket_assignee_open_idx`).
    return dict(
        Ticket.objects.filter(assignee_id__in=user_ids, status__in=OPEN_STATUSES)
        .order_by()
        .values_list("assignee_id")
        .annotate(count=Count("pk"))
    )
