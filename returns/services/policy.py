# ruff: noqa: RUF001  (the Chinese sentences use Chinese punctuation on purpose)
"""The return policy's decision: a pure function of the policy, the request and the instant (no database).

Days are calendar days after delivery in the service's time zone (settings.TIME_ZONE): delivered on the 3rd,
asked on the 10th = day 7. A request is auto-rejected only when it is outside every window that could apply to it.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from returns.models import FAULT_REASONS, Outcome, Resolution, ReturnPolicy

# Rule code -> the sentence shown to the customer, with a built-in Chinese wording used until locale/ has one.
RULES: dict[str, tuple[str, str]] = {
    "no_reason_within_window": (
        gettext_noop(
            "Returns without a reason are accepted within %(days)d days of delivery for unused items in their "
            "original packaging."
        ),
        "签收后%(days)d天内，商品未使用且包装完好，支持无理由退货。",
    ),
    "no_reason_item_used": (
        gettext_noop("The item is used or not in its original packaging, so an agent will review this return."),
        "商品已使用或包装不完整，客服将人工审核此退货申请。",
    ),
    "no_reason_window_passed": (
        gettext_noop("Returns without a reason are accepted only within %(days)d days of delivery."),
        "无理由退货仅限签收后%(days)d天内申请。",
    ),
    "no_reason_repair": (
        gettext_noop("A repair without a product fault will be reviewed by an agent."),
        "非质量问题的维修申请将由客服人工审核。",
    ),
    "fault_within_refund_window": (
        gettext_noop("Faulty items can be returned for a refund within %(days)d days of delivery."),
        "签收后%(days)d天内，商品存在质量问题可申请退货退款。",
    ),
    "fault_within_exchange_window": (
        gettext_noop("Faulty items can be exchanged within %(days)d days of delivery."),
        "签收后%(days)d天内，商品存在质量问题可申请换货。",
    ),
    "fault_within_warranty": (
        gettext_noop("Faulty items are repaired within the %(days)d-day warranty."),
        "商品在%(days)d天保修期内，可申请维修。",
    ),
    "fault_outside_asked_window": (
        gettext_noop(
            "The window for this resolution has passed, but another remedy may apply; an agent will review it."
        ),
        "所申请的处理方式已超出期限，但可能适用其他方式，客服将人工审核。",
    ),
    "fault_outside_warranty": (
        gettext_noop("The %(days)d-day warranty has passed."),
        "商品已超出%(days)d天保修期。",
    ),
    "mixed_items": (
        gettext_noop("Some items of this return need a closer look; an agent will review it."),
        "此退货申请中部分商品需要进一步核实，客服将人工审核。",
    ),
    "above_auto_approve_limit": (
        gettext_noop("Returns above %(limit)s %(currency)s are reviewed by an agent."),
        "退款金额超过%(limit)s %(currency)s的退货申请将由客服人工审核。",
    ),
}


@dataclass(frozen=True)
class ItemFacts:
    reason: str
    unused: bool
    original_packaging: bool


@dataclass(frozen=True)
class Decision:
    outcome: str
    rule: str
    explanation: str


@dataclass(frozen=True)
class _Verdict:
    outcome: str
    rule: str
    days: int


def explain(rule: str, *, language: str, **values: object) -> str:
    """The rule's sentence in the customer's language (English or Simplified Chinese)."""
    english, chinese = RULES[rule]
    with translation.override(language):
        text = gettext(english)
    if language.lower().startswith("zh") and text == english:
        text = chinese  # locale/ has no translation of it yet: the built-in wording
    return text % values


def days_after_delivery(delivered_at: datetime, now: datetime) -> int:
    zone = ZoneInfo(settings.TIME_ZONE)
    return (now.astimezone(zone).date() - delivered_at.astimezone(zone).date()).days


def _item_verdict(policy: ReturnPolicy, item: ItemFacts, resolution: str, day: int) -> _Verdict:
    if item.reason in FAULT_REASONS:
        windows = {
            Resolution.REFUND: ("fault_within_refund_window", policy.fault_refund_days),
            Resolution.EXCHANGE: ("fault_within_exchange_window", policy.fault_exchange_days),
            Resolution.REPAIR: ("fault_within_warranty", policy.repair_days),
        }
        rule, days = windows[resolution]
        if day <= days:
            return _Verdict(Outcome.AUTO_APPROVED, rule, days)
        # A fault may still be exchanged or repaired when the refund window has passed: only outside the longest
        # window does the policy refuse on its own.
        longest = max(policy.fault_refund_days, policy.fault_exchange_days, policy.repair_days)
        if day <= longest:
            return _Verdict(Outcome.NEEDS_REVIEW, "fault_outside_asked_window", days)
        return _Verdict(Outcome.AUTO_REJECTED, "fault_outside_warranty", longest)
    if day > policy.no_reason_days:
        return _Verdict(Outcome.AUTO_REJECTED, "no_reason_window_passed", policy.no_reason_days)
    if resolution == Resolution.REPAIR:
        return _Verdict(Outcome.NEEDS_REVIEW, "no_reason_repair", policy.no_reason_days)
    if not (item.unused and item.original_packaging):
        return _Verdict(Outcome.NEEDS_REVIEW, "no_reason_item_used", policy.no_reason_days)
    return _Verdict(Outcome.AUTO_APPROVED, "no_reason_within_window", policy.no_reason_days)


def decide(
    *,
    policy: ReturnPolicy,
    items: list[ItemFacts],
    resolution: str,
    delivered_at: datetime,
    now: datetime,
    refundable_amount: Decimal,
    currency: str,
    language: str,
) -> Decision:
    """auto_approved / needs_review / auto_rejected, the rule that decided and its sentence."""
    day = days_after_delivery(delivered_at, now)
    verdicts = [_item_verdict(policy, item, resolution, day) for item in items]
    outcomes = {verdict.outcome for verdict in verdicts}
    if outcomes == {Outcome.AUTO_REJECTED}:
        chosen = verdicts[0]
    elif Outcome.AUTO_REJECTED in outcomes:
        return Decision(Outcome.NEEDS_REVIEW, "mixed_items", explain("mixed_items", language=language))
    elif Outcome.NEEDS_REVIEW in outcomes:
        chosen = next(verdict for verdict in verdicts if verdict.outcome == Outcome.NEEDS_REVIEW)
    elif refundable_amount > policy.auto_approve_limit:
        rule = "above_auto_approve_limit"
        text = explain(rule, language=language, limit=f"{policy.auto_approve_limit:.2f}", currency=currency)
        return Decision(Outcome.NEEDS_REVIEW, rule, text)
    else:
        chosen = verdicts[0]
    return Decision(chosen.outcome, chosen.rule, explain(chosen.rule, language=language, days=chosen.days))
