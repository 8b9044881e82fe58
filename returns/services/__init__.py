"""Every write of returns and refunds. API views, desk views and tasks call these; nothing else writes."""

from returns.services.policy import Decision, ItemFacts, decide
from returns.services.refunds import refund_create, refund_issue, refund_lower, refund_settle
from returns.services.returns import (
    CustomerDetails,
    ItemRequest,
    LineSnapshot,
    OrderSnapshot,
    policy_for,
    return_add_evidence,
    return_approve,
    return_cancel,
    return_create,
    return_inspect,
    return_receive,
    return_record_repair,
    return_reject,
    return_request_exchange,
    return_ship,
)

__all__ = [
    "CustomerDetails",
    "Decision",
    "ItemFacts",
    "ItemRequest",
    "LineSnapshot",
    "OrderSnapshot",
    "decide",
    "policy_for",
    "refund_create",
    "refund_issue",
    "refund_lower",
    "refund_settle",
    "return_add_evidence",
    "return_approve",
    "return_cancel",
    "return_create",
    "return_inspect",
    "return_receive",
    "return_record_repair",
    "return_reject",
    "return_request_exchange",
    "return_ship",
]
