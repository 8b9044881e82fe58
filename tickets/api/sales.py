"""`PUT /api/v1/sales-stats/{date}/`: a storefront's daily orders and revenue."""

import re
from datetime import date as date_cls
from datetime import timedelta
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from aftersales.errors import InvalidInput
from tickets.api.common import (
    Input,
    Integer,
    Money,
    StorefrontApi,
    errors,
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
    "date",
    {"type": "string", "format": "date", "pattern": "^2[0-9]{3}-[0-9]{2}-[0-9]{2}$"},
    OpenApiParameter.PATH,
    description="The storefront's calendar day, YYYY-MM-DD, from 2000-01-01; figures are taken up to tomorrow.",
)


class SalesStatIn(Input):
    orders = Integer(min_value=0, max_value=2_147_483_647, help_text="Orders placed that day.")
    revenue = Money(max_digits=14, min_value=Decimal("0"), help_text='Revenue of that day, e.g. "12999.00".')
    currency = serializers.RegexField(
        r"^[A-Z]{3}$",
        trim_whitespace=False,
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


def _parsed_date(value: str) -> date_cls:
    """The path's date: YYYY-MM-DD exactly, from 2000 on (400 on `date` otherwise)."""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(value)
        day = date_cls.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Give the date as YYYY-MM-DD."), field="date") from None
    if day < SALES_FIRST_DATE:
        raise InvalidInput(_("This date is too far in the past."), field="date")
    return day


def _sales_date(value: str) -> date_cls:
    """A day whose figures may be set: also not later than tomorrow (400 on `date` otherwise)."""
    day = _parsed_date(value)
    latest = timezone.now().date() + timedelta(days=SALES_DAYS_AHEAD)
    if day > latest:
        raise InvalidInput(_("This date is in the future."), field="date")
    return day


class SalesStatApi(StorefrontApi):
    @extend_schema(
        operation_id="sales_stats_update",
        tags=["storefront: sales"],
        summary="Set one day's orders and revenue (upsert)",
        description="Creates the day's figures (201) or replaces them (200). Repeating the same PUT changes nothing. "
        "Orders and revenue are the denominators of the return rate, complaint rate and after-sales cost. A day "
        "after tomorrow is refused (400 on `date`).",
        parameters=[SALES_DATE],
        request=SalesStatIn,
        responses={
            200: OpenApiResponse(SalesStatOut, description="The day's figures were replaced."),
            201: OpenApiResponse(SalesStatOut, description="The day's figures were created."),
            **errors(
                400,
                401,
                403,
                413,
                415,
                429,
                **{"400": "Invalid input; `errors` names the field (date, orders, revenue, currency)."},
            ),
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
            **errors(
                400,
                401,
                403,
                404,
                429,
                **{"400": "The date is not YYYY-MM-DD from 2000 on.", "404": "No figures that day (yet)."},
            ),
        },
    )
    def get(self, request: Request, date: str) -> Response:
        day = _parsed_date(date)
        stat = SalesStat.objects.filter(storefront=request.user.storefront, date=day).first()
        if stat is None:
            raise Http404("No figures for this day.")
        return Response(SalesStatOut(stat).data)
