"""Returns test helpers: the example return body of api.md, and returns made through the service."""

import copy
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from returns import services
from returns.models import ReturnRequest

DELIVERED = datetime.fromisoformat("2026-11-03T15:00:00+08:00")

EXAMPLE_BODY: dict[str, Any] = {
    "order": {
        "external_id": "SO-10001",
        "placed_at": "2026-11-01T10:00:00+08:00",
        "delivered_at": "2026-11-03T15:00:00+08:00",
        "currency": "CNY",
        "lines": [
            {"external_id": "L1", "sku": "KET-01", "name": "Electric kettle", "quantity": 2, "unit_price": "199.00"}
        ],
    },
    "customer": {"external_id": "C-9", "name": "Li Lei", "email": "li.lei@example.com", "phone": "+8613800000000"},
    "items": [{"line": "L1", "quantity": 1, "reason": "quality_issue", "unused": False, "original_packaging": True}],
    "resolution": "refund",
    "description": "The kettle leaks from the base.",
}


def return_body(**changes: Any) -> dict[str, Any]:
    """The example body of api.md; `order__x=` / `item__x=` change a field of the order or of the first item."""
    body = copy.deepcopy(EXAMPLE_BODY)
    for key, value in changes.items():
        if key.startswith("order__"):
            body["order"][key.removeprefix("order__")] = value
        elif key.startswith("item__"):
            body["items"][0][key.removeprefix("item__")] = value
        elif key.startswith("line__"):
            body["order"]["lines"][0][key.removeprefix("line__")] = value
        else:
            body[key] = value
    return body


def make_return(
    storefront,
    *,
    order_id: str = "SO-10001",
    quantity: int = 1,
    bought: int = 2,
    unit_price: str = "199.00",
    reason: str = "quality_issue",
    resolution: str = "refund",
    unused: bool = False,
    original_packaging: bool = True,
    day: int = 2,
    lines: list[services.LineSnapshot] | None = None,
    items: list[services.ItemRequest] | None = None,
    now: datetime | None = None,
    delivered: datetime | None = None,
) -> ReturnRequest:
    """A return created through the service `day` days after delivery (day 2 of a fault: auto-approved)."""
    delivered = delivered or DELIVERED
    snapshot = services.OrderSnapshot(
        external_id=order_id,
        placed_at=delivered - timedelta(days=2),
        delivered_at=delivered,
        currency="CNY",
        lines=lines or [services.LineSnapshot("L1", "KET-01", "Electric kettle", bought, Decimal(unit_price))],
    )
    return services.return_create(
        storefront=storefront,
        order=snapshot,
        items=items or [services.ItemRequest("L1", quantity, reason, unused, original_packaging)],
        resolution=resolution,
        description="It leaks.",
        customer=services.CustomerDetails(external_id="C-9", name="Li Lei"),
        now=now or delivered + timedelta(days=day),
    )


@pytest.fixture
def webhook_storefront(storefront, webhook_receiver):
    storefront.webhook_url = webhook_receiver.url
    storefront.save()
    return storefront


def later(hours: int = 1) -> datetime:
    return timezone.now() + timedelta(hours=hours)
