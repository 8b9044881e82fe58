"""`/api/v1/desk/alerts/`: staff list alerts and acknowledge one.

Each view parses with an input serializer, calls one selector or service and renders with an output serializer.
"""

import zoneinfo
from datetime import tzinfo
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from aftersales.errors import InvalidInput
from aftersales.pagination import StrictCursorPagination
from aftersales.schema import STAFF_AUTH
from alerts import selectors, services
from alerts.models import Alert, AlertKind
from alerts.report_forms import ReportForm
from alerts.reports import report_data
from tickets import roles
from tickets.api.common import (
    CREATE_ERRORS,
    IDEMPOTENCY_KEY,
    LIST_ERRORS,
    POST_ERRORS,
    EmptyIn,
    Input,
    Integer,
    NamedRefOut,
    PageIn,
    QueryBoolean,
    QueryDate,
    QueryInteger,
    StaffRefOut,
    TicketRefOut,
    validated,
    validated_query,
)
from tickets.idempotency import idempotent
from tickets.models import Metric
from tickets.permissions import IsDeskAgent, is_storefront

DESK_TAGS = ["desk: alerts"]
ALERT_STATES = [("open", "open"), ("resolved", "resolved"), ("all", "all")]


class AlertPagination(StrictCursorPagination):
    ordering = ("-created_at", "-id")


class AlertRowPagination(StrictCursorPagination):
    """The alerts page's order: the most urgent stage first, then the longest-standing (selectors.alert_rows)."""

    ordering = ("-rank", "occurred_at", "id")


