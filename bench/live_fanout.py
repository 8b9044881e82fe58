"""The live ticket page's fan-out (issue 14): PAGES websockets open on one ticket at once, spread over PROCESSES
daphne processes behind one Redis; one event (a customer message through the storefront API, sent to the first
process) is fanned out to all of them. Prints the time from the API call to the first, median, 95th-percentile and
last page hearing of it, and each web process's resident memory before and after the pages connected.

    .venv/bin/python bench/live_fanout.py                      # 200 pages, 2 processes, 3 rounds
    .venv/bin/python bench/live_fanout.py --pages 200 --processes 1 --rounds 5

It builds its own database (`aftersales_bench_live`, migrated afresh) and uses Redis DB 9 (BENCH_REDIS_URL). Each
page is a websocket of a signed-in agent (its own session), as a browser's ticket page opens it; presence messages
(every page says hello to the others) are received and dropped like a page would show them. Needs `websockets`
(requirements-dev.txt).
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, production_env

if TYPE_CHECKING:
    from tests.e2e.asgi_servers import AsgiServer

RUN_DB = "aftersales_bench_live"


def setup_world(pages: int) -> tuple[str, str, str, list[str]]:
    """A storefront (its key), a ticket (reference, public id) and one session per page, for agents of its team."""
    import django

    django.setup()
    from django.test import Client

    from tests.factories import StorefrontFactory, make_staff, make_ticket
    from tickets.models import Team

    team = Team.objects.get(is_default=True)  # migrate creates it
    storefront = StorefrontFactory(name="Bench Shop")
    ticket = make_ticket(storefront, subject="Fan-out")
    agents = [make_staff(f"live-agent-{index}", "agent", teams=(team,)) for index in range(min(pages, 20))]
    cookies = []
    for index in range(pages):
        client = Client()
        client.force_login(agents[index % len(agents)])
        cookies.append(client.cookies["sessionid"].value)
    return storefront.plain_key, ticket.reference, str(ticket.public_id), cookies


async def _listen(ws: object, arrived: list[float]) -> None:
    while True:
        message = json.loads(await ws.recv())  # type: ignore[attr-defined]
        if message.get("type") == "changed":
            arrived.append(time.perf_counter())
            return


def _post(request: urllib.request.Request) -> None:
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


async def fan_out(
    servers: list["AsgiServer"], cookies: list[str], reference: str, public_id: str, key: str, rounds: int
) -> None:
    import websockets

    ports = [server.port for server in servers]
    sockets = []
    connect_started = time.perf_counter()
    for index, cookie in enumerate(cookies):
        port = ports[index % len(ports)]
        sockets.append(
            await websockets.connect(
                f"ws://127.0.0.1:{port}/ws/tickets/{reference}/",
                additional_headers={"Cookie": f"sessionid={cookie}", "Origin": f"http://127.0.0.1:{port}"},
                max_queue=None,
            )
        )
    connected = time.perf_counter() - connect_started
    # Let the presence hellos settle (every page answers each newcomer).
    await asyncio.sleep(3)
    memory = [server.rss_kib() / 1024 for server in servers]
    print(
        f"{len(sockets)} pages connected in {connected:.2f} s; web processes' memory with them open (MiB): "
        + ", ".join(f"{value:.0f}" for value in memory)
    )

    for round_number in range(1, rounds + 1):
        arrived: list[float] = []

        listeners = [asyncio.create_task(_listen(ws, arrived)) for ws in sockets]
        await asyncio.sleep(0.2)
        request = urllib.request.Request(
            f"http://127.0.0.1:{ports[0]}/api/v1/tickets/{public_id}/messages/",
            method="POST",
            data=json.dumps({"body": f"Round {round_number}"}).encode(),
            headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
        )
        started = time.perf_counter()
        await asyncio.to_thread(_post, request)
        answered = time.perf_counter() - started
        await asyncio.wait_for(asyncio.gather(*listeners), timeout=30)
        delays = sorted((moment - started) * 1000 for moment in arrived)
        p95 = delays[int(len(delays) * 0.95) - 1]
        print(
            f"round {round_number}: API answered in {answered * 1000:.0f} ms; pages told: first {delays[0]:.0f} ms, "
            f"median {statistics.median(delays):.0f} ms, p95 {p95:.0f} ms, last {delays[-1]:.0f} ms "
            f"({len(delays)} pages)"
        )
    memory = [server.rss_kib() / 1024 for server in servers]
    print("web processes' memory after the rounds (MiB): " + ", ".join(f"{value:.0f}" for value in memory))
    for ws in sockets:
        await ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.update(
        production_env(
            RUN_DB,
            SECURE_SSL_REDIRECT="0",
            SESSION_COOKIE_SECURE="0",
            CELERY_TASK_ALWAYS_EAGER="1",
        )
    )
    fresh_database(RUN_DB)
    key, reference, public_id, cookies = setup_world(args.pages)
    # The servers of the live page's browser tests, with this bench's settings (its own database, DEBUG=0).
    from tests.e2e.asgi_servers import asgi_servers

    with (
        tempfile.TemporaryDirectory() as logs,
        asgi_servers(args.processes, Path(logs), env=dict(os.environ)) as servers,
    ):
        idle = [server.rss_kib() / 1024 for server in servers]
        print(f"{args.processes} daphne processes, idle memory (MiB): " + ", ".join(f"{v:.0f}" for v in idle))
        asyncio.run(fan_out(servers, cookies, reference, public_id, key, args.rounds))


if __name__ == "__main__":
    main()
