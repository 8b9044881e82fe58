"""The reports' period, storefront and team: one validation for the page, its CSV tables and the API."""

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.kpis import KpiScope
from tickets.models import Storefront, Team

MAX_DAYS = 366
DEFAULT_DAYS = 30
# Far enough for any real report, near enough that a day after the last one and the time zone shift never overflow.
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)
PERIODS = [
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("custom", _("Custom dates")),
]


class ReportForm(forms.Form):
    """`period` = 7, 30 or 90 (the last days up to today), or `custom` / absent with `from` and `to` (inclusive
    dates in the user's time zone). Nothing given: the last 30 days. Dates beyond `to`'s default are today."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    storefront = forms.ModelChoiceField(
        label=_("Storefront"), queryset=Storefront.objects.order_by("name"), required=False
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"), required=False)

    def __init__(self, *args: Any, now: datetime | None = None, tz: tzinfo | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: these two cannot be declared as class attributes.
        self.fields["from"] = forms.DateField(label=_("From"), required=False)
        self.fields["to"] = forms.DateField(label=_("To"), required=False)
        self.order_fields(["period", "from", "to", "storefront", "team"])
        self.tz = tz or timezone.get_current_timezone()
        self.today = timezone.localdate(now or timezone.now(), self.tz)

    def _clean_bound(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST <= value <= LATEST:
            self.add_error(
                name,
                _("Enter a date between %(earliest)s and %(latest)s.")
                % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
            )
            return None
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.has_error("from") or self.has_error("to") or self.has_error("period"):
            return cleaned
        first, last = self._clean_bound("from"), self._clean_bound("to")
        if self.errors:
            return cleaned
        period = cleaned.get("period") or ""
        if period in ("", "custom") and (first or last or period == "custom"):
            last = last or self.today
            first = first or last - timedelta(days=DEFAULT_DAYS - 1)
            if first > last:
                self.add_error("from", _("The start date must be on or before the end date."))
                return cleaned
            if (last - first).days + 1 > MAX_DAYS:
                self.add_error("from", _("A report covers at most %(days)d days.") % {"days": MAX_DAYS})
                return cleaned
            cleaned["period"] = "custom"
        else:
            days = int(period or DEFAULT_DAYS)
            last = self.today
            first = last - timedelta(days=days - 1)
            cleaned["period"] = str(days)
        cleaned["first_day"], cleaned["last_day"] = first, last
        return cleaned

    def scope(self) -> KpiScope:
        """The validated period as instants: from the first day's midnight to the midnight after the last day."""
        data = self.cleaned_data
        start = datetime.combine(data["first_day"], time.min, tzinfo=self.tz)
        end = datetime.combine(data["last_day"] + timedelta(days=1), time.min, tzinfo=self.tz)
        return KpiScope(
            start=start,
            end=end,
            storefront_id=data["storefront"].pk if data.get("storefront") else None,
            team_id=data["team"].pk if data.get("team") else None,
        )

    def error_list(self) -> list[str]:
        """Each error with the name of its field first, as the page shows them."""
        out = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            out.extend(f"{label}: {error}" if label else str(error) for error in errors)
        return out
