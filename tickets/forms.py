"""Desk forms: they parse and validate input; the services decide what is allowed."""

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from tickets.models import MESSAGE_BODY_MAX, Category, Channel, Kind, Severity, Status, Storefront, Team
from tickets.selectors import STATUS_ANY

SCOPE_CHOICES = [
    ("mine", _("Mine")),
    ("team", _("Team")),
    ("unassigned", _("Unassigned")),
    ("all", _("All")),
]


def _blank(choices: Any, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string; invalid values are ignored rather than refused."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open (any)")), (STATUS_ANY, _("Any status")), *Status.choices],
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(Kind.choices, _("Any kind")))
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=_blank(Category.choices, _("Any category"))
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=_blank(Severity.choices, _("Any severity"))
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=_blank(Channel.choices, _("Any channel")))
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[
            ("", _("Any SLA state")),
            ("on_track", _("On track")),
            ("at_risk", _("At risk")),
            ("breached", _("Breached")),
        ],
    )
    storefront = forms.ModelChoiceField(
        label=_("Storefront"),
        required=False,
        queryset=Storefront.objects.order_by("name"),
        empty_label=_("Any storefront"),
    )
    tag = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Comma-separated: tickets with all of them."),
        widget=forms.TextInput(
            attrs={
                "list": "tag-suggestions",
                "autocomplete": "off",
                "data-tag-autocomplete": reverse_lazy("api-desk-tag-suggest"),
            }
        ),
    )

    def tags(self) -> list[str]:
        """Every `tag` parameter (repeatable), each split at commas: a tag cannot hold one."""
        values = self.data.getlist("tag") if hasattr(self.data, "getlist") else [self.data.get("tag") or ""]
        return [name.strip() for value in values for name in value.split(",") if name.strip()][:10]

    def filters(self) -> dict[str, Any]:
        """The valid filters for selectors.ticket_queue; a field that did not validate is dropped."""
        data = getattr(self, "cleaned_data", {})
        out: dict[str, Any] = {}
        for name in ("status", "kind", "category", "severity", "channel", "sla"):
            if data.get(name):
                out[name] = data[name]
        if data.get("storefront") is not None:
            out["storefront"] = data["storefront"].pk
        if self.is_bound and self.tags():
            out["tags"] = self.tags()
        return out

    def search(self) -> str:
        return (getattr(self, "cleaned_data", {}).get("q") or "").strip()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class SeenForm(forms.Form):
    """The collision guard (tickets.services.collision): the newest event the page showed, and "send anyway"."""

    seen_event_id = forms.IntegerField(required=False, min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def seen(self) -> dict[str, Any]:
        return {
            "seen_event_id": self.cleaned_data.get("seen_event_id"),
            "confirm": bool(self.cleaned_data.get("confirm")),
        }


class ReplyForm(SeenForm):
    KIND_REPLY = "reply"
    KIND_NOTE = "note"
    THEN_CHOICES = [
        ("", _("Keep the status")),
        (Status.PENDING, _("Set pending")),
        (Status.RESOLVED, _("Set resolved")),
    ]

    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[(KIND_REPLY, _("Public reply")), (KIND_NOTE, _("Internal note"))],
        initial=KIND_REPLY,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "accesskey": "r"}),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    then = forms.ChoiceField(label=_("Then"), choices=THEN_CHOICES, required=False)


class CustomerMessageForm(forms.Form):
    """A message the customer gave by phone, logged by the agent."""

    body = forms.CharField(
        label=_("What the customer said"), max_length=MESSAGE_BODY_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class StatusForm(SeenForm):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)


class CategoryForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return team_label(obj)


def team_label(team: Any) -> str:
    """The team's Chinese name for users working in Chinese, when it has one."""
    if team is None:
        return ""
    if translation.get_language() == "zh-hans" and team.name_zh:
        return team.name_zh
    return team.name


class AssignForm(SeenForm):
    """Assign to a member of the ticket's team; supervisors may also move the ticket to another team."""

    team = TeamChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=None)
    assignee = StaffChoiceField(
        label=_("Assignee"), queryset=get_user_model().objects.none(), required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args: Any, teams: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["assignee"].queryset = members


class CannedPickForm(forms.Form):
    canned = forms.IntegerField(label=_("Canned response"), min_value=1)


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    # Searchable: a text box with the zones as suggestions (type "Shang" for Asia/Shanghai); still only a known zone.
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Type part of a city or region, e.g. Shanghai, and pick it from the list."),
        error_messages={"invalid_choice": _("Unknown time zone %(value)s: pick one from the list.")},
    )
    is_available = forms.BooleanField(
        label=_("Available for new tickets"),
        required=False,
        help_text=_("When away, auto-assignment passes you over."),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False, max_length=2000)
