"""Each agent's open tickets, kept by triggers on the ticket table (tickets.models.AgentLoad, migration 0015) and
read by auto-assignment instead of counting the tickets."""

import io
import json
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Sum

from tests import parallel
from tests.factories import make_staff, make_ticket
from tickets.models import OPEN_STATUSES, AgentLoad, Status, Ticket
from tickets.services import tickets as ticket_services
from tickets.services.tickets import agent_load_fold


def ledger() -> dict[int, int]:
    """Open tickets per agent as auto-assignment reads them (agents with none left out)."""
    rows = AgentLoad.objects.values("agent_id").annotate(total=Sum("open_tickets")).values_list("agent_id", "total")
    return {agent_id: total for agent_id, total in rows if total}


def counted() -> dict[int, int]:
    """Open tickets per agent, counted."""
    rows = (
        Ticket.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=False)
        .values("assignee")
        .annotate(total=Count("id"))
        .values_list("assignee", "total")
    )
    return dict(rows)


def sessions(agent) -> set[int]:
    return set(AgentLoad.objects.filter(agent_id=agent.pk).values_list("session", flat=True))


def in_ended_session(work) -> int:
    """Run work() on a database connection of its own, close it, and wait until its session has ended; its pid."""
    pid: list[int] = []

    def run() -> None:
        try:
            work()
            pid.append(connection.connection.get_backend_pid())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = %s", pid)
            if cursor.fetchone()[0] == 0:
                return pid[0]
            time.sleep(0.05)
    raise AssertionError(f"session {pid} did not end")


@pytest.mark.django_db
def test_the_sums_follow_every_way_a_ticket_starts_or_stops_being_open_for_an_agent(storefront, team, agent):
    other = make_staff("other", "agent", teams=(team,))
    first, second, third = (make_ticket(storefront) for _ in range(3))
    assert ledger() == counted() == {agent.pk: 2, other.pk: 1}

    # every status in turn, written by a bulk UPDATE as a sweep or psql would write it (OPEN_STATUSES and the
    # triggers' list must agree)
    for status in [*Status.values, Status.NEW]:
        Ticket.objects.filter(pk=first.pk).update(status=status)
        assert ledger() == counted(), status
    # through the services: resolved, reopened, assigned by hand, unassigned
    ticket_services.ticket_change_status(ticket=second, status=Status.RESOLVED, user=agent)
    assert ledger() == counted()
    ticket_services.ticket_change_status(ticket=second, status=Status.OPEN, user=agent)
    assert second.assignee == other
    ticket_services.ticket_assign(ticket=second, user=agent, assignee=agent)
    assert ledger() == counted() == {agent.pk: 3}
    ticket_services.ticket_assign(ticket=second, user=agent, assignee=None)
    assert ledger() == counted()
    # closed and given to someone else in one statement, a save() writing every column
    Ticket.objects.filter(pk=third.pk).update(status=Status.CLOSED, assignee=agent)
    assert ledger() == counted()
    first.refresh_from_db()
    first.subject = "Edited"
    first.save()
    assert ledger() == counted() == {agent.pk: 1}
    # a bare row written and deleted outside the services (tickets with messages or events cannot be deleted)
    bare = Ticket.objects.create(
        storefront=storefront, subject="Bare", assignee=other, created_at=first.created_at, updated_at=first.updated_at
    )
    assert ledger() == counted() == {agent.pk: 1, other.pk: 1}
    bare.delete()
    assert ledger() == counted() == {agent.pk: 1}
    # a statement that changes nothing for anyone writes nothing
    before = list(AgentLoad.objects.order_by("id").values_list("agent_id", "session", "open_tickets"))
    Ticket.objects.update(subject="Again")
    assert list(AgentLoad.objects.order_by("id").values_list("agent_id", "session", "open_tickets")) == before


