# ruff: noqa: RUF001 (Chinese demo text uses full-width punctuation, as Chinese customers write)
"""Demo data for a first look: teams, one user per role, the "Demo Shop" storefront and tickets in every state.

Tickets and their conversations are made through the ticket services, at instants spread over the last days, so
their events, SLA clocks and timelines are what real use would have produced. Settings-like rows (teams, routing
rules, canned responses) are plain rows, as an administrator would enter them in the admin.
"""

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from tickets import services
from tickets.models import CannedResponse, Category, Channel, RoutingRule, Severity, Status, Storefront, Team

PASSWORD = "desk-demo-2026"  # noqa: S105 (the documented demo password; passes the password validators)
STOREFRONT = "Demo Shop"

# (name, Chinese name, default team): the six teams of tickets.md.
TEAMS = [
    ("Customer service", "客服", True),
    ("Technical support", "技术支持", False),
    ("Logistics", "物流", False),
    ("Finance", "财务", False),
    ("Product", "产品", False),
    ("Security", "安全", False),
]

# (username, role, teams, first name, last name, language, what they are for)
USERS = [
    ("agent", "agent", ["Customer service", "Logistics"], "Wei", "Zhang", "en", "agent: Customer service, Logistics"),
    (
        "agent2",
        "agent",
        ["Customer service", "Technical support"],
        "Na",
        "Li",
        "zh-hans",
        "agent: Customer service, Technical support; desk in Chinese",
    ),
    ("supervisor", "supervisor", ["Customer service"], "Min", "Wang", "en", "supervisor: all teams, alerts, reports"),
    ("finance", "finance", ["Finance"], "Jun", "Chen", "en", "finance: refunds"),
]

ROUTING_RULES = [
    (10, {"category": Category.PRODUCT_QUALITY}, "Technical support"),
    (20, {"category": Category.LOGISTICS}, "Logistics"),
    (30, {"category": Category.PAYMENT}, "Finance"),
    (40, {"category": Category.ACCOUNT}, "Security"),
]

CANNED = [
    (
        "Customer service",
        "Thanks, we are on it",
        "Hello {customer_name},\n\nThank you for contacting us about {reference}. We are looking into it and will "
        "come back to you within 24 hours.\n\nBest regards,\n{agent_name}",
    ),
    (
        "Customer service",
        "您好，已收到",
        "{customer_name}您好：\n\n您的问题（{reference}）我们已收到，正在处理中，24 小时内给您答复。\n\n{agent_name}",
    ),
    (
        "Logistics",
        "Parcel delayed",
        "Hello {customer_name},\n\nWe checked order {order_id} with the carrier: the parcel is delayed at the "
        "sorting centre and should reach you within 2 days. We will keep an eye on it.\n\n{agent_name}",
    ),
    (
        "Technical support",
        "Reset the device",
        "Hello {customer_name},\n\nPlease unplug the device for 30 seconds, then hold the power button for 5 "
        "seconds while plugging it back in. Tell us if it still fails and we will arrange a repair or a "
        "replacement ({reference}).\n\n{agent_name}",
    ),
    (
        None,
        "Anything else?",
        "Hello {customer_name},\n\nWe believe {reference} is solved. If anything is still not right, just reply to "
        "this message and we will pick it up again.\n\n{agent_name}",
    ),
]


@dataclass
class Step:
    """One thing that happens to a demo ticket, `hours` after it was opened."""

    hours: float
    action: str  # reply, note, customer, ack, status
    by: str = "agent"
    text: str = ""
    status: str = ""


@dataclass
class DemoTicket:
    age_hours: float
    subject: str
    body: str
    customer: tuple[str, str, str, str]  # external id, name, e-mail, phone
    category: str = Category.OTHER
    severity: str = Severity.MINOR
    channel: str = Channel.WEB
    order: str = ""
    steps: list[Step] = field(default_factory=list)


