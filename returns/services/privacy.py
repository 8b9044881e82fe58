"""A customer's erasure, for returns and refunds: the customer's own description and the parcel's tracking number
erased, staff text about them scrubbed, amounts and times kept. Registered with `tickets.services.privacy` from
ReturnsConfig.ready(), so that the ticket core erases returns without importing this app."""

from django.db.models import Q

from returns.models import Refund, ReturnRequest
from tickets.services.privacy import Erasure


def erase_customer_returns(erasure: Erasure) -> None:
    # The tickets are locked already (tickets.services.privacy.customer_erase); the returns after them, as the
    # returns services lock them.
    returns = list(
        ReturnRequest.objects.select_for_update()
        .filter(Q(customer=erasure.customer) | Q(ticket_id__in=erasure.ticket_ids))
        .order_by("pk")
    )
    changed = 0
    for return_request in returns:
        erasure.needles |= {str(return_request.public_id), return_request.reference or ""}
        before = _text_fields(return_request)
        return_request.description = erasure.erase_text(return_request.description)
        return_request.tracking_number = erasure.erase_text(return_request.tracking_number)
        for name in RETURN_STAFF_TEXT:
            setattr(return_request, name, erasure.scrub(getattr(return_request, name)))
        if _text_fields(return_request) != before:
            return_request.save(update_fields=[*RETURN_CUSTOMER_TEXT, *RETURN_STAFF_TEXT])
            changed += 1
    erasure.counts["return_requests"] += changed
    refunds = list(Refund.objects.select_for_update().filter(return_request__in=returns).order_by("pk"))
    changed = 0
    for refund in refunds:
        erasure.needles.add(str(refund.public_id))
        before = (refund.amount_reason, refund.failure_reason)
        refund.amount_reason = erasure.scrub(refund.amount_reason)
        refund.failure_reason = erasure.scrub(refund.failure_reason)
        if (refund.amount_reason, refund.failure_reason) != before:
            refund.save(update_fields=["amount_reason", "failure_reason"])
            changed += 1
    erasure.counts["refunds"] += changed


RETURN_CUSTOMER_TEXT = ("description", "tracking_number")
RETURN_STAFF_TEXT = ("decision_explanation", "decision_reason", "inspection_notes", "repair_outcome")


def _text_fields(return_request: ReturnRequest) -> tuple[str, ...]:
    return tuple(getattr(return_request, name) for name in (*RETURN_CUSTOMER_TEXT, *RETURN_STAFF_TEXT))
