"""Desk forms for complaints: they parse and validate input; the services decide what is allowed."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import ComplaintCategory, ComplaintStatus, CustomerResponse, Department, RootCause
from complaints.selectors import ACTIVE
from tickets.forms import TeamChoiceField
from tickets.models import Severity, Storefront, Team

AGE_CHOICES = [
    ("", _("Any age")),
    ("under_1d", _("Under a day")),
    ("1_3d", _("1 to 3 days")),
    ("3_7d", _("3 to 7 days")),
    ("over_7d", _("Over 7 days")),
]
TEXTAREA = forms.Textarea(attrs={"rows": 3})


def _blank(choices: Any, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class ComplaintFilterForm(forms.Form):
    """The list's filters, read from the query string; invalid values are ignored rather than refused."""

    status = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[(ACTIVE, _("Not archived")), ("", _("Any state")), *ComplaintStatus.choices],
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=_blank(ComplaintCategory.choices, _("Any category"))
    )
    department = forms.ChoiceField(
        label=_("Department"), required=False, choices=_blank(Department.choices, _("Any department"))
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=_blank(Severity.choices, _("Any severity"))
    )
    age = forms.ChoiceField(label=_("Age"), required=False, choices=AGE_CHOICES)

    def filters(self) -> dict[str, Any]:
        data = getattr(self, "cleaned_data", {})
        out = {name: data[name] for name in ("category", "department", "severity", "age") if data.get(name)}
        # No "status" in the query string at all: the default view, what still needs work.
        out["status"] = data.get("status", ACTIVE) if "status" in self.data else ACTIVE
        return out


class InvestigateForm(forms.Form):
    pass


class ProposeForm(forms.Form):
    findings = forms.CharField(label=_("Findings (internal)"), max_length=20000, widget=TEXTAREA)
    proposed_solution = forms.CharField(label=_("Proposed solution"), max_length=20000, widget=TEXTAREA)
    compensation_amount = forms.DecimalField(
        label=_("Compensation"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    currency = forms.RegexField(
        label=_("Currency"), regex=r"^[A-Za-z]{3}$", required=False, max_length=3, initial="CNY"
    )
    notify_customer = forms.BooleanField(label=_("Send the proposal to the customer"), required=False, initial=True)


class ResponseForm(forms.Form):
    response = forms.ChoiceField(label=_("Customer's answer"), choices=CustomerResponse.choices)
    note = forms.CharField(label=_("What the customer said"), required=False, max_length=5000, widget=TEXTAREA)


class ExecuteForm(forms.Form):
    execution_note = forms.CharField(label=_("What is being done"), max_length=20000, widget=TEXTAREA)


class FollowUpForm(forms.Form):
    follow_up_note = forms.CharField(label=_("Follow-up with the customer"), max_length=20000, widget=TEXTAREA)
    follow_up_satisfaction = forms.TypedChoiceField(
        label=_("Customer's satisfaction"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Not asked")), *[(str(n), str(n)) for n in range(1, 6)]],
    )


class ArchiveForm(forms.Form):
    # Optional here so that the service's own message (naming the missing field) is what the agent reads.
    root_cause_code = forms.ChoiceField(
        label=_("Root cause"), required=False, choices=_blank(RootCause.choices, _("Choose…"))
    )
    root_cause = forms.CharField(label=_("Root cause details"), required=False, max_length=20000, widget=TEXTAREA)
    lessons = forms.CharField(label=_("Lessons learned"), required=False, max_length=20000, widget=TEXTAREA)


class DepartmentForm(forms.Form):
    department = forms.ChoiceField(label=_("Department"), choices=Department.choices)


def default_since(today: date) -> date:
    """The report's default period: the last 12 weeks, from a Monday."""
    start = today - timedelta(weeks=12)
    return start - timedelta(days=start.weekday())


class ReportForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    storefront = forms.ModelChoiceField(
        label=_("Storefront"),
        required=False,
        queryset=Storefront.objects.order_by("name"),
        empty_label=_("All storefronts"),
    )

    MAX_DAYS = 366 * 2

    def period(self) -> tuple[date, date, Storefront | None]:
        data = getattr(self, "cleaned_data", {})
        today = timezone.localdate()
        until = data.get("until") or today
        since = data.get("since") or default_since(until)
        if since > until:
            since, until = until, since
        # A bounded period keeps the report's tables a readable size.
        since = max(since, until - timedelta(days=self.MAX_DAYS))
        return since, until, data.get("storefront")


class MappingForm(forms.Form):
    """One department per category and one team per department, on one page."""

    def __init__(self, *args: Any, departments: dict[str, str], teams: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in ComplaintCategory.choices:
            self.fields[f"category_{value}"] = forms.ChoiceField(
                label=label, choices=Department.choices, initial=departments.get(value)
            )
        team_choices = Team.objects.order_by("name")
        for value, label in Department.choices:
            self.fields[f"team_{value}"] = TeamChoiceField(
                label=label,
                queryset=team_choices,
                required=False,
                initial=teams.get(value),
                empty_label=_("The team named like the department"),
            )

    def category_fields(self) -> list[forms.BoundField]:
        return [self[f"category_{value}"] for value in ComplaintCategory.values]

    def team_fields(self) -> list[forms.BoundField]:
        return [self[f"team_{value}"] for value in Department.values]

    def departments(self) -> dict[str, str]:
        return {value: self.cleaned_data[f"category_{value}"] for value in ComplaintCategory.values}

    def teams(self) -> dict[str, Team | None]:
        return {value: self.cleaned_data[f"team_{value}"] for value in Department.values}
