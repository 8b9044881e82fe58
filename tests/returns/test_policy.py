"""The return policy's decision at the window edges (issue 4, "Must show")."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from returns.models import Outcome, ReturnPolicy
from returns.services.policy import ItemFacts, decide

DELIVERED = datetime.fromisoformat("2026-11-03T15:00:00+08:00")


def _decide(
    *items: ItemFacts,
    resolution: str = "refund",
    day: int,
    amount: str = "199.00",
    language: str = "en",
    policy: ReturnPolicy | None = None,
):
    # 23:00 local on the day: the day counts in calendar days, whatever the hour of delivery.
    now = DELIVERED.replace(hour=23) + timedelta(days=day)
    return decide(
        policy=policy or ReturnPolicy(),
        items=list(items),
        resolution=resolution,
        delivered_at=DELIVERED,
        now=now,
        refundable_amount=Decimal(amount),
        currency="CNY",
        language=language,
    )


UNUSED = ItemFacts("changed_mind", unused=True, original_packaging=True)


def test_changed_mind_on_day_7_unused_in_packaging_is_auto_approved():
    decision = _decide(UNUSED, day=7)
    assert decision.outcome == Outcome.AUTO_APPROVED
    assert decision.rule == "no_reason_within_window"
    assert "7 days" in decision.explanation


def test_changed_mind_on_day_8_is_auto_rejected():
    decision = _decide(UNUSED, day=8)
    assert decision.outcome == Outcome.AUTO_REJECTED
    assert decision.rule == "no_reason_window_passed"


@pytest.mark.parametrize(("unused", "packaging"), [(False, True), (True, False), (False, False)])
def test_changed_mind_with_a_used_item_or_no_packaging_needs_review(unused, packaging):
    decision = _decide(ItemFacts("changed_mind", unused, packaging), day=3)
    assert decision.outcome == Outcome.NEEDS_REVIEW
    assert decision.rule == "no_reason_item_used"


def test_quality_issue_exchange_on_day_12_is_auto_approved():
    decision = _decide(ItemFacts("quality_issue", False, False), resolution="exchange", day=12)
    assert decision.outcome == Outcome.AUTO_APPROVED
    assert decision.rule == "fault_within_exchange_window"


@pytest.mark.parametrize(("day", "outcome"), [(15, Outcome.AUTO_APPROVED), (16, Outcome.NEEDS_REVIEW)])
def test_the_exchange_window_ends_after_day_15(day, outcome):
    assert _decide(ItemFacts("wrong_item", False, False), resolution="exchange", day=day).outcome == outcome


@pytest.mark.parametrize(
    ("day", "outcome", "rule"),
    [
        (7, Outcome.AUTO_APPROVED, "fault_within_refund_window"),
        # past the refund window a fault may still be exchanged or repaired: an agent decides
        (8, Outcome.NEEDS_REVIEW, "fault_outside_asked_window"),
        (365, Outcome.NEEDS_REVIEW, "fault_outside_asked_window"),
        # outside every window that could apply: refused
        (366, Outcome.AUTO_REJECTED, "fault_outside_warranty"),
    ],
)
def test_fault_refund_windows(day, outcome, rule):
    decision = _decide(ItemFacts("quality_issue", False, True), day=day)
    assert (decision.outcome, decision.rule) == (outcome, rule)


@pytest.mark.parametrize(("day", "outcome"), [(365, Outcome.AUTO_APPROVED), (366, Outcome.AUTO_REJECTED)])
def test_repair_within_the_warranty(day, outcome):
    assert _decide(ItemFacts("quality_issue", False, False), resolution="repair", day=day).outcome == outcome


def test_above_the_auto_approve_limit_needs_review():
    assert _decide(ItemFacts("quality_issue", False, True), day=1, amount="500.00").outcome == Outcome.AUTO_APPROVED
    decision = _decide(ItemFacts("quality_issue", False, True), day=1, amount="500.01")
    assert decision.outcome == Outcome.NEEDS_REVIEW
    assert decision.rule == "above_auto_approve_limit"
    assert "500.00 CNY" in decision.explanation


def test_a_storefront_policy_with_other_windows_decides_by_them():
    policy = ReturnPolicy(no_reason_days=14, auto_approve_limit=Decimal("50.00"))
    assert _decide(UNUSED, day=14, amount="20.00", policy=policy).outcome == Outcome.AUTO_APPROVED
    assert _decide(UNUSED, day=14, amount="60.00", policy=policy).outcome == Outcome.NEEDS_REVIEW


def test_one_item_outside_its_window_and_one_inside_needs_review():
    decision = _decide(UNUSED, ItemFacts("changed_mind", True, True), day=3)
    assert decision.outcome == Outcome.AUTO_APPROVED
    mixed = _decide(ItemFacts("quality_issue", False, False), ItemFacts("changed_mind", True, True), day=10)
    assert mixed.outcome == Outcome.NEEDS_REVIEW
    assert mixed.rule == "mixed_items"


def test_the_explanation_is_in_the_storefronts_language():
    chinese = _decide(UNUSED, day=8, language="zh-hans")
    assert "签收后" in chinese.explanation and "7" in chinese.explanation
    english = _decide(UNUSED, day=8, language="en")
    assert english.explanation == "Returns without a reason are accepted only within 7 days of delivery."


def test_the_day_counts_calendar_days_in_the_service_time_zone():
    # delivered 15:00 on the 3rd; 00:30 on the 11th (Shanghai) is day 8 although fewer than 7.5 x 24 h have passed
    now = datetime.fromisoformat("2026-11-11T00:30:00+08:00")
    decision = decide(
        policy=ReturnPolicy(),
        items=[UNUSED],
        resolution="refund",
        delivered_at=DELIVERED,
        now=now,
        refundable_amount=Decimal("1.00"),
        currency="CNY",
        language="en",
    )
    assert decision.outcome == Outcome.AUTO_REJECTED