class AlertOut(Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    metric = serializers.ChoiceField(
        choices=Metric.choices, allow_blank=True, help_text="The SLA metric; empty for complaint and KPI alerts."
    )
    level = serializers.IntegerField(help_text="1; escalations are 2 or 3.")
    message = serializers.CharField(source="text", help_text="What the alert says, in the caller's language.")
    text = serializers.CharField(help_text="The same as `message` (its earlier name, kept for existing clients).")
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


class AlertPageOut(Serializer):
    results = AlertOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class AlertListIn(PageIn):
    team = QueryInteger(required=False, min_value=1, max_value=2**63 - 1)
    metric = serializers.ChoiceField(choices=Metric.choices, required=False)
    kind = serializers.ChoiceField(choices=AlertKind.choices, required=False)
    state = serializers.ChoiceField(choices=ALERT_STATES, required=False, default="open")
    acknowledged = QueryBoolean(required=False, help_text="Only acknowledged (true) or unacknowledged (false) ones.")
    rows = QueryBoolean(
        required=False,
        default=False,
        help_text="The alerts page's rows: one per ticket and clock at its current stage, most urgent first "
        "(open alerts; `kind` is then the current stage).",
    )


ALERT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The alert's id.")


class DeskAlertListApi(APIView):
    permission_classes = [IsDeskAgent]
    openapi_auth = STAFF_AUTH

    @extend_schema(
        operation_id="desk_alerts_list",
        tags=DESK_TAGS,
        summary="Alerts, newest first",
        description="Supervisors see every alert; agents the alerts of their teams' tickets and their own. "
        "Open alerts by default.",
        parameters=[AlertListIn],
        responses={200: AlertPageOut, **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = validated_query(AlertListIn, request.query_params)
        filters: dict[str, Any] = {key: params[key] for key in ("team", "metric", "kind") if key in params}
        filters["acknowledged"] = params.get("acknowledged")
        if params["rows"]:
            alerts = selectors.alert_rows(user=request.user, filters=filters)
            paginator: Any = AlertRowPagination()
        else:
            alerts = selectors.alert_list(user=request.user, filters=filters, open_only=params["state"] == "open")
            if params["state"] == "resolved":
                alerts = alerts.filter(resolved_at__isnull=False)
            paginator = AlertPagination()
        page = paginator.paginate_queryset(alerts, request, view=self)
        return paginator.get_paginated_response(AlertOut(page, many=True).data)


class DeskAlertAcknowledgeApi(APIView):
    permission_classes = [IsDeskAgent]
    openapi_auth = STAFF_AUTH

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
        validated(EmptyIn, request.data)
        alert = services.alert_acknowledge(alert=alert, user=request.user)
        alert = Alert.objects.select_related("ticket", "team", "acknowledged_by").get(pk=alert.pk)
        return Response(AlertOut(alert).data)


class AcknowledgeRowsIn(Input):
    alerts = serializers.ListField(
        child=Integer(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=100,
        help_text="Alert ids (rows of `?rows=true`): every open stage of each one's ticket and clock is acknowledged.",
    )


class AcknowledgedOut(Serializer):
    acknowledged = serializers.IntegerField(help_text="How many alerts were acknowledged (stages included).")


class DeskAlertAcknowledgeRowsApi(APIView):
    permission_classes = [IsDeskAgent]
    openapi_auth = STAFF_AUTH

    @extend_schema(
        operation_id="desk_alerts_acknowledge_rows",
        tags=DESK_TAGS,
        summary="Acknowledge rows of the alerts page: every open stage of each ticket and clock",
        description="Supervisors, or the tickets' assignee; all or nothing. An alert that does not exist or is not "
        "yours to see is 400 naming `alerts`.",
        parameters=[IDEMPOTENCY_KEY],
        request=AcknowledgeRowsIn,
        responses={200: AcknowledgedOut, **CREATE_ERRORS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        ids = set(validated(AcknowledgeRowsIn, request.data)["alerts"])
        alerts = list(selectors.alert_list(user=request.user, open_only=False).filter(pk__in=ids))
        if len(alerts) != len(ids):
            raise InvalidInput(_("No such alert, or it is not yours to see."), field="alerts")
        done = services.alerts_acknowledge_stages(alerts=alerts, user=request.user)
        return Response(AcknowledgedOut({"acknowledged": done}).data)


# --- Reports ------------------------------------------------------------------------------------------------------

REPORT_TAGS = ["desk: reports"]


class IsDeskSupervisor(BasePermission):
    """The reports: supervisors (and superusers) only; agents, finance and storefront keys 403."""

    message = gettext_lazy("This endpoint is for supervisors.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not is_storefront(user) and roles.is_supervisor(user))


class ReportPeriodOut(Serializer):
    start = serializers.DateTimeField(help_text="First instant of the period (inclusive).")
    end = serializers.DateTimeField(help_text="End of the period (exclusive): midnight after the last day.")
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    time_zone = serializers.CharField(help_text="The calendar of the days, hours and weekdays: the caller's.")
    storefront = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)


class ReportThresholdOut(Serializer):
    comparison = serializers.ChoiceField(choices=["at_most", "at_least", "between"])
    value = serializers.FloatField()
    value_max = serializers.FloatField(allow_null=True)
    period = serializers.ChoiceField(choices=["day", "week"])
    storefront = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)


class ReportKpiOut(Serializer):
    kpi = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="Hours or percent (0-100); null: nothing to measure.")
    unit = serializers.ChoiceField(choices=["hours", "percent"])
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    detail = serializers.DictField(help_text="E.g. p90 of the first response, SLA compliance per metric, currency.")
    threshold = ReportThresholdOut(
        allow_null=True, help_text="The active warning line of this scope, else the one for all; null: none."
    )
    ok = serializers.BooleanField(allow_null=True, help_text="Within the line; null: no line or nothing measured.")


class ReportDailyOut(Serializer):
    date = serializers.DateField()
    created = serializers.IntegerField()
    resolved = serializers.IntegerField()


class ReportSlaDailyOut(Serializer):
    date = serializers.DateField()
    metric = serializers.ChoiceField(choices=Metric.choices)
    label = serializers.CharField()
    ended = serializers.IntegerField(help_text="Clocks stopped that day.")
    met = serializers.IntegerField(help_text="Of those, stopped by their deadline.")
    compliance = serializers.FloatField(allow_null=True)


class ReportHistogramOut(Serializer):
    bucket = serializers.IntegerField()
    label = serializers.CharField()
    from_minutes = serializers.IntegerField()
    to_minutes = serializers.IntegerField(allow_null=True, help_text="Exclusive; null for the last bucket.")
    tickets = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class ReportTimesOut(Serializer):
    label = serializers.CharField()
    tickets = serializers.IntegerField(help_text="Tickets created in that hour or weekday.")
    answered = serializers.IntegerField(help_text="Of those, with a first response.")
    average_hours = serializers.FloatField(allow_null=True, help_text="Average first response of those answered.")


class ReportHourOut(ReportTimesOut):
    hour = serializers.IntegerField(min_value=0, max_value=23)


class ReportWeekdayOut(ReportTimesOut):
    weekday = serializers.IntegerField(min_value=1, max_value=7, help_text="ISO: 1 = Monday ... 7 = Sunday.")


class ReportGroupOut(Serializer):
    label = serializers.CharField()
    created = serializers.IntegerField()
    resolved = serializers.IntegerField()
    resolution_rate = serializers.FloatField(allow_null=True)
    average_first_response_hours = serializers.FloatField(allow_null=True)


class ReportCategoryOut(ReportGroupOut):
    category = serializers.CharField()


class ReportChannelOut(ReportGroupOut):
    channel = serializers.CharField()


class ReportTagOut(ReportGroupOut):
    tag = serializers.CharField()


class ReportAgentOut(Serializer):
    agent_id = serializers.IntegerField()
    agent = serializers.CharField()
    handled = serializers.IntegerField(help_text="Tickets assigned to them and resolved in the period.")
    median_first_response_hours = serializers.FloatField(
        allow_null=True, help_text="Of the tickets handled; null on SQLite (no percentile_cont)."
    )
    sla_ended = serializers.IntegerField()
    sla_met = serializers.IntegerField()
    sla_compliance = serializers.FloatField(allow_null=True)
    surveys = serializers.IntegerField()
    average_satisfaction = serializers.FloatField(allow_null=True, help_text="Average overall score, 1-5.")


class ReportParetoOut(Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)
    cumulative_percent = serializers.FloatField(allow_null=True)


class ReportReturnReasonOut(ReportParetoOut):
    reason = serializers.CharField()
    quantity = serializers.IntegerField()


class ReportComplaintCategoryOut(ReportParetoOut):
    category = serializers.CharField()
    compensation = serializers.FloatField()


class ReportRootCauseOut(ReportParetoOut):
    root_cause = serializers.CharField(help_text='"" = not determined yet.')


class ReportOut(Serializer):
    period = ReportPeriodOut()
    kpis = ReportKpiOut(many=True)
    daily = ReportDailyOut(many=True)
    sla_daily = ReportSlaDailyOut(many=True)
    first_response_histogram = ReportHistogramOut(many=True)
    first_response_by_hour = ReportHourOut(many=True)
    first_response_by_weekday = ReportWeekdayOut(many=True)
    by_category = ReportCategoryOut(many=True)
    by_channel = ReportChannelOut(many=True)
    by_tag = ReportTagOut(many=True, help_text="Tickets created per tag, the 50 most used tags.")
    agents = ReportAgentOut(many=True)
    return_reasons = ReportReturnReasonOut(many=True)
    complaint_categories = ReportComplaintCategoryOut(many=True)
    complaint_root_causes = ReportRootCauseOut(many=True)


class ReportIn(Serializer):
    """The report's query parameters as the schema spells them. The report form checks the rest: how they go
    together (from <= to, at most 366 days) and that the storefront and team exist."""

    period = serializers.ChoiceField(
        choices=["7", "30", "90", "custom"], required=False, help_text="The last 7, 30 or 90 days instead of dates."
    )
    storefront = QueryInteger(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Only this storefront's tickets."
    )
    team = QueryInteger(required=False, min_value=1, max_value=2**63 - 1, help_text="Only this team's tickets.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword: it cannot be a class attribute.
        fields["from"] = QueryDate(required=False, help_text="First day (inclusive), in the caller's time zone.")
        fields["to"] = QueryDate(required=False, help_text="Last day (inclusive); at most 366 days after `from`.")
        return fields


class DeskReportApi(APIView):
    permission_classes = [IsDeskSupervisor]
    openapi_auth = STAFF_AUTH

    @extend_schema(
        operation_id="desk_reports",
        tags=REPORT_TAGS,
        summary="The supervisors' reports: KPIs against their warning lines, the charts' series and the tables",
        description="The figures of /reports/ for a period (default: the last 30 days up to today), optionally one "
        "storefront and one team. Days, hours and weekdays in the caller's time zone (their profile).",
        parameters=[ReportIn],
        responses={200: ReportOut, **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        # Token callers pass the middleware before DRF knows who they are: their profile's language and time zone
        # are applied here, so labels and days match what the same person sees on /reports/.
        profile = getattr(request.user, "profile", None)
        tz = _time_zone(profile.time_zone if profile is not None else "")
        language = profile.language if profile is not None else translation.get_language()
        with timezone.override(tz), translation.override(language):
            form = ReportForm(request.query_params, tz=tz)
            if not form.is_valid():
                messages = {name: [str(error) for error in found] for name, found in form.errors.items()}
                raise InvalidInput(gettext_lazy("Invalid input."), errors=messages)
            # The form's messages come first, the same as the page's; then what the form lets by but the schema
            # does not (an empty value, another spelling of a date or a number).
            validated_query(ReportIn, request.query_params)
            return Response(report_data(form.scope(), tz=tz))


def _time_zone(name: str) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(name) if name else timezone.get_current_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()