CUSTOMERS = {
    "li": ("C-1001", "Li Lei", "li.lei@example.com", "+8613800000001"),
    "han": ("C-1002", "Han Meimei", "han.meimei@example.com", "+8613800000002"),
    "zhao": ("C-1003", "赵敏", "zhao.min@example.com", "+8613800000003"),
    "sun": ("C-1004", "孙悦", "sun.yue@example.com", "+8613800000004"),
    "zhou": ("C-1005", "Zhou Jie", "zhou.jie@example.com", "+8613800000005"),
    "wu": ("C-1006", "吴芳", "wu.fang@example.com", "+8613800000006"),
}

TICKETS = [
    DemoTicket(
        0.5,
        "Where is my parcel?",
        "I ordered three days ago and the tracking has not moved since.",
        CUSTOMERS["li"],
        Category.LOGISTICS,
        channel=Channel.API,
        order="SO-10001",
    ),
    DemoTicket(
        3,
        "Kettle leaks from the base",
        "The electric kettle leaks water from the base after two uses.",
        CUSTOMERS["han"],
        Category.PRODUCT_QUALITY,
        Severity.MODERATE,
        Channel.WEB,
        "SO-10002",
    ),
    DemoTicket(
        20,
        "发票开错了",
        "发票抬头写错了，请帮我重新开一张。",
        CUSTOMERS["zhao"],
        Category.PAYMENT,
        channel=Channel.CHAT,
        order="SO-10003",
    ),
    DemoTicket(
        1.5,
        "Charged twice for one order",
        "My card shows two charges of 199.00 for the same order.",
        CUSTOMERS["sun"],
        Category.PAYMENT,
        Severity.SEVERE,
        Channel.EMAIL,
        "SO-10004",
    ),
    DemoTicket(
        26,
        "Cannot log in to my account",
        "The verification SMS never arrives, so I cannot log in.",
        CUSTOMERS["zhou"],
        Category.ACCOUNT,
        Severity.MODERATE,
        Channel.PHONE,
        steps=[Step(1, "ack", text=""), Step(2, "note", text="Checked the SMS gateway: no errors logged.")],
    ),
    DemoTicket(
        30,
        "Wrong colour delivered",
        "I ordered the blue one and received a red one.",
        CUSTOMERS["wu"],
        Category.PRODUCT_QUALITY,
        channel=Channel.WEB,
        order="SO-10006",
        steps=[
            Step(
                1,
                "reply",
                text="Sorry about that, {customer_name}. Could you send a photo of the label?",
                status=Status.PENDING,
            )
        ],
    ),
    DemoTicket(
        50,
        "Delivery to the wrong address",
        "The courier left my parcel at building 5, I live in 3.",
        CUSTOMERS["li"],
        Category.LOGISTICS,
        Severity.MODERATE,
        Channel.API,
        "SO-10007",
        steps=[
            Step(2, "reply", text="We have asked the courier to collect it and redeliver."),
            Step(3, "status", status=Status.ON_HOLD),
        ],
    ),
    DemoTicket(
        70,
        "Return policy for opened items",
        "Can I return headphones I have opened but not used?",
        CUSTOMERS["han"],
        Category.POLICY,
        channel=Channel.CHAT,
        steps=[Step(1, "reply", text="Yes: within 7 days of delivery, with all accessories.", status=Status.RESOLVED)],
    ),
    DemoTicket(
        200,
        "优惠券无法使用",
        "结账时优惠券提示已过期，但是有效期到月底。",
        CUSTOMERS["zhao"],
        Category.PAYMENT,
        channel=Channel.SOCIAL,
        steps=[Step(2, "reply", by="agent2", text="您好，已为您补发一张同面额优惠券。", status=Status.RESOLVED)],
    ),
    DemoTicket(
        100,
        "Screen flickers",
        "The monitor screen flickers when the brightness is under 50 %.",
        CUSTOMERS["sun"],
        Category.PRODUCT_QUALITY,
        Severity.MODERATE,
        Channel.EMAIL,
        "SO-10010",
        steps=[
            Step(
                1,
                "reply",
                by="agent2",
                text="Please try the reset steps and tell us if it helps.",
                status=Status.PENDING,
            ),
            Step(30, "customer", text="Still flickering after the reset."),
            Step(31, "note", by="agent2", text="Firmware 1.2 known issue; ask product team."),
        ],
    ),
    DemoTicket(
        150,
        "Missing item in the box",
        "The charger was missing from the box.",
        CUSTOMERS["zhou"],
        Category.LOGISTICS,
        channel=Channel.PHONE,
        order="SO-10011",
        steps=[
            Step(1, "reply", text="We are sending the charger separately today.", status=Status.RESOLVED),
            Step(48, "customer", text="The charger has not arrived yet."),
        ],
    ),
    DemoTicket(
        5,
        "<b>Urgent</b> refund please",
        "Please refund <script>alert('hi')</script> my order now!",
        CUSTOMERS["wu"],
        Category.PAYMENT,
        Severity.SEVERE,
        Channel.WEB,
        "SO-10012",
    ),
    DemoTicket(
        8,
        "Change delivery time",
        "Could the parcel be delivered after 18:00?",
        CUSTOMERS["li"],
        Category.LOGISTICS,
        channel=Channel.CHAT,
        order="SO-10013",
        steps=[Step(0.5, "reply", text="Done: the courier will come after 18:00.")],
    ),
    DemoTicket(
        12,
        "Gift wrapping",
        "Can you add gift wrapping to my order?",
        CUSTOMERS["han"],
        Category.SERVICE,
        channel=Channel.WEB,
        order="SO-10014",
        steps=[Step(0.2, "ack")],
    ),
    DemoTicket(
        300,
        "Invoice for company",
        "I need a VAT invoice with our company tax number.",
        CUSTOMERS["sun"],
        Category.PAYMENT,
        channel=Channel.EMAIL,
        steps=[
            Step(
                3, "reply", by="agent2", text="The invoice has been issued and e-mailed to you.", status=Status.RESOLVED
            ),
            Step(200, "status", by="supervisor", status=Status.CLOSED),
        ],
    ),
    DemoTicket(
        2,
        "Password reset e-mail not received",
        "I asked for a reset link twice, nothing arrived.",
        CUSTOMERS["zhou"],
        Category.ACCOUNT,
        channel=Channel.WEB,
    ),
    DemoTicket(
        40,
        "商品有划痕",
        "收到的手机壳有明显划痕。",
        CUSTOMERS["zhao"],
        Category.PRODUCT_QUALITY,
        channel=Channel.SOCIAL,
        order="SO-10017",
        steps=[
            Step(4, "reply", by="agent2", text="很抱歉，请您拍照发给我们，我们为您换货。"),
            Step(6, "customer", text="照片已上传，请查收。"),
        ],
    ),
    DemoTicket(
        0.2,
        "Size exchange",
        "The shoes are too small, can I get size 42?",
        CUSTOMERS["wu"],
        Category.POLICY,
        channel=Channel.API,
        order="SO-10018",
    ),
    DemoTicket(
        60,
        "Damaged parcel",
        "The box arrived crushed and the vase is broken.",
        CUSTOMERS["li"],
        Category.LOGISTICS,
        Severity.SEVERE,
        Channel.PHONE,
        "SO-10019",
        steps=[
            Step(0.5, "reply", text="We are sorry. A replacement is on its way.", status=Status.ON_HOLD),
            Step(20, "note", text="Carrier claim filed, number CL-77812."),
        ],
    ),
    DemoTicket(
        9,
        "App crashes at checkout",
        "The app closes when I tap 'Pay'.",
        CUSTOMERS["han"],
        Category.SERVICE,
        Severity.MODERATE,
        Channel.EMAIL,
    ),
]


