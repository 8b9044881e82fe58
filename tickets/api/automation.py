"""The desk API of automation (automation.md, "Editing" and "Shapes"): triggers, time rules and chat channels,
for supervisors. Views parse and call `tickets.services.automation` / `tickets.services.chat`, which check the
conditions and actions and answer 400 naming the path (`conditions.all.0.field`), nothing saved."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from aftersales.errors import InvalidInput
from aftersales.schema import STAFF_AUTH
from tickets import roles, selectors
from tickets.api.common import (
    CREATE_ERRORS,
    IDEMPOTENCY_KEY,
    LIST_ERRORS,
    POST_ERRORS,
    READ_ERRORS,
    Boolean,
    Input,
    Integer,
    Kept,
    KeptDetail,
    KeptList,
    Text,
    WholeListOut,
    errors,
    validated,
)
from tickets.idempotency import idempotent
from tickets.models import ChatChannel, ChatKind, Ticket, TimeRule, Trigger, TriggerEvent
from tickets.permissions import is_storefront
from tickets.services.automation import rule_as_json, rule_delete, rule_save, rule_test, time_rule_preview
from tickets.services.chat import chat_channel_as_json, chat_channel_save

TAGS = ["desk: automation"]
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
PUT_ERRORS = errors(400, 401, 403, 404, 413, 415, 429)
DELETE_ERRORS = errors(401, 403, 404, 429)


class IsDeskSupervisor(BasePermission):
    message = gettext_lazy("This endpoint is for supervisors.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not is_storefront(user) and roles.is_supervisor(user))


@extend_schema(tags=TAGS)
class AutomationApi(APIView):
    permission_classes = [IsDeskSupervisor]
    openapi_auth = STAFF_AUTH


def _no_nul(value: Any, path: str) -> None:
    """PostgreSQL text holds no NUL character: refuse it where it was sent (400), never a database error."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput(_("Text cannot contain a NUL character."), field=path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key, path)
            _no_nul(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_nul(item, f"{path}.{index}")


class RuleIn(Input):
    name = Text(max_length=200)
    active = Boolean(required=False, default=True)
    position = Integer(required=False, default=100, min_value=0, max_value=2_147_483_647)
    conditions = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='{"all": [{"field", "op", "value"}, ...], "any": [...]}; see automation.md.',
    )
    actions = serializers.JSONField(help_text='[{"type": ..., "value": ...}, ...]; see automation.md.')


class TriggerIn(RuleIn):
    event = serializers.ChoiceField(choices=TriggerEvent.choices)


