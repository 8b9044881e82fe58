"""The order beside its ticket (page and desk API): lines, amounts, delivery, the returns' tracking and refunds.

Registered from ReturnsConfig.ready() as the ticket context "order"; the shape is tickets.api.common.OrderContextOut.
"""

from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch

from returns.models import Order, OrderLine, Refund, RefundStatus, ReturnRequest
from tickets.models import Ticket
from tickets.selectors import tickets_visible_to


def build_order_context(ticket: Ticket, user: Any) -> dict[str, Any] | None:
    """The snapshot of the ticket's order in its storefront, or None when the ticket names no order the storefront
    has sent. The order's returns whose tickets this user may not see are only counted (`hidden_returns`). Four
    queries whatever the number of lines, returns and refunds."""
    if not ticket.order_external_id:
        return None
    order = (
        Order.objects.filter(storefront_id=ticket.storefront_id, external_id=ticket.order_external_id)
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch(
                "returns",
                queryset=ReturnRequest.objects.select_related("ticket")
                .annotate(visible=Exists(tickets_visible_to(user).filter(pk=OuterRef("ticket_id"))))
                .only(
                    "id",
                    "reference",
                    "order_id",
                    "ticket_id",
                    "status",
                    "resolution",
                    "refundable_amount",
                    "currency",
                    "carrier",
                    "tracking_number",
                    "shipped_at",
                    "received_at",
                    "created_at",
                    "ticket__reference",
                )
                .prefetch_related(Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id")))
                .order_by("created_at", "id"),
            ),
        )
        .first()
    )
    if order is None:
        return None
    lines = [
        {
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "amount": line.unit_price * line.quantity,
        }
        for line in order.lines.all()
    ]
    returns = []
    refunded = Decimal("0.00")
    hidden = 0
    for return_request in order.returns.all():
        if not return_request.visible:
            hidden += 1
            continue
        refunds = [
            {
                "reference": refund.reference,
                "amount": refund.amount,
                "currency": refund.currency,
                "status": refund.status,
                "status_label": refund.get_status_display(),
                "due_at": refund.due_at,
                "settled_at": refund.settled_at,
            }
            for refund in return_request.refunds.all()
        ]
        refunded += sum((r["amount"] for r in refunds if r["status"] == RefundStatus.SUCCEEDED), Decimal("0.00"))
        returns.append(
            {
                "reference": return_request.reference,
                "ticket_reference": return_request.ticket.reference,
                "status": return_request.status,
                "status_label": return_request.get_status_display(),
                "resolution": return_request.resolution,
                "resolution_label": return_request.get_resolution_display(),
                "refundable_amount": return_request.refundable_amount,
                "carrier": return_request.carrier,
                "tracking_number": return_request.tracking_number,
                "shipped_at": return_request.shipped_at,
                "received_at": return_request.received_at,
                "refunds": refunds,
            }
        )
    return {
        "external_id": order.external_id,
        "placed_at": order.placed_at,
        "delivered_at": order.delivered_at,
        "currency": order.currency,
        "lines": lines,
        "total": sum((line["amount"] for line in lines), Decimal("0.00")),
        "refunded": refunded,
        "returns": returns,
        "hidden_returns": hidden,
    }
