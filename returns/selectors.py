"""Reads of returns and refunds, with the visibility rules: a storefront sees its own; staff see what their role
and teams allow (agents: returns of tickets they may see; finance and supervisors: all)."""

import uuid
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from returns.models import Refund, RefundStatus, ReturnItem, ReturnRequest, ReturnStatus
from tickets import roles
from tickets.models import Storefront, Ticket
from tickets.selectors import tickets_visible_to


def with_details(returns: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """Everything a return's answer shows, in a fixed number of queries whatever the number of items or refunds."""
    return returns.select_related(
        "ticket", "order", "storefront", "customer", "decided_by", "inspected_by"
    ).prefetch_related(
        Prefetch("items", queryset=ReturnItem.objects.select_related("order_line").order_by("id")),
        Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id")),
        "evidence",
    )


def parse_uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such object.") from None


def returns_for_storefront(
    *,
    storefront: Storefront,
    status: str | None = None,
    order_external_id: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[ReturnRequest]:
    returns = ReturnRequest.objects.filter(storefront=storefront)
    if status:
        returns = returns.filter(status=status)
    if order_external_id:
        returns = returns.filter(order__external_id=order_external_id)
    if created_after:
        returns = returns.filter(created_at__gte=created_after)
    if created_before:
        returns = returns.filter(created_at__lt=created_before)
    return with_details(returns)


def return_get_for_storefront(*, storefront: Storefront, public_id: Any) -> ReturnRequest:
    """The storefront's own return; another storefront's or an unknown one is 404."""
    found = with_details(ReturnRequest.objects.filter(storefront=storefront, public_id=parse_uuid(public_id))).first()
    if found is None:
        raise Http404("No such return.")
    return found


def refund_get_for_storefront(*, storefront: Storefront, public_id: Any) -> Refund:
    found = (
        Refund.objects.select_related("return_request")
        .filter(return_request__storefront=storefront, public_id=parse_uuid(public_id))
        .first()
    )
    if found is None:
        raise Http404("No such refund.")
    return found


def returns_visible_to(user: Any) -> QuerySet[ReturnRequest]:
    if roles.is_supervisor(user) or roles.is_finance(user):
        return ReturnRequest.objects.all()
    if roles.is_agent(user):
        return ReturnRequest.objects.filter(ticket__in=tickets_visible_to(user))
    return ReturnRequest.objects.none()


def _lookup(value: str) -> dict[str, Any]:
    """Staff address a return by its id (UUID) or its reference (R-000123)."""
    if value.upper().startswith("R-"):
        return {"reference": value.upper()}
    return {"public_id": parse_uuid(value)}


def return_get_for_user(*, user: Any, id: str) -> ReturnRequest:
    found = with_details(returns_visible_to(user).filter(**_lookup(id))).first()
    if found is None:
        raise Http404("No such return.")
    return found


def return_get(*, pk: int) -> ReturnRequest:
    return with_details(ReturnRequest.objects.filter(pk=pk)).get()


def return_for_ticket(*, ticket: Ticket) -> ReturnRequest | None:
    return with_details(ReturnRequest.objects.filter(ticket=ticket)).first()


def returns_queue(*, user: Any, status: str | None = None) -> QuerySet[ReturnRequest]:
    """The returns queue: open returns (or one state), oldest first."""
    returns = returns_visible_to(user)
    if status:
        returns = returns.filter(status=status)
    else:
        returns = returns.exclude(status__in=(ReturnStatus.COMPLETED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED))
    return returns.select_related("ticket", "order", "storefront", "customer").order_by("created_at", "id")


def refunds_visible_to(user: Any) -> QuerySet[Refund]:
    return Refund.objects.filter(return_request__in=returns_visible_to(user))


def refund_get_for_user(*, user: Any, public_id: Any) -> Refund:
    found = (
        refunds_visible_to(user)
        .select_related("return_request", "return_request__ticket", "issued_by")
        .filter(public_id=parse_uuid(public_id))
        .first()
    )
    if found is None:
        raise Http404("No such refund.")
    return found


def refunds_queue(*, user: Any, status: str | None = None) -> QuerySet[Refund]:
    """Finance's queue: refunds to issue (pending) or to settle (processing), oldest due first."""
    refunds = refunds_visible_to(user)
    if status:
        refunds = refunds.filter(status=status)
    else:
        refunds = refunds.filter(status__in=(RefundStatus.PENDING, RefundStatus.PROCESSING))
    return (
        refunds.select_related(
            "return_request",
            "return_request__ticket",
            "return_request__storefront",
            "return_request__customer",
            "return_request__order",
            "issued_by",
        )
        .prefetch_related(
            Prefetch(
                "return_request__items",
                queryset=ReturnItem.objects.only("id", "return_request_id", "reason").order_by("reason", "id"),
            )
        )
        .order_by("due_at", "id")
    )
