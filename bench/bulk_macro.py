"""Power tools at scale: a bulk action over 10,000 tickets, and saved views at 1,000,000 tickets.

    .venv/bin/python bench/bulk_macro.py                  # builds the data once (bench/queue_bench.py's), then times
    .venv/bin/python bench/bulk_macro.py --api-count 2000 # how many tickets the one-by-one API run changes
    BENCH_DATABASE_URL=postgres://... .venv/bin/python bench/bulk_macro.py

It works in its own database, `aftersales_bench_power` (BENCH_DATABASE_URL), with the data of bench/queue_bench.py
(1,000,000 tickets, 50,000 still being worked on), to which it adds the tag "vip" on every 20th open ticket.

1. Saved views: each view's tab count (the capped count, as the queue page runs it) and its first page (LIMIT 26),
   side by side with the fixed tabs (Mine, Team, All); the median of RUNS runs after a warm-up.
2. Bulk: the same actions (set pending, add the tag "festival") on BULK open tickets as the background job runs
   them (`tickets.services.bulk.bulk_job_run`, each ticket in its own transaction with its result row), then on
   API_COUNT other open tickets one by one through the desk API, as a script without bulk would (POST .../status/
   then POST .../tags/ per ticket, in-process: no HTTP server, so the API figure is a lower bound). Tickets per
   second and queries per ticket for both. The tickets changed are put back (status, tags) afterwards so that a
   re-run measures the same thing.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aftersales_bench_power")
sys.path.insert(0, str(ROOT))

from bench import queue_bench  # noqa: E402
from bench.common import counting_queries, median_ms, setup_django, sql  # noqa: E402

BULK = 10_000
RUNS = 5
ACTIONS = [{"type": "set_status", "value": "pending"}, {"type": "add_tags", "value": ["festival"]}]


def tag_vip() -> None:
    from tickets.models import Tag

    tag, _ = Tag.objects.get_or_create(name="vip")
    sql(
        """
        INSERT INTO tickets_ticket_tags (ticket_id, tag_id)
        SELECT t.id, %(tag)s FROM tickets_ticket t
        WHERE t.status IN ('new', 'open', 'pending', 'on_hold') AND t.id %% 20 = 0
        ON CONFLICT DO NOTHING
        """,
        {"tag": tag.pk},
    )
    sql("ANALYZE tickets_ticket_tags")


def saved_views() -> None:
    from django.contrib.auth.models import User
    from django.utils import timezone

    from tickets import selectors
    from tickets.models import SavedView, Team
    from tickets.views import QUEUE_COUNT_CAP, QUEUE_PAGE_SIZE

    agent = User.objects.get(username="bench-agent-0")
    supervisor = User.objects.get(username="bench-supervisor")
    team = Team.objects.get(name="Bench team 0")
    SavedView.objects.filter(owner__username__startswith="bench-").delete()
    now = timezone.now()

    def view(owner: Any, name: str, filters: dict[str, Any], sort: str = "", team: Any = None) -> SavedView:
        return SavedView.objects.create(
            owner=owner, team=team, name=name, filters=filters, sort=sort, created_at=now, updated_at=now
        )

    cases: list[tuple[str, Any, Any]] = [
        ("Tab Mine (agent)", agent, lambda: selectors.ticket_queue(user=agent, scope="mine")),
        ("Tab Team (agent)", agent, lambda: selectors.ticket_queue(user=agent, scope="team")),
        ("Tab All (supervisor)", supervisor, lambda: selectors.ticket_queue(user=supervisor, scope="all")),
    ]
    views = [
        (agent, view(agent, "VIP (personal)", {"tags": ["vip"]})),
        (agent, view(supervisor, "Team severe", {"severity": "severe"}, team=team)),
        (agent, view(agent, "Mine, newest", {"assignee": "me"}, sort="-created")),
        (supervisor, view(supervisor, "Breached", {"sla": "breached"})),
        (supervisor, view(supervisor, "Pending vip", {"status": ["pending"], "tags": ["vip"]})),
        (supervisor, view(supervisor, "Open, by subject", {"status": ["open"]}, sort="subject")),
    ]
    for user, saved in views:
        cases.append(
            (
                f"View {saved.name}",
                user,
                lambda user=user, saved=saved: selectors.saved_view_queue(user=user, view=saved),
            )
        )
    print(f"\n{'tab':<28} {'count ms':>9} {'count':>6} {'page ms':>8}")
    for name, _user, build in cases:
        queryset = build()
        count_ms = median_ms(lambda qs=queryset: qs.order_by()[: QUEUE_COUNT_CAP + 1].count(), RUNS)
        count = queryset.order_by()[: QUEUE_COUNT_CAP + 1].count()
        page_ms = median_ms(lambda qs=queryset: list(qs[: QUEUE_PAGE_SIZE + 1]), RUNS)
        shown = f"{min(count, QUEUE_COUNT_CAP)}{'+' if count > QUEUE_COUNT_CAP else ''}"
        print(f"{name:<28} {count_ms:>9.1f} {shown:>6} {page_ms:>8.1f}", flush=True)


def open_ticket_ids(count: int, *, offset: int = 0) -> list[int]:
    from tickets.models import Ticket

    return list(
        Ticket.objects.filter(status__in=["new", "open"])
        .order_by("id")
        .values_list("pk", flat=True)[offset : offset + count]
    )


def put_back(ids: list[int], statuses: dict[int, str]) -> None:
    from tickets.models import Tag, Ticket

    for status in set(statuses.values()):
        Ticket.objects.filter(pk__in=[pk for pk in ids if statuses[pk] == status]).update(
            status=status, pending_since=None
        )
    Ticket.tags.through.objects.filter(ticket_id__in=ids, tag__name="festival").delete()
    Tag.objects.filter(name="festival", tickets__isnull=True).delete()


def bulk(api_count: int, count: int = BULK) -> None:
    from django.contrib.auth.models import User

    supervisor = User.objects.get(username="bench-supervisor")
    if count:
        _bulk_job(supervisor, count)
    _one_by_one(supervisor, api_count, offset=count)


def _bulk_job(supervisor: Any, count: int) -> None:
    from django.utils import timezone

    from tickets.models import BulkJob, Ticket
    from tickets.services.bulk import bulk_actions_validate, bulk_job_run

    ids = open_ticket_ids(count)
    statuses = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "status"))
    job = BulkJob.objects.create(
        user=supervisor,
        actions=bulk_actions_validate(ACTIONS),
        ticket_ids=ids,
        total=len(ids),
        created_at=timezone.now(),
    )
    # The job as its Celery task runs it (bulk_job_create enqueues exactly this call once the job is committed).
    with counting_queries() as counted:
        started = time.perf_counter()
        bulk_job_run(job_id=job.pk)
        job_seconds = time.perf_counter() - started
    job.refresh_from_db()
    job_queries = counted["queries"]
    print(
        f"\nbulk job: {job.succeeded:,} done, {job.failed:,} refused of {job.total:,} in {job_seconds:.1f} s: "
        f"{job.total / job_seconds:,.0f} tickets/s, {job_queries / job.total:.1f} queries per ticket",
        flush=True,
    )
    put_back(ids, statuses)
    job.delete()


def _one_by_one(supervisor: Any, api_count: int, *, offset: int) -> None:
    from rest_framework.test import APIClient

    from tickets.models import Ticket

    api_ids = open_ticket_ids(api_count, offset=offset)
    api_statuses = dict(Ticket.objects.filter(pk__in=api_ids).values_list("pk", "status"))
    references = dict(Ticket.objects.filter(pk__in=api_ids).values_list("pk", "reference"))
    client = APIClient(HTTP_HOST="localhost")
    client.force_authenticate(supervisor)
    failures = 0
    with counting_queries() as counted:
        started = time.perf_counter()
        for pk in api_ids:
            base = f"/api/v1/desk/tickets/{references[pk]}/"
            one = client.post(f"{base}status/", {"status": "pending"}, format="json")
            two = client.post(f"{base}tags/", {"add": ["festival"]}, format="json")
            failures += one.status_code != 200 or two.status_code != 200
        api_seconds = time.perf_counter() - started
    print(
        f"one by one through the API: {len(api_ids):,} tickets ({failures} failed) in {api_seconds:.1f} s: "
        f"{len(api_ids) / api_seconds:,.0f} tickets/s, {counted['queries'] / len(api_ids):.1f} queries per ticket "
        f"(2 requests each); 10,000 would take about {BULK / (len(api_ids) / api_seconds):,.0f} s",
        flush=True,
    )
    put_back(api_ids, api_statuses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="drop the bench data and build it again")
    parser.add_argument("--api-count", type=int, default=1000, help="tickets changed one by one through the API")
    parser.add_argument("--bulk", type=int, default=BULK, help="tickets the background job changes")
    parser.add_argument("--skip-views", action="store_true")
    parser.add_argument("--skip-bulk", action="store_true")
    args = parser.parse_args()
    setup_django(queue_bench.BENCH_URL)
    if args.rebuild or queue_bench.ticket_count() != queue_bench.TICKETS:
        print(f"building {queue_bench.TICKETS:,} tickets in {queue_bench.BENCH_URL} ...", flush=True)
        print(f"built in {queue_bench.build():.0f} s", flush=True)
    tag_vip()
    print(f"{queue_bench.ticket_count():,} tickets in {queue_bench.BENCH_URL}")
    if not args.skip_views:
        saved_views()
    if not args.skip_bulk:
        bulk(args.api_count, args.bulk)


if __name__ == "__main__":
    main()
