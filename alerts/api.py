"""`/api/v1/desk/alerts/`: staff list alerts and acknowledge one.

Each view parses with an input serializer, calls one selector or service and renders with an output serializer.
"""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import selectors, services
from alerts.models import Alert, AlertKind
from tickets.api import (
    AUTH_ERRORS,
    IDEMPOTENCY_KEY,
    POST_ERRORS,
    NamedRefOut,
    StaffRefOut,
    Text,
    TicketRefOut,
    _error,
    _validated,
)
from tickets.idempotency import idempotent
from tickets.models import Metric
from tickets.permissions import IsDeskAgent

DESK_TAGS = ["desk: alerts"]
ALERT_STATES = [("open", "open"), ("resolved", "resolved"), ("all", "all")]


class AlertPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class AlertOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    metric = serializers.ChoiceField(
        choices=Metric.choices, allow_blank=True, help_text="The SLA metric; empty for complaint and KPI alerts."
    )
    level = serializers.IntegerField(help_text="1; escalations are 2 or 3.")
    text = serializers.CharField(help_text="What the alert says, in the caller's language.")
    ticket = TicketRefOut(allow_null=True)
    team = NamedRefOut(allow_null=True)
    occurred_at = serializers.DateTimeField(
        help_text="The instant the alert is about: the warning point, the breach instant (= the deadline), the "
        "escalation point."
    )
    created_at = serializers.DateTimeField(help_text="When the sweep raised it.")
    acknowledged_by = StaffRefOut(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True, help_text="When its clock stopped (answered, resolved).")


class AlertPageOut(serializers.Serializer):
    results = AlertOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class AlertListIn(serializers.Serializer):
    team = serializers.IntegerField(required=False, min_value=1)
    metric = serializers.ChoiceField(choices=Metric.choices, required=False)
    kind = serializers.ChoiceField(choices=AlertKind.choices, required=False)
    state = serializers.ChoiceField(choices=ALERT_STATES, required=False, default="open")
    acknowledged = serializers.BooleanField(required=False, allow_null=True, default=None)
    cursor = Text(required=False, max_length=500)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=AlertPagination.max_page_size)


class EmptyIn(serializers.Serializer):
    pass


ALERT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The alert's id.")


class DeskAlertListApi(APIView):
    permission_classes = [IsDeskAgent]

    @extend_schema(
        operation_id="desk_alerts_list",
        tags=DESK_TAGS,
        summary="Alerts, newest first",
        description="Supervisors see every alert; agents the alerts of their teams' tickets and their own. "
        "Open alerts by default.",
        parameters=[AlertListIn],
        responses={200: AlertPageOut, 400: _error("Invalid filter."), **AUTH_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = _validated(AlertListIn, request.query_params)
        filters: dict[str, Any] = {key: params[key] for key in ("team", "metric", "kind") if key in params}
        filters["acknowledged"] = params.get("acknowledged")
        alerts = selectors.alert_list(user=request.user, filters=filters, open_only=params["state"] == "open")
        if params["state"] == "resolved":
            alerts = alerts.filter(resolved_at__isnull=False)
        paginator = AlertPagination()
        page = paginator.paginate_queryset(alerts, request, view=self)
        return paginator.get_paginated_response(AlertOut(page, many=True).data)


class DeskAlertAcknowledgeApi(APIView):
    permission_classes = [IsDeskAgent]

    @extend_schema(
        operation_id="desk_alerts_acknowledge",
        tags=DESK_TAGS,
        summary="Acknowledge an alert: record who took charge and when",
        description="Supervisors, or the ticket's assignee. 409 when it is already acknowledged.",
        parameters=[ALERT_ID, IDEMPOTENCY_KEY],
        request=EmptyIn,
        responses={200: AlertOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: int) -> Response:
        alert = selectors.alert_get_for_user(user=request.user, alert_id=id)
        alert = services.alert_acknowledge(alert=alert, user=request.user)
        alert = Alert.objects.select_related("ticket", "team", "acknowledged_by").get(pk=alert.pk)
        return Response(AlertOut(alert).data)