@pytest.mark.django_db
def test_the_recount_command_rebuilds_the_sums_from_the_tickets(storefront, team, agent):
    other = make_staff("other", "agent", teams=(team,))
    for _ in range(3):
        make_ticket(storefront)
    # what loading a dump into a migrated database leaves: the dump's rows on top of what the triggers counted
    AgentLoad.objects.create(agent_id=agent.pk, session=0, open_tickets=2)
    AgentLoad.objects.create(agent_id=other.pk, session=0, open_tickets=1)
    assert ledger() == {agent.pk: 4, other.pk: 2} != counted()

    out = io.StringIO()
    call_command("recount_agent_load", stdout=out)

    assert json.loads(out.getvalue().splitlines()[-1]) == {"agents": 2, "open_tickets": 3}
    assert ledger() == counted() == {agent.pk: 2, other.pk: 1}
    assert set(AgentLoad.objects.values_list("session", flat=True)) == {0}
    # and the triggers go on from there
    make_ticket(storefront)
    assert ledger() == counted()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_session_keeps_its_own_row_and_ended_sessions_are_folded_into_row_0(storefront, agent):
    make_ticket(storefront)
    ended = in_ended_session(lambda: [make_ticket(storefront) for _ in range(3)])
    ours = connection.connection.get_backend_pid()
    assert sessions(agent) == {ours, ended}
    assert ledger() == counted() == {agent.pk: 4}

    # the ended session's row goes to row 0; the live session's stays
    assert agent_load_fold() == 1
    assert sessions(agent) == {0, ours}
    assert ledger() == counted() == {agent.pk: 4}
    # a second ended session adds to row 0, and a fold with nothing to do changes nothing
    in_ended_session(lambda: Ticket.objects.filter(assignee=agent).update(status=Status.RESOLVED))
    assert agent_load_fold() == 1
    assert agent_load_fold() == 0
    assert sessions(agent) == {0, ours}
    assert ledger() == counted() == {}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_create_folds_when_an_agent_has_too_many_rows_at_most_once_a_minute(storefront, agent, monkeypatch):
    monkeypatch.setattr(ticket_services, "AGENT_LOAD_ROWS_PER_AGENT", 2)
    monkeypatch.setattr(ticket_services, "_agent_load_folded_at", [time.monotonic() - 30])
    for _ in range(3):
        in_ended_session(lambda: make_ticket(storefront))
    assert len(sessions(agent)) == 3  # at the limit: not folded yet
    ours = connection.connection.get_backend_pid()

    make_ticket(storefront)  # the choice reads 4 rows for the agent, but this process folded 30 s ago
    assert len(sessions(agent)) == 4
    ticket_services._agent_load_folded_at[0] -= 30
    make_ticket(storefront)  # a minute later: folded

    assert sessions(agent) == {0, ours}
    assert ledger() == counted() == {agent.pk: 5}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_creates_never_wait_for_each_other_on_the_agents_sums(storefront, agent):
    holding, release = threading.Event(), threading.Event()

    def create_and_hold() -> None:
        try:
            with transaction.atomic():
                make_ticket(storefront)  # the agent's +1 written in this session, not committed
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=create_and_hold)
    holder.start()
    assert holding.wait(10)
    other = threading.Thread(target=lambda: (make_ticket(storefront), connection.close()))
    other.start()
    other.join(5)
    finished_while_held = not other.is_alive()
    release.set()
    holder.join(10)
    other.join(10)

    assert finished_while_held
    assert ledger() == counted() == {agent.pk: 2}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_creates_folds_and_writes_to_an_ended_sessions_row_at_once_lose_no_change(storefront, team, agent):
    other = make_staff("other", "agent", teams=(team,))
    in_ended_session(lambda: [make_ticket(storefront) for _ in range(4)])
    reused = 4_000_000  # a pid no live session has (Linux pids stay below 2**22): an ended session's row
    upsert = (
        "INSERT INTO tickets_agentload (agent_id, session, open_tickets) VALUES (%s, %s, 1) "
        "ON CONFLICT (agent_id, session) DO UPDATE SET open_tickets = tickets_agentload.open_tickets + 1"
    )

    def work(index: int) -> None:
        for _ in range(10):
            if index % 3 == 0:
                make_ticket(storefront)
            elif index % 3 == 1:
                agent_load_fold()
            else:  # what a new session reusing that pid writes, while folds take the row away
                with connection.cursor() as cursor:
                    cursor.execute(upsert, [agent.pk, reused])

    results = parallel.run_at_once(work, 9)

    assert results == [None] * 9
    agent_load_fold()
    assert not AgentLoad.objects.filter(session=reused).exists()
    real = counted()
    assert sum(real.values()) == 4 + 30 and set(real) == {agent.pk, other.pk}
    assert ledger() == {agent.pk: real[agent.pk] + 30, other.pk: real[other.pk]}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_fold_never_waits_and_leaves_a_row_in_use_for_the_next_one(storefront, agent):
    make_ticket(storefront)
    gone = in_ended_session(lambda: make_ticket(storefront))
    holding, release = threading.Barrier(2), threading.Event()

    def lock_row_and_hold() -> None:
        # what a new session reusing the ended one's pid would do: change that row, not committed yet
        try:
            with transaction.atomic():
                AgentLoad.objects.select_for_update().get(agent_id=agent.pk, session=gone)
                holding.wait(10)
                release.wait(10)
        finally:
            connection.close()

    def fold_and_hold() -> None:
        try:
            with transaction.atomic():
                agent_load_fold()  # holds the fold's lock until this transaction ends
                holding.wait(10)
                release.wait(10)
        finally:
            connection.close()

    for hold, expected in ((lock_row_and_hold, 0), (fold_and_hold, 0)):
        holder = threading.Thread(target=hold)
        holder.start()
        holding.wait(10)
        started = time.monotonic()
        folded = agent_load_fold()
        waited = time.monotonic() - started
        release.set()
        holder.join(10)
        release.clear()
        holding.reset()
        assert (folded, waited < 2) == (expected, True)
        if hold is lock_row_and_hold:
            assert gone in sessions(agent)  # skipped, still counted
            assert ledger() == counted() == {agent.pk: 2}

    # the holder that folded took the row once it was free; the sums never changed
    assert gone not in sessions(agent)
    assert ledger() == counted() == {agent.pk: 2}
