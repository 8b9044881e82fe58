"""The return's panel on its ticket page, and the actions it offers now to this user (the services still decide)."""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from returns import forms, selectors
from returns.models import COUNTED_REFUND_STATUSES, Outcome, RefundStatus, Resolution, ReturnStatus
from returns.services.refunds import may_refund_now
from tickets import roles


def _agent_actions(return_request: Any, left_to_refund: Decimal) -> list[str]:
    status = return_request.status
    by_policy = return_request.decided_by_id is None and return_request.decision_outcome in (
        Outcome.AUTO_APPROVED,
        Outcome.AUTO_REJECTED,
    )
    actions: list[str] = []
    if status == ReturnStatus.REQUESTED:
        actions += ["approve", "reject", "cancel"]
    elif status == ReturnStatus.APPROVED:
        actions += ["reject", "cancel"] if by_policy else ["cancel"]
    elif status == ReturnStatus.REJECTED and by_policy:
        actions.append("approve")
    elif status == ReturnStatus.IN_TRANSIT:
        actions += ["receive", "cancel"]
    elif status == ReturnStatus.RECEIVED:
        actions.append("inspect")
    elif status == ReturnStatus.INSPECTED and return_request.inspection_passed:
        if return_request.resolution == Resolution.EXCHANGE:
            actions.append("exchange")
        elif return_request.resolution == Resolution.REPAIR:
            actions.append("repair")
    if may_refund_now(return_request) and left_to_refund > 0:
        actions.append("refund")
    return actions


def build_return_panel(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    if ticket.kind != "return":
        return None
    return_request = selectors.return_for_ticket(ticket=ticket)
    if return_request is None:
        return None
    return return_panel_context(request, return_request)


def return_panel_context(request: HttpRequest, return_request: Any) -> dict[str, Any]:
    """The return panel's context (on its ticket page, and on the return's own page for finance)."""
    user = request.user
    is_agent, is_finance = roles.is_agent(user), roles.is_finance(user)
    refunds = list(return_request.refunds.all())
    counted = sum((r.amount for r in refunds if r.status in COUNTED_REFUND_STATUSES), Decimal("0"))
    left_to_refund = return_request.refundable_amount - counted
    for refund in refunds:
        refund.can_lower = is_agent and refund.status == RefundStatus.PENDING
        refund.can_issue = is_finance and refund.status == RefundStatus.PENDING
        refund.can_settle = is_finance and refund.status == RefundStatus.PROCESSING
    return {
        "template": "returns/_panel.html",
        "return_request": return_request,
        "items": list(return_request.items.all()),
        "evidence": list(return_request.evidence.all()),
        "refunds": refunds,
        "actions": _agent_actions(return_request, left_to_refund) if is_agent else [],
        "approve_form": forms.ApproveForm(prefix="approve"),
        "reject_form": forms.RequiredReasonForm(prefix="reject"),
        "cancel_form": forms.CancelForm(prefix="cancel"),
        "inspect_form": forms.InspectForm(prefix="inspect"),
        "refund_form": forms.RefundForm(prefix="refund", initial={"amount": left_to_refund}),
        "exchange_form": forms.ExchangeForm(prefix="exchange"),
        "repair_form": forms.RepairForm(prefix="repair"),
        "lower_form": forms.LowerRefundForm(prefix="lower"),
        "settle_form": forms.SettleForm(prefix="settle"),
    }
