"""Daily sales figures from the storefronts: the denominators of the return rate, complaint rate and cost KPIs."""

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from tickets.models import SalesStat, Storefront


@transaction.atomic
def sales_stat_upsert(
    *,
    storefront: Storefront,
    day: date,
    orders: int,
    revenue: Decimal,
    currency: str,
    now: datetime | None = None,
) -> tuple[SalesStat, bool]:
    """Set the storefront's figures for one day; returns (row, created). A PUT repeated is the same row.

    Two writers of the same day at once never fail: update_or_create locks the existing row, and when there is none
    both try to insert; the unique constraint (storefront, date) makes the second wait for the first to commit,
    then fail its insert inside a savepoint and update the row the first wrote. The last write wins."""
    now = now or timezone.now()
    return SalesStat.objects.update_or_create(
        storefront=storefront,
        date=day,
        defaults={"orders": orders, "revenue": revenue, "currency": currency, "updated_at": now},
        create_defaults={
            "orders": orders,
            "revenue": revenue,
            "currency": currency,
            "created_at": now,
            "updated_at": now,
        },
    )
