"""The process's cache of settings-like rows (tickets.settings_cache): used while the settings are unchanged, never a
moment after a committed change, whatever wrote it, and never showing a rolled-back one. Transactional tests: the
cache only serves settings that are committed, as in production."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from returns.models import ReturnPolicy
from returns.services.returns import policy_for
from tests.factories import TeamFactory, make_staff, make_ticket
from tickets import services
from tickets.models import ApiKey, RoutingRule

pytestmark = pytest.mark.django_db(transaction=True)

TICKETS = "/api/v1/tickets/"


@pytest.fixture(autouse=True)
def _cache_in_use(settings_version_row):
    pass


def test_a_second_read_costs_only_the_version_check(storefront):
    policy_for(storefront)
    with CaptureQueriesContext(connection) as queries:
        policy = policy_for(storefront)
    [query] = queries.captured_queries
    name = query["sql"].removeprefix("EXECUTE ")
    with connection.cursor() as cursor:  # prepared once per session (aftersales.db.prepared): which statement ran
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        assert cursor.fetchone() == (
            f"PREPARE {name} AS SELECT value, value = txid_current_if_assigned() FROM tickets_settingsversion "
            "WHERE id = 1",
        )
    assert policy.no_reason_days == 7


def test_a_revoked_key_is_refused_on_the_very_next_call(storefront_client, storefront):
    ticket = make_ticket(storefront)
    url = f"{TICKETS}{ticket.public_id}/"
    assert storefront_client.get(url).status_code == 200
    assert storefront_client.get(url).status_code == 200  # the key's lookup now comes from the cache
    # when the key is revoked (an UPDATE of its row, no model signal)
    services.api_key_revoke(api_key=ApiKey.objects.get(storefront=storefront))
    # then the next call is refused
    assert storefront_client.get(url).status_code == 401


def test_a_bulk_update_of_the_routing_is_followed_by_the_next_ticket(storefront, team):
    other = TeamFactory(name="Logistics")
    RoutingRule.objects.create(position=1, category="delivery", team=team)
    assert make_ticket(storefront, category="delivery").team == team
    # when the rule is pointed elsewhere by a bulk UPDATE (as a script or psql would)
    RoutingRule.objects.update(team=other)
    # then the very next ticket follows it
    assert make_ticket(storefront, category="delivery").team == other


def test_a_rolled_back_change_is_seen_by_nobody(storefront):
    assert policy_for(storefront).no_reason_days == 7
    seen_elsewhere = []
    changed = threading.Event()
    looked = threading.Event()

    def another_process() -> None:
        changed.wait(10)
        try:
            seen_elsewhere.append(policy_for(storefront).no_reason_days)
        finally:
            connection.close()
            looked.set()

    thread = threading.Thread(target=another_process)
    thread.start()
    with transaction.atomic():
        ReturnPolicy.objects.create(storefront=storefront, no_reason_days=30, auto_approve_limit=Decimal("100.00"))
        # this transaction sees its own change (read fresh: it wrote settings itself)...
        assert policy_for(storefront).no_reason_days == 30
        changed.set()
        looked.wait(10)
        transaction.set_rollback(True)
    thread.join(10)
    # ...another connection, meanwhile, saw the committed policy, and after the rollback nobody sees the change
    assert seen_elsewhere == [7]
    assert policy_for(storefront).no_reason_days == 7


def test_a_committed_change_is_seen_at_once_by_a_process_that_had_cached_the_old_one(storefront):
    assert policy_for(storefront).no_reason_days == 7  # cached
    seen = []

    def another_process() -> None:
        try:
            with transaction.atomic():
                ReturnPolicy.objects.create(storefront=storefront, no_reason_days=15)
        finally:
            connection.close()

    thread = threading.Thread(target=another_process)
    thread.start()
    thread.join(10)
    seen.append(policy_for(storefront).no_reason_days)
    assert seen == [15]


def test_who_may_be_given_a_ticket_is_followed_at_once(storefront, team, agent):
    assert make_ticket(storefront).assignee == agent  # the team's candidates are now cached
    # when another agent joins the team (a row of the membership table)
    newcomer = make_staff("newcomer", "agent")
    team.members.add(newcomer)
    # then the next ticket goes to them, who hold fewer open tickets
    assert make_ticket(storefront).assignee == newcomer
    # and when they go unavailable, the next one is given to an agent still at work
    services.staff_set_preferences(user=newcomer, is_available=False)
    assert make_ticket(storefront).assignee == agent
