# ruff: noqa: RUF001 (Chinese demo text uses full-width punctuation, as Chinese customers write)
"""Thirty days of history for the "Demo Shop" of `seed_demo`, so `/reports/` and the KPI cards have something to
show on a fresh `make run`: daily sales figures, tickets answered and resolved at varied speeds with survey answers,
and returns. Everything goes through the services at instants in the past, as real use would have written it.
The numbers come from a seeded random generator: every run draws the same month.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from returns import services as return_services
from returns.models import Reason, Resolution
from tickets import services as ticket_services
from tickets.models import Category, Channel, SalesStat, Status, Storefront
from tickets.services.surveys import survey_answer

STOREFRONT = "Demo Shop"
DAYS = 30
TICKETS_PER_DAY = 3
SUBJECTS = [
    (Category.LOGISTICS, "Where is my parcel?", "物流三天没有更新了，包裹在哪里？"),
    (Category.PRODUCT_QUALITY, "The kettle lid does not close", "水壶盖子关不上。"),
    (Category.PAYMENT, "Charged twice", "我被扣了两次款。"),
    (Category.ACCOUNT, "Cannot log in", "我登录不了账户。"),
    (Category.POLICY, "Invoice for my order", "请帮我开发票。"),
]


class Command(BaseCommand):
    help = "Add 30 days of demo history (sales, tickets with surveys, returns) for the reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if sales figures already exist.")

    def handle(self, *args: Any, **options: Any) -> None:
        if SalesStat.objects.exists():
            if options["if_empty"]:
                self.stdout.write("Sales figures already exist: no demo history added.")
                return
            raise CommandError("Sales figures already exist; seed_demo_history only adds history to none.")
        storefront = Storefront.objects.filter(name=STOREFRONT).first()
        users = get_user_model().objects.in_bulk(["agent", "agent2"], field_name="username")
        if storefront is None or len(users) < 2:
            raise CommandError("Run seed_demo first: it creates the Demo Shop and the demo agents.")
        with transaction.atomic():
            tickets, returns = self._seed(storefront=storefront, agents=list(users.values()), now=timezone.now())
        self.stdout.write(f"Demo history added: {DAYS} days of sales, {tickets} tickets, {returns} returns.")

    def _seed(self, *, storefront: Storefront, agents: list[Any], now: datetime) -> tuple[int, int]:
        rng = random.Random(20261123)  # demo data: reproducible, not secret
        today = timezone.localdate(now)
        tickets = returns = 0
        for days_ago in range(DAYS, 0, -1):
            day = today - timedelta(days=days_ago)
            orders = rng.randint(90, 160)
            SalesStat.objects.create(
                storefront=storefront,
                date=day,
                orders=orders,
                revenue=Decimal(orders * rng.randint(150, 260)).quantize(Decimal("0.01")),
                currency="CNY",
                created_at=now,
                updated_at=now,
            )
            opening = timezone.make_aware(datetime.combine(day, time(9)))
            for index in range(TICKETS_PER_DAY):
                self._ticket(storefront, agents, rng, at=opening + timedelta(minutes=rng.randint(0, 600)), n=index)
                tickets += 1
            if days_ago % 2 == 0:
                self._return(storefront, rng, at=opening + timedelta(hours=rng.randint(1, 9)), n=days_ago)
                returns += 1
        return tickets, returns

    def _ticket(self, storefront: Storefront, agents: list[Any], rng: random.Random, *, at: datetime, n: int) -> None:
        category, subject, body = rng.choice(SUBJECTS)
        customer = ticket_services.customer_upsert(
            storefront=storefront, external_id=f"H-{rng.randint(1, 60)}", name=f"Demo customer {n}"
        )
        ticket = ticket_services.ticket_create(
            storefront=storefront,
            subject=subject,
            body=body,
            category=category,
            channel=rng.choice([Channel.WEB, Channel.EMAIL, Channel.PHONE, Channel.CHAT]),
            customer=customer,
            now=at,
        )
        agent = ticket.assignee or rng.choice(agents)
        # First answers mostly inside the 2-hour line, a few late ones so the SLA figures are not all green.
        answered = at + timedelta(minutes=rng.choice([8, 15, 25, 40, 55, 70, 95, 110, 150, 200]))
        ticket_services.ticket_acknowledge(ticket=ticket, user=agent, now=answered - timedelta(minutes=5))
        ticket_services.ticket_reply(ticket=ticket, user=agent, body="We are looking into it.", now=answered)
        if rng.random() < 0.12:  # still being worked on
            return
        resolved = answered + timedelta(hours=rng.choice([1, 3, 6, 12, 20, 30]))
        if resolved >= timezone.now():
            return
        ticket_services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent, now=resolved)
        survey = ticket.surveys.order_by("-created_at").first()
        if survey is not None and rng.random() < 0.6:
            overall = rng.choice([5, 5, 5, 5, 4, 4, 4, 3, 2])
            survey_answer(
                token=survey.token,
                overall=overall,
                response_speed=max(1, overall - rng.randint(0, 1)),
                attitude=overall,
                resolution_efficiency=max(1, overall - rng.randint(0, 1)),
                process_convenience=overall,
                channel=rng.choice([4, 5]),
                now=resolved + timedelta(hours=rng.randint(1, 30)),
            )

    def _return(self, storefront: Storefront, rng: random.Random, *, at: datetime, n: int) -> None:
        price = Decimal(rng.choice([99, 199, 299])).quantize(Decimal("0.01"))
        order = return_services.OrderSnapshot(
            external_id=f"SO-H{n:03d}",
            placed_at=at - timedelta(days=6),
            delivered_at=at - timedelta(days=3),
            currency="CNY",
            lines=[
                return_services.LineSnapshot(
                    external_id="L1", sku="KET-01", name="Kettle", quantity=1, unit_price=price
                )
            ],
        )
        reason = rng.choice([Reason.CHANGED_MIND, Reason.QUALITY_ISSUE, Reason.SIZE_OR_FIT, Reason.DAMAGED_IN_TRANSIT])
        return_services.return_create(
            storefront=storefront,
            order=order,
            items=[
                return_services.ItemRequest(line="L1", quantity=1, reason=reason, unused=True, original_packaging=True)
            ],
            resolution=Resolution.REFUND,
            customer=return_services.CustomerDetails(external_id=f"H-{n}", name=f"Demo customer {n}"),
            now=at,
        )
