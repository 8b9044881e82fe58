"""The supervisors' automation pages (`/desk/automation/`): triggers, time rules and chat channels, each rule with
its conditions and actions, "test against a ticket", a time rule's preview, and how often each fired. Views parse,
call tickets.services.automation / chat, and render; the services check everything (errors named by path)."""

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.errors import ApplicationError, InvalidInput
from tickets import roles, selectors
from tickets.models import ChatChannel, ChatDelivery, ChatKind, Ticket, TimeRule, Trigger, TriggerEvent
from tickets.services.automation import rule_delete, rule_save, rule_test, time_rule_preview
from tickets.services.chat import chat_channel_save
from tickets.views import desk_view

KINDS: dict[str, type[Trigger] | type[TimeRule]] = {"triggers": Trigger, "time-rules": TimeRule}


def _supervisor(request: HttpRequest) -> None:
    if not roles.is_supervisor(request.user):
        raise PermissionDenied


class RuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    event = forms.ChoiceField(label=gettext_lazy("Event"), choices=TriggerEvent.choices, required=False)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False)
    position = forms.IntegerField(label=gettext_lazy("Position"), min_value=0, max_value=2_147_483_647, initial=100)
    conditions = forms.CharField(
        label=gettext_lazy("Conditions"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        initial='{"all": [], "any": []}',
        help_text=format_lazy(
            "{} <code>{}</code>",
            gettext_lazy("For example:"),
            '{"all": [{"field": "ticket.status", "op": "is", "value": "pending"}], "any": []}',
        ),
    )
    actions = forms.CharField(
        label=gettext_lazy("Actions"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        initial="[]",
        help_text=format_lazy(
            "{} <code>{}</code>",
            gettext_lazy("For example:"),
            '[{"type": "reply", "value": {"en": "...", "zh-hans": "..."}}]',
        ),
    )

    def json_of(self, name: str) -> Any:
        try:
            return json.loads(self.cleaned_data[name])
        except ValueError:
            self.add_error(name, _("Not valid JSON."))
            return None


def _rule_data(form: RuleForm, *, trigger: bool) -> dict[str, Any] | None:
    conditions, actions = form.json_of("conditions"), form.json_of("actions")
    if form.errors:
        return None
    data = {
        "name": form.cleaned_data["name"],
        "active": form.cleaned_data["active"],
        "position": form.cleaned_data["position"],
        "conditions": conditions,
        "actions": actions,
    }
    if trigger:
        data["event"] = form.cleaned_data["event"]
    return data


def _initial(rule: Trigger | TimeRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "event": getattr(rule, "event", ""),
        "active": rule.is_active,
        "position": rule.position,
        "conditions": json.dumps(rule.conditions, ensure_ascii=False, indent=2),
        "actions": json.dumps(rule.actions, ensure_ascii=False, indent=2),
    }


@require_http_methods(["GET"])
@desk_view
def overview(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    return render(
        request,
        "tickets/automation/overview.html",
        {
            "triggers": selectors.automation_rules(Trigger),
            "time_rules": selectors.automation_rules(TimeRule),
            "channels": ChatChannel.objects.all(),
            "deliveries": ChatDelivery.objects.select_related("channel").order_by("-created_at")[:20],
            "chat_kinds": ChatKind.choices,
        },
    )


@require_http_methods(["GET", "POST"])
@desk_view
def rule_edit(request: HttpRequest, kind: str, rule_id: int | None = None) -> HttpResponse:
    """Create (no id) or edit a rule; its page also tests it against a ticket and previews a time rule."""
    _supervisor(request)
    model = KINDS.get(kind)
    if model is None:
        raise Http404
    rule = None
    if rule_id is not None:
        rule = selectors.automation_rules(model).filter(pk=rule_id).first()
        if rule is None:
            raise Http404
    form = RuleForm(request.POST or None, initial=_initial(rule) if rule else None)
    problems: list[str] = []
    if request.method == "POST":
        if "delete" in request.POST and rule is not None:
            rule_delete(rule=rule)
            messages.success(request, _("Rule deleted."))
            return HttpResponseRedirect(reverse("tickets:automation"))
        if form.is_valid():
            data = _rule_data(form, trigger=model is Trigger)
            if data is not None:
                try:
                    saved = rule_save(model=model, data=data, rule=rule)
                except InvalidInput as error:
                    problems = [f"{path}: {' '.join(map(str, texts))}" for path, texts in (error.errors or {}).items()]
                else:
                    messages.success(request, _("Rule saved."))
                    return HttpResponseRedirect(reverse("tickets:automation_rule", args=[kind, saved.pk]))
    if model is TimeRule:
        del form.fields["event"]
    test = None
    reference = request.GET.get("reference", "").strip().upper()[:20]
    if rule is not None and reference:
        ticket = Ticket.objects.select_related("storefront").filter(reference=reference).first()
        if ticket is None:
            problems.append(_("There is no ticket %(reference)s.") % {"reference": reference})
        else:
            test = rule_test(rule=rule, ticket=ticket)
    preview = time_rule_preview(rule) if isinstance(rule, TimeRule) else None
    return render(
        request,
        "tickets/automation/rule.html",
        {
            "form": form,
            "rule": rule,
            "kind": kind,
            "is_trigger": model is Trigger,
            "problems": problems,
            "test": test,
            "reference": reference,
            "preview": preview,
        },
    )


@require_POST
@desk_view
def channel_create(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    data = {key: request.POST.get(key, "") for key in ("name", "kind", "url", "secret", "language")}
    try:
        chat_channel_save(data=data)
    except ApplicationError as error:
        for path, texts in (error.errors or {"": [str(error.message)]}).items():
            messages.error(request, f"{path}: {' '.join(map(str, texts))}" if path else " ".join(map(str, texts)))
    else:
        messages.success(request, _("Chat channel saved."))
    return HttpResponseRedirect(reverse("tickets:automation") + "#chat")
