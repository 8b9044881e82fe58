"""The ticket state machine, every (from, to) pair: each allowed move works and does to the SLA clocks what sla.md
says; every other move answers 409 through the desk API and changes nothing (status, fields, clocks, timeline)."""

from datetime import timedelta
from itertools import product

import pytest

from tests.factories import make_ticket
from tickets import services
from tickets.models import ALLOWED_MOVES, EventKind, Metric, SlaClock, Status, Ticket

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)

# How a ticket created at T0 reaches each status at T0 + 1 h (and, for closed, T0 + 2 h), through the services.
PATHS = {
    Status.NEW: [],
    Status.OPEN: [Status.OPEN],
    Status.PENDING: [Status.PENDING],
    Status.ON_HOLD: [Status.ON_HOLD],
    Status.RESOLVED: [Status.RESOLVED],
    Status.CLOSED: [Status.RESOLVED, Status.CLOSED],
}


def _clocks(ticket: Ticket) -> dict[str, tuple]:
    return {
        clock.metric: (clock.started_at, clock.due_at, clock.paused_at, clock.paused_seconds, clock.stopped_at)
        for clock in SlaClock.objects.filter(ticket=ticket)
    }


def _ticket_in(storefront, start: str, t0):
    ticket = make_ticket(storefront, now=t0)
    for step, status in enumerate(PATHS[start], start=1):
        ticket = services.ticket_change_status(ticket=ticket, status=status, now=t0 + step * H)
    return ticket


@pytest.mark.parametrize(("start", "to"), list(product(Status.values, Status.values)))
def test_every_move_of_the_table_works_and_every_other_is_refused(storefront, team, agent, agent_api, start, to):
    t0 = agent.date_joined.replace(microsecond=0) + timedelta(days=1)
    t1 = t0 + 3 * H
    ticket = _ticket_in(storefront, start, t0)
    before = _clocks(ticket)
    events_before = ticket.events.count()
    fields_before = Ticket.objects.filter(pk=ticket.pk).values().get()

    if to not in ALLOWED_MOVES[start]:
        response = agent_api.post(f"/api/v1/desk/tickets/{ticket.reference}/status/", {"status": to}, format="json")
        if to == start:
            # not a move: nothing to do, and nothing written (a retried request, or "reply and keep pending")
            assert response.status_code == 200, response.content
        else:
            assert response.status_code == 409, response.content
            assert response.json()["type"] == "illegal_state_change"
        assert _clocks(ticket) == before
        assert ticket.events.count() == events_before
        assert Ticket.objects.filter(pk=ticket.pk).values().get() == fields_before
        return

    services.ticket_change_status(ticket=ticket, status=to, user=agent, now=t1)

    ticket.refresh_from_db()
    after = _clocks(ticket)
    assert ticket.status == to
    event = ticket.events.order_by("-id").first()
    assert (event.kind, event.data["from"], event.data["to"], event.actor_user) == (
        EventKind.STATUS_CHANGED,
        start,
        to,
        agent,
    )
    resolution = after[Metric.RESOLUTION]
    if to == Status.RESOLVED:
        # resolving stops every clock of the request; a pause that was running ends at the resolve
        for metric in (Metric.ACKNOWLEDGEMENT, Metric.RESPONSE, Metric.RESOLUTION):
            assert after[metric][4] == t1
        assert resolution[3] == (7200 if start == Status.PENDING else 0)
        assert ticket.resolved_at == t1
        assert ticket.next_due_at is None
    elif to == Status.PENDING:
        # waiting on the customer pauses the resolution clock only
        assert resolution[2] == t1 and resolution[4] is None
        assert {metric: after[metric] for metric in after if metric != Metric.RESOLUTION} == {
            metric: before[metric] for metric in before if metric != Metric.RESOLUTION
        }
        assert ticket.next_due_at == before[Metric.RESPONSE][1]  # the resolution deadline no longer counts
        assert ticket.pending_since == t1
    elif start == Status.PENDING:
        # leaving pending resumes it, its deadline pushed back by the pause
        assert resolution[2] is None and resolution[3] == 7200
        assert resolution[1] == before[Metric.RESOLUTION][1] + 2 * H
        assert ticket.pending_seconds == 7200 and ticket.pending_since is None
    elif start == Status.RESOLVED and to == Status.OPEN:
        # a reopen resumes the resolution clock; the time spent resolved counts like a pause
        assert resolution[4] is None and resolution[3] == 7200
        assert resolution[1] == before[Metric.RESOLUTION][1] + 2 * H
        assert after[Metric.ACKNOWLEDGEMENT] == before[Metric.ACKNOWLEDGEMENT]
        assert ticket.resolved_at is None
        assert ticket.next_due_at == resolution[1]
    else:
        # new -> open, to and from on hold, resolved -> closed: no clock moves
        assert after == before
    if to == Status.CLOSED:
        assert ticket.closed_at == t1