class RuleOut(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    position = serializers.IntegerField()
    conditions = serializers.JSONField()
    actions = serializers.JSONField()
    failures = serializers.IntegerField(help_text="Failures in a row; at 3 the rule is switched off.")
    last_error = serializers.CharField()
    fired = serializers.IntegerField(help_text="How often it fired.")
    last_fired_at = serializers.DateTimeField(allow_null=True)


class TriggerOut(RuleOut):
    event = serializers.ChoiceField(choices=TriggerEvent.choices)


class TriggerListOut(WholeListOut):
    results = TriggerOut(many=True)


class TimeRuleListOut(WholeListOut):
    results = RuleOut(many=True)


class TestIn(Input):
    reference = Text(max_length=20, help_text="The ticket to test against, e.g. T-000123.")


class TestOut(Serializer):
    matches = serializers.BooleanField(help_text="Whether the rule's conditions hold for the ticket now.")
    conditions = serializers.JSONField(help_text="Each condition with `matched`.")
    would = serializers.JSONField(help_text="What its actions would change (a dry run: nothing was changed).")


class PreviewOut(Serializer):
    count = serializers.IntegerField(help_text="Tickets the time rule would fire on now.")
    tickets = serializers.ListField(child=serializers.CharField(), help_text="The first 50 references.")
    at = serializers.DateTimeField()


class ChatChannelIn(Input):
    name = Text(max_length=100)
    kind = serializers.ChoiceField(choices=ChatKind.choices)
    url = Text(max_length=500, help_text="The robot's webhook URL, with its token.")
    secret = Text(max_length=200, required=False, default="", allow_blank=True, help_text="DingTalk's and Feishu's.")
    language = serializers.ChoiceField(choices=[("en", "en"), ("zh-hans", "zh-hans")], required=False)
    active = Boolean(required=False, default=True)


class ChatChannelOut(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ChatKind.choices)
    url = serializers.CharField()
    has_secret = serializers.BooleanField()
    language = serializers.CharField()
    active = serializers.BooleanField()


class ChatChannelListOut(WholeListOut):
    results = ChatChannelOut(many=True)


def _out(rule: Trigger | TimeRule) -> dict[str, Any]:
    fired, last = getattr(rule, "fired", 0), getattr(rule, "last_fired_at", None)
    return {**rule_as_json(rule), "fired": fired, "last_fired_at": last}


def _get(model: type[Trigger] | type[TimeRule], pk: int) -> Trigger | TimeRule:
    rule = selectors.automation_rules(model).filter(pk=pk).first()
    if rule is None:
        raise Http404("No such rule.")
    return rule


class _Rules(Kept, AutomationApi):
    model: type[Trigger] | type[TimeRule]

    def kept_list(self, request: Request) -> QuerySet:
        return selectors.automation_rules(self.model)

    def kept(self, request: Request, id: int) -> Trigger | TimeRule:
        return _get(self.model, id)

    def kept_input(self, request: Request) -> dict[str, Any]:
        data = validated(self.input, request.data)
        for key in ("conditions", "actions"):
            if key in data:
                _no_nul(data[key], key)
        return data

    # Read again after the write: the answer counts the rule's firings, and shows what the database kept.
    def create(self, request: Request, data: dict[str, Any]) -> Trigger | TimeRule:
        return _get(self.model, rule_save(model=self.model, data=data).pk)

    def update(self, request: Request, rule: Trigger | TimeRule, data: dict[str, Any]) -> Trigger | TimeRule:
        return _get(self.model, rule_save(model=self.model, data=data, rule=rule).pk)

    def remove(self, request: Request, rule: Trigger | TimeRule) -> None:
        rule_delete(rule=rule)

    def answer(self, rule: Any, *, many: bool = False) -> Any:
        return [_out(one) for one in rule] if many else _out(rule)


def _test(model: type[Trigger] | type[TimeRule], request: Request, id: int) -> Response:
    rule = _get(model, id)
    # Typed as the merge and bulk forms take it: trimmed, any case.
    reference = validated(TestIn, request.data)["reference"].strip().upper()
    ticket = Ticket.objects.select_related("storefront").filter(reference=reference).first()
    if ticket is None:
        raise InvalidInput(_("There is no ticket %(reference)s.") % {"reference": reference[:20]}, field="reference")
    return Response(rule_test(rule=rule, ticket=ticket))


@extend_schema_view(
    get=extend_schema(
        operation_id="desk_automation_triggers_list",
        summary="Triggers, in position order, with how often each fired",
        responses={200: TriggerListOut, **LIST_ERRORS},
    ),
    post=extend_schema(
        operation_id="desk_automation_triggers_create",
        summary="Create a trigger",
        parameters=[IDEMPOTENCY_KEY],
        request=TriggerIn,
        responses={201: TriggerOut, **CREATE_ERRORS},
    ),
)
class TriggerListApi(KeptList, _Rules):
    model, input = Trigger, TriggerIn


@extend_schema(parameters=[ID])
@extend_schema_view(
    get=extend_schema(
        operation_id="desk_automation_triggers_read",
        summary="A trigger",
        responses={200: TriggerOut, **READ_ERRORS},
    ),
    put=extend_schema(
        operation_id="desk_automation_triggers_update",
        summary="Replace a trigger",
        request=TriggerIn,
        responses={200: TriggerOut, **PUT_ERRORS},
    ),
    delete=extend_schema(
        operation_id="desk_automation_triggers_delete",
        summary="Delete a trigger",
        responses={204: None, **DELETE_ERRORS},
    ),
)
class TriggerDetailApi(KeptDetail, _Rules):
    model, input = Trigger, TriggerIn


class TriggerTestApi(AutomationApi):
    @extend_schema(
        operation_id="desk_automation_triggers_test",
        summary="Test a trigger against a ticket: which conditions hold, what would change (nothing is changed)",
        parameters=[ID, IDEMPOTENCY_KEY],
        request=TestIn,
        responses={200: TestOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: int) -> Response:
        return _test(Trigger, request, id)


@extend_schema_view(
    get=extend_schema(
        operation_id="desk_automation_time_rules_list",
        summary="Time rules, with how often each fired",
        responses={200: TimeRuleListOut, **LIST_ERRORS},
    ),
    post=extend_schema(
        operation_id="desk_automation_time_rules_create",
        summary="Create a time rule",
        parameters=[IDEMPOTENCY_KEY],
        request=RuleIn,
        responses={201: RuleOut, **CREATE_ERRORS},
    ),
)
class TimeRuleListApi(KeptList, _Rules):
    model, input = TimeRule, RuleIn


@extend_schema(parameters=[ID])
@extend_schema_view(
    get=extend_schema(
        operation_id="desk_automation_time_rules_read",
        summary="A time rule",
        responses={200: RuleOut, **READ_ERRORS},
    ),
    put=extend_schema(
        operation_id="desk_automation_time_rules_update",
        summary="Replace a time rule",
        request=RuleIn,
        responses={200: RuleOut, **PUT_ERRORS},
    ),
    delete=extend_schema(
        operation_id="desk_automation_time_rules_delete",
        summary="Delete a time rule",
        responses={204: None, **DELETE_ERRORS},
    ),
)
class TimeRuleDetailApi(KeptDetail, _Rules):
    model, input = TimeRule, RuleIn


class TimeRuleTestApi(AutomationApi):
    @extend_schema(
        operation_id="desk_automation_time_rules_test",
        summary="Test a time rule against a ticket: whether it matches now, what would change (nothing is changed)",
        parameters=[ID, IDEMPOTENCY_KEY],
        request=TestIn,
        responses={200: TestOut, **POST_ERRORS},
    )
    @idempotent
    def post(self, request: Request, id: int) -> Response:
        return _test(TimeRule, request, id)


class TimeRulePreviewApi(AutomationApi):
    @extend_schema(
        operation_id="desk_automation_time_rules_preview",
        summary="Which tickets the time rule matches now",
        parameters=[ID],
        responses={200: PreviewOut, **READ_ERRORS},
    )
    def get(self, request: Request, id: int) -> Response:
        return Response(time_rule_preview(_get(TimeRule, id)))


@extend_schema_view(
    get=extend_schema(
        operation_id="desk_automation_chat_channels_list",
        summary="Chat channels (the secret is never shown back)",
        responses={200: ChatChannelListOut, **LIST_ERRORS},
    ),
    post=extend_schema(
        operation_id="desk_automation_chat_channels_create",
        summary="Create a chat channel (WeCom, DingTalk, Feishu or generic JSON)",
        parameters=[IDEMPOTENCY_KEY],
        request=ChatChannelIn,
        responses={201: ChatChannelOut, **CREATE_ERRORS},
    ),
)
class ChatChannelListApi(KeptList, AutomationApi):
    input = ChatChannelIn

    def kept_list(self, request: Request) -> QuerySet[ChatChannel]:
        return ChatChannel.objects.all()

    def create(self, request: Request, data: dict[str, Any]) -> ChatChannel:
        return chat_channel_save(data=dict(data))

    def answer(self, channel: Any, *, many: bool = False) -> Any:
        return [chat_channel_as_json(one) for one in channel] if many else chat_channel_as_json(channel)