def _demo_data_present() -> bool:
    User = get_user_model()
    return Storefront.objects.filter(name=STOREFRONT).exists() or User.objects.filter(username="admin").exists()


def _database_empty() -> bool:
    return not get_user_model().objects.exists() and not Storefront.objects.exists()


class Command(BaseCommand):
    help = "Demo teams, users (password desk-demo-2026), the 'Demo Shop' storefront and ~20 tickets in every state."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database already has users or storefronts"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not _database_empty():
            if options["if_empty"]:
                self.stdout.write("The database already has data: no demo data added.")
                if _demo_data_present():
                    self._print_logins(key=None)
                return
            raise CommandError("The database is not empty; seed_demo only fills an empty database.")
        key = self._seed(now=timezone.now())
        key_file = settings.VAR_DIR / "demo-api-key.txt"
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(key + "\n")
        self.stdout.write(f"Demo data created: {len(TEAMS)} teams, {len(USERS) + 1} users, {len(TICKETS)} tickets.")
        self._print_logins(key=key)

    @transaction.atomic
    def _seed(self, *, now: datetime) -> str:
        # "Customer service" is already there: migrate creates it as the default team.
        teams = {
            name: Team.objects.update_or_create(name=name, defaults={"name_zh": zh, "is_default": default})[0]
            for name, zh, default in TEAMS
        }
        users = {}
        for username, role, team_names, first, last, language, _what in USERS:
            users[username], _token = services.staff_create(
                username=username,
                role=role,
                password=PASSWORD,
                teams=[teams[name] for name in team_names],
                email=f"{username}@example.com",
                first_name=first,
                last_name=last,
                language=language,
            )
        admin, _token = services.staff_create(
            username="admin", role="supervisor", password=PASSWORD, email="admin@example.com", first_name="Admin"
        )
        # The one superuser: the services have no role for it, as createsuperuser would do.
        get_user_model().objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True)
        for position, conditions, team_name in ROUTING_RULES:
            RoutingRule.objects.create(position=position, team=teams[team_name], **conditions)
        for team_name, title, body in CANNED:
            CannedResponse.objects.create(team=teams[team_name] if team_name else None, title=title, body=body)

        storefront, key = services.storefront_create(name=STOREFRONT, webhook_url="", language="zh-hans")
        for demo in TICKETS:
            self._ticket(demo, storefront=storefront, users=users, now=now)
        return key

    def _ticket(self, demo: DemoTicket, *, storefront: Storefront, users: dict[str, Any], now: datetime) -> None:
        opened = now - timedelta(hours=demo.age_hours)
        external_id, name, email, phone = demo.customer
        customer = services.customer_upsert(
            storefront=storefront, external_id=external_id, name=name, email=email, phone=phone
        )
        # Phone calls are logged by an agent; everything else arrives from the storefront.
        logged_by = users["agent"] if demo.channel == Channel.PHONE else None
        ticket = services.ticket_create(
            storefront=storefront,
            subject=demo.subject,
            body=demo.body,
            category=demo.category,
            severity=demo.severity,
            channel=demo.channel,
            customer=customer,
            order_external_id=demo.order,
            user=logged_by,
            now=opened,
        )
        for step in demo.steps:
            at = opened + timedelta(hours=step.hours)
            user = users[step.by]
            if step.action == "ack":
                services.ticket_acknowledge(ticket=ticket, user=user, now=at)
            elif step.action == "reply":
                body = step.text.replace("{customer_name}", customer.name)
                services.ticket_reply(ticket=ticket, user=user, body=body, status=step.status or None, now=at)
            elif step.action == "note":
                services.ticket_add_note(ticket=ticket, user=user, body=step.text, now=at)
            elif step.action == "customer":
                services.ticket_add_customer_message(ticket=ticket, body=step.text, storefront=storefront, now=at)
            elif step.action == "status":
                services.ticket_change_status(ticket=ticket, status=step.status, user=user, now=at)
            ticket.refresh_from_db()

    def _print_logins(self, *, key: str | None) -> None:
        port = os.environ.get("PORT", "8000")
        lines = [
            "",
            f"Open http://127.0.0.1:{port}/ and log in with password {PASSWORD} as:",
            *(f"  {username:<11} {what}" for username, _r, _t, _f, _l, _lang, what in USERS),
            f"  {'admin':<11} administrator: the Django admin at /admin/",
        ]
        key_file = settings.VAR_DIR / "demo-api-key.txt"
        if key is None and key_file.exists():
            key = key_file.read_text().strip()
        if key:
            lines += [
                f"Storefront {STOREFRONT!r}: its API key (also in {key_file}) for 'Authorization: Api-Key <key>':",
                key,
            ]
        self.stdout.write("\n".join(lines))
