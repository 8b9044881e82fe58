"""Settings every storefront call reads come from Django's cache (tickets.settings_cache), and a committed change is
seen by the next call: whether made through a model (signals), a service's update (an API key revoked) or a team's
members; a change that rolls back is never cached; with the cache down the desk reads the database."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import TeamFactory, make_staff
from tickets import services
from tickets.models import Category, RoutingRule, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

TICKETS = "/api/v1/tickets/"
BODY = {"subject": "Lost parcel", "body": "Where is it?", "category": "logistics"}


def _create(client) -> Ticket:
    response = client.post(TICKETS, BODY, format="json")
    assert response.status_code == 201, response.content
    return Ticket.objects.select_related("team", "assignee").get(public_id=response.json()["id"])


def _settings_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        _create(client)
    tables = ("tickets_routingrule", "tickets_slapolicy", "tickets_apikey", "tickets_team_members")
    return [query["sql"][:80] for query in queries.captured_queries if any(t in query["sql"] for t in tables)]


def test_settings_are_read_once_then_come_from_the_cache(storefront_client, team, agent, seeded_sla_policy):
    _create(storefront_client)
    assert _settings_queries(storefront_client) == []


def test_a_new_routing_rule_counts_from_the_next_call(storefront_client, team, agent, seeded_sla_policy):
    assert _create(storefront_client).team == team
    logistics = TeamFactory(name="Logistics")
    carrier = make_staff("carrier-desk", "agent", teams=(logistics,))
    # when a supervisor adds a rule (committed, as the admin does)
    RoutingRule.objects.create(category=Category.LOGISTICS, team=logistics, position=1)
    # then the very next ticket follows it, to the new team's agent
    ticket = _create(storefront_client)
    assert (ticket.team, ticket.assignee) == (logistics, carrier)


def test_a_team_member_leaving_counts_from_the_next_call(storefront_client, team, agent, seeded_sla_policy):
    assert _create(storefront_client).assignee == agent
    team.members.remove(agent)
    assert _create(storefront_client).assignee is None


def test_a_revoked_key_stops_at_once(storefront_client, storefront, team, seeded_sla_policy):
    _create(storefront_client)  # the key is cached now
    services.api_key_revoke(api_key=storefront.api_keys.get())
    assert storefront_client.post(TICKETS, BODY, format="json").status_code == 401


def test_a_change_rolled_back_is_never_cached(storefront_client, team, agent, seeded_sla_policy):
    _create(storefront_client)
    other = TeamFactory(name="Elsewhere")

    # given a transaction that adds a rule and routes a ticket with it (it sees its own rule), then rolls back
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        RoutingRule.objects.create(category=Category.LOGISTICS, team=other, position=1)
        assert _create(storefront_client).team == other
        raise Undo
    # then nobody routes with the rule that never was
    assert _create(storefront_client).team == team


def test_with_the_cache_down_settings_come_from_the_database(storefront_client, team, agent, settings):
    from tests.conftest import closed_port

    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{closed_port()}/0"}
    }
    assert _create(storefront_client).assignee == agent
