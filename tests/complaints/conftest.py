"""Complaint fixtures: complaints driven through the real services to any state of the workflow."""

from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, ComplaintStatus, RootCause
from tests.factories import CustomerFactory

# How to reach each state from `received`, one service call per step.
PATHS: dict[str, tuple[str, ...]] = {
    ComplaintStatus.RECEIVED: (),
    ComplaintStatus.INVESTIGATING: ("investigate",),
    ComplaintStatus.SOLUTION_PROPOSED: ("investigate", "propose"),
    ComplaintStatus.ACCEPTED: ("investigate", "propose", "accept"),
    ComplaintStatus.DECLINED: ("investigate", "propose", "decline"),
    ComplaintStatus.EXECUTING: ("investigate", "propose", "accept", "execute"),
    ComplaintStatus.FOLLOW_UP: ("investigate", "propose", "accept", "execute", "follow_up"),
    ComplaintStatus.ARCHIVED: ("investigate", "propose", "accept", "execute", "follow_up", "archive"),
}


def run_step(complaint: Complaint, step: str, user: Any, now: datetime | None = None) -> Complaint:
    now = now or timezone.now()
    if step == "investigate":
        return services.complaint_start_investigation(complaint=complaint, user=user, now=now)
    if step == "propose":
        return services.complaint_propose_solution(
            complaint=complaint,
            user=user,
            findings="The kettle batch 42 has a faulty seal.",
            proposed_solution="A replacement kettle and a voucher.",
            compensation_amount="50.00",
            currency="CNY",
            now=now,
        )
    if step in ("accept", "decline"):
        return services.complaint_record_response(
            complaint=complaint, user=user, response="accepted" if step == "accept" else "declined", now=now
        )
    if step == "execute":
        return services.complaint_start_execution(
            complaint=complaint, user=user, execution_note="Replacement shipped.", now=now
        )
    if step == "follow_up":
        return services.complaint_follow_up(
            complaint=complaint, user=user, follow_up_note="Customer is happy.", satisfaction=5, now=now
        )
    if step == "archive":
        return services.complaint_archive(
            complaint=complaint,
            user=user,
            root_cause_code=RootCause.SUPPLIER,
            root_cause="Seal supplier changed material.",
            lessons="Inspect seals of new batches.",
            now=now,
        )
    raise ValueError(step)


@pytest.fixture
def make_complaint(storefront, agent):
    """make_complaint(status=..., category=..., severity=..., customer=..., storefront=..., now=...)."""

    def make(
        status: str = ComplaintStatus.RECEIVED,
        *,
        category: str = "service",
        severity: str = "minor",
        customer: Any = None,
        shop: Any = None,
        user: Any = None,
        body: str = "The agent was rude to me on the phone.",
        now: datetime | None = None,
    ) -> Complaint:
        shop = shop or storefront
        complaint = services.complaint_create(
            storefront=shop,
            category=category,
            body=body,
            severity=severity,
            customer=customer or CustomerFactory(storefront=shop),
            order_external_id="SO-1",
            now=now,
        )
        for step in PATHS[status]:
            complaint = run_step(complaint, step, user or agent, now=now)
        return Complaint.objects.select_related("ticket").get(pk=complaint.pk)

    return make
