# ruff: noqa: RUF001 (Chinese demo text uses full-width punctuation, as Chinese customers write)
"""Demo complaints for the "Demo Shop" of `seed_demo`: complaints in every state of the workflow, spread over the last
weeks, a customer who complained twice and a severe one, so the complaints list and report have something to show.

Everything goes through complaints.services at instants in the past, so the tickets, events and clocks are what
real use would have produced. Run after `seed_demo`; with --if-empty it does nothing once complaints exist.
"""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, ComplaintStatus, Department
from tickets import services as ticket_services
from tickets.models import Storefront

STOREFRONT = "Demo Shop"

# (days ago, category, severity, customer external id, body, the state to walk it to, root cause code)
COMPLAINTS = [
    (52, "logistics", "minor", "C-2001", "包裹晚到了五天，也没有人通知我。", ComplaintStatus.ARCHIVED, "carrier"),
    (
        45,
        "product_quality",
        "moderate",
        "C-2002",
        "The blender jar cracked on first use.",
        ComplaintStatus.ARCHIVED,
        "supplier",
    ),
    (38, "service", "minor", "C-2003", "客服挂了我的电话。", ComplaintStatus.ARCHIVED, "staff_error"),
    (
        31,
        "payment",
        "moderate",
        "C-2004",
        "I was charged twice for order SO-3104.",
        ComplaintStatus.ARCHIVED,
        "system_error",
    ),
    (24, "logistics", "minor", "C-2001", "又一次延误，这次包裹还破了。", ComplaintStatus.ARCHIVED, "warehouse"),
    (
        17,
        "other",
        "minor",
        "C-2005",
        "The product page promised a free gift that never came.",
        ComplaintStatus.FOLLOW_UP,
        "",
    ),
    (12, "product_quality", "moderate", "C-2006", "耳机左边没有声音。", ComplaintStatus.EXECUTING, ""),
    (8, "service", "minor", "C-2007", "Nobody answered my e-mails for a week.", ComplaintStatus.DECLINED, ""),
    (
        5,
        "logistics",
        "minor",
        "C-2008",
        "The courier left my parcel in the rain.",
        ComplaintStatus.SOLUTION_PROPOSED,
        "",
    ),
    (
        3,
        "account",
        "severe",
        "C-2009",
        "Someone logged into my account and changed my address.",
        ComplaintStatus.INVESTIGATING,
        "",
    ),
    (1, "payment", "moderate", "C-2004", "退款三天了还没到账。", ComplaintStatus.RECEIVED, ""),
]
PATH = (
    ComplaintStatus.INVESTIGATING,
    ComplaintStatus.SOLUTION_PROPOSED,
    ComplaintStatus.ACCEPTED,
    ComplaintStatus.EXECUTING,
    ComplaintStatus.FOLLOW_UP,
    ComplaintStatus.ARCHIVED,
)
ROOT_CAUSES = {
    "carrier": "The carrier's depot was over capacity in the sales peak.",
    "supplier": "A batch of jars from a new supplier had thin walls.",
    "staff_error": "A new agent ended calls instead of transferring them.",
    "system_error": "A payment retry after a timeout charged the card twice.",
    "warehouse": "Fragile goods were packed without padding.",
}


class Command(BaseCommand):
    help = "Add demo complaints to the Demo Shop of seed_demo."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when complaints already exist.")

    def handle(self, *args: Any, **options: Any) -> None:
        if Complaint.objects.exists():
            if options["if_empty"]:
                self.stdout.write("Complaints already exist: no demo complaints added.")
                return
            raise CommandError("Complaints already exist; seed_demo_complaints only adds them to none.")
        storefront = Storefront.objects.filter(name=STOREFRONT).first()
        users = get_user_model().objects.in_bulk(["agent", "supervisor"], field_name="username")
        if storefront is None or len(users) < 2:
            raise CommandError("Run seed_demo first: it creates the Demo Shop and the demo users.")
        count = self._seed(storefront=storefront, agent=users["agent"], supervisor=users["supervisor"])
        self.stdout.write(f"Demo complaints: {count}")

    @transaction.atomic
    def _seed(self, *, storefront: Storefront, agent: Any, supervisor: Any) -> int:
        now = timezone.now()
        for days_ago, category, severity, customer_id, body, state, root_cause in COMPLAINTS:
            at = now - timedelta(days=days_ago)
            customer = ticket_services.customer_upsert(
                storefront=storefront, external_id=customer_id, name=f"Demo customer {customer_id}"
            )
            complaint = services.complaint_create(
                storefront=storefront, category=category, body=body, severity=severity, customer=customer, now=at
            )
            # The demo agent works customer service and logistics; the supervisor steps in for the rest.
            user = agent if complaint.department in (Department.CUSTOMER_SERVICE, Department.LOGISTICS) else supervisor
            self._walk(complaint, state, user=user, at=at, root_cause=root_cause)
        return len(COMPLAINTS)

    def _walk(self, complaint: Complaint, state: str, *, user: Any, at: datetime, root_cause: str) -> None:
        if state == ComplaintStatus.RECEIVED:
            steps: tuple[str, ...] = ()
        elif state == ComplaintStatus.DECLINED:
            steps = (ComplaintStatus.INVESTIGATING, ComplaintStatus.SOLUTION_PROPOSED)
        else:
            steps = PATH[: PATH.index(state) + 1]
        for index, step in enumerate(steps, start=1):
            when = at + timedelta(hours=3 * index)
            if step == ComplaintStatus.INVESTIGATING:
                services.complaint_start_investigation(complaint=complaint, user=user, now=when)
            elif step == ComplaintStatus.SOLUTION_PROPOSED:
                services.complaint_propose_solution(
                    complaint=complaint,
                    user=user,
                    findings="Checked the order, the shipment and the call log.",
                    proposed_solution="We apologise, replace the item and refund the shipping fee.",
                    compensation_amount="20.00",
                    currency="CNY",
                    now=when,
                )
                if state == ComplaintStatus.DECLINED:
                    services.complaint_record_response(
                        complaint=complaint,
                        user=user,
                        response="declined",
                        note="I want a full refund instead.",
                        now=when + timedelta(hours=1),
                    )
            elif step == ComplaintStatus.ACCEPTED:
                services.complaint_record_response(
                    complaint=complaint, user=user, response="accepted", note="OK.", now=when
                )
            elif step == ComplaintStatus.EXECUTING:
                services.complaint_start_execution(
                    complaint=complaint, user=user, execution_note="Replacement shipped; fee refunded.", now=when
                )
            elif step == ComplaintStatus.FOLLOW_UP:
                services.complaint_follow_up(
                    complaint=complaint, user=user, follow_up_note="Called the customer.", satisfaction=4, now=when
                )
            elif step == ComplaintStatus.ARCHIVED:
                services.complaint_archive(
                    complaint=complaint,
                    user=user,
                    root_cause_code=root_cause,
                    root_cause=ROOT_CAUSES[root_cause],
                    lessons="Shared with the team in the weekly review.",
                    now=when,
                )
