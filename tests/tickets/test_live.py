"""The live ticket page's websocket (tickets/consumers.py): who may subscribe, what a subscriber hears."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from aftersales.asgi import application
from tests.factories import make_staff, make_ticket
from tickets import services

# transaction=True: channels closes the thread's connection around each database call (database_sync_to_async),
# which a test inside one transaction cannot survive; and the change is announced only after a real commit.
pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")


def run(scenario):
    """The scenario on an event loop of its own thread: in a whole run, the browser tests' Playwright keeps an event
    loop running in the main thread, where asgiref's async_to_sync refuses to start another."""

    async def then_close():
        try:
            return await scenario()
        finally:
            # The consumer's database calls ran in asgiref's sync thread, whose connection would outlive the test
            # and keep the test database from being dropped.
            await database_sync_to_async(connections.close_all)()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, then_close()).result()


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def socket(ticket, cookie: bytes | None, origin=ORIGIN) -> WebsocketCommunicator:
    headers = [origin, *([(b"cookie", cookie)] if cookie else [])]
    return WebsocketCommunicator(application, f"/ws/tickets/{ticket.reference}/", headers=headers)


async def receive_until(communicator: WebsocketCommunicator, kind: str, timeout: float = 3, **expected) -> dict:
    """The first message of this type (with these values) within the timeout: presence and change messages
    interleave, and a page may hear the same presence twice (a hello, then an answer)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await communicator.receive_json_from(timeout=max(0.01, deadline - loop.time()))
        if message["type"] == kind and all(message.get(key) == value for key, value in expected.items()):
            return message


def test_staff_who_may_not_see_the_ticket_are_refused(storefront, other_agent, agent):
    # given a ticket of the agent's team, and an agent of another team
    ticket = make_ticket(storefront)
    outsider = session_cookie(other_agent)
    agent_cookie = session_cookie(agent)

    async def scenario() -> list:
        results = []
        for cookie, origin in ((outsider, ORIGIN), (None, ORIGIN), (agent_cookie, (b"origin", b"http://evil.example"))):
            communicator = socket(ticket, cookie, origin)
            connected, code = await communicator.connect()
            results.append((connected, code))
            await communicator.disconnect()
        return results

    # when the outsider, an anonymous visitor, and the agent from another site's page subscribe
    results = run(scenario)
    # then all three are refused
    assert [connected for connected, _code in results] == [False, False, False]
    assert results[0][1] == 4403


def test_a_page_hears_of_new_events_and_sees_who_else_is_here(storefront, agent, team):
    # given a ticket open on two agents' pages
    colleague = make_staff("na-li", "agent", teams=(team,), first_name="Na", last_name="Li")
    ticket = make_ticket(storefront)
    mine, theirs = session_cookie(agent), session_cookie(colleague)

    def customer_writes() -> int:
        services.ticket_add_customer_message(ticket=ticket, body="Please cancel", storefront=storefront)
        return ticket.events.order_by("-pk").first().pk

    async def scenario() -> tuple[dict, dict, dict, int]:
        a = socket(ticket, mine)
        b = socket(ticket, theirs)
        assert (await a.connect())[0]
        assert (await b.connect())[0]
        seen_by_a = await receive_until(a, "presence", people=[{"name": "Na Li", "replying": False}])
        # when B starts typing a reply
        await b.send_json_to({"type": "replying", "replying": True})
        replying = await receive_until(a, "presence", people=[{"name": "Na Li", "replying": True}])
        # and the customer writes (committed: the message goes out after the commit)
        event_id = await database_sync_to_async(customer_writes)()
        changed = await receive_until(a, "changed")
        await a.disconnect()
        await b.disconnect()
        return seen_by_a, replying, changed, event_id

    seen_by_a, replying, changed, event_id = run(scenario)
    # then A sees B, then B replying, then hears of the new event
    assert seen_by_a["people"] == [{"name": "Na Li", "replying": False}]
    assert replying["people"] == [{"name": "Na Li", "replying": True}]
    assert changed == {"type": "changed", "event_id": event_id}


def test_a_page_whose_ticket_moves_out_of_sight_is_closed(storefront, agent, supervisor, other_team):
    # given a ticket of the agent's team open on the agent's page
    ticket = make_ticket(storefront)
    cookie = session_cookie(agent)

    def moved_to_another_team() -> None:
        services.ticket_assign(ticket=ticket, user=supervisor, assignee=None, team=other_team)

    async def scenario() -> dict:
        page = socket(ticket, cookie)
        assert (await page.connect())[0]
        # when a supervisor moves the ticket to a team the agent is not in
        await database_sync_to_async(moved_to_another_team)()
        closed = await page.receive_output(timeout=3)
        await page.wait()
        return closed

    # then the page hears no more of it: the subscription is closed as a new one would be refused
    assert run(scenario) == {"type": "websocket.close", "code": 4403}
