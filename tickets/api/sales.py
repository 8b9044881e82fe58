"""`PUT /api/v1/sales-stats/{date}/`: a storefront's daily orders and revenue."""

import re
from datetime import date as date_cls
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from aftersales.errors import InvalidInput
from tickets.api.common import (
    AUTH_ERRORS,
    READ_ERRORS,
    StorefrontApi,
    error_response,
    validated,
)
from tickets.models import (
    SalesStat,
)
from tickets.services.sales import sales_stat_upsert

# --- Storefront: daily sales figures ----------------------------------------------------------------------------

# The storefront's own calendar day; UTC+14 is at most one day ahead of any server clock.
SALES_DAYS_AHEAD = 1
SALES_FIRST_DATE = date_cls(2000, 1, 1)
SALES_DATE = OpenApiParameter(
    "date", OpenApiTypes.DATE, OpenApiParameter.PATH, description="The storefront's calendar day, YYYY-MM-DD."
)


class StrictInteger(serializers.IntegerField):
    """A JSON integer: strings, floats and booleans are refused instead of being turned into numbers."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class MoneyString(serializers.DecimalField):
    """An amount as a decimal string ("199.00"); numbers are refused (no floats on the way to money)."""

    default_error_messages = {
        "invalid": gettext_lazy('A decimal string is required, e.g. "199.00".'),
    }

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class SalesStatIn(Serializer):
    orders = StrictInteger(min_value=0, max_value=2_147_483_647, help_text="Orders placed that day.")
    revenue = MoneyString(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), help_text='Revenue of that day, e.g. "12999.00".'
    )
    currency = serializers.RegexField(
        r"^[A-Z]{3}$",
        help_text="ISO 4217, e.g. CNY.",
        error_messages={"invalid": gettext_lazy("Three upper-case letters, e.g. CNY.")},
    )


class SalesStatOut(Serializer):
    date = serializers.DateField()
    orders = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _sales_date(value: str) -> date_cls:
    """The path's date: YYYY-MM-DD exactly, from 2000 on, and not later than tomorrow (400 on `date` otherwise)."""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(value)
        day = date_cls.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Give the date as YYYY-MM-DD."), field="date") from None
    latest = timezone.now().date() + timedelta(days=SALES_DAYS_AHEAD)
    if day > latest:
        raise InvalidInput(_("This date is in the future."), field="date")
    if day < SALES_FIRST_DATE:
        raise InvalidInput(_("This date is too far in the past."), field="date")
    return day


class SalesStatApi(StorefrontApi):
    @extend_schema(
        operation_id="sales_stats_update",
        tags=["storefront: sales"],
        summary="Set one day's orders and revenue (upsert)",
        description="Creates the day's figures (201) or replaces them (200). Repeating the same PUT changes nothing. "
        "Orders and revenue are the denominators of the return rate, complaint rate and after-sales cost.",
        parameters=[SALES_DATE],
        request=SalesStatIn,
        responses={
            200: OpenApiResponse(SalesStatOut, description="The day's figures were replaced."),
            201: OpenApiResponse(SalesStatOut, description="The day's figures were created."),
            400: error_response("Invalid input; `errors` names the field (date, orders, revenue, currency)."),
            **AUTH_ERRORS,
        },
    )
    def put(self, request: Request, date: str) -> Response:
        day = _sales_date(date)
        data = validated(SalesStatIn, request.data)
        stat, created = sales_stat_upsert(storefront=request.user.storefront, day=day, **data)
        return Response(SalesStatOut(stat).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        operation_id="sales_stats_retrieve",
        tags=["storefront: sales"],
        summary="One day's orders and revenue, as last set",
        parameters=[SALES_DATE],
        responses={
            200: SalesStatOut,
            400: error_response("The date is not YYYY-MM-DD."),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request, date: str) -> Response:
        day = _sales_date(date)
        stat = SalesStat.objects.filter(storefront=request.user.storefront, date=day).first()
        if stat is None:
            raise Http404("No figures for this day.")
        return Response(SalesStatOut(stat).data)
