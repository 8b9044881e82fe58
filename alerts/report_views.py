"""`/reports/` and `/reports/<table>.csv`: the supervisors' reports. Parse the period, call report_data, render.

The page embeds report_data's JSON (json_script) for the charts static/js/reports.js draws with the vendored
Chart.js, and shows every table as HTML too, each with a link to the same table as CSV.
"""

import csv
import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from alerts.report_forms import ReportForm
from alerts.reports import report_data
from tickets import roles
from tickets.forms import team_label
from tickets.models import Storefront, Team
from tickets.views import desk_view

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): such text gets a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def number_text(value: float | int | None) -> str:
    """1.5 -> "1.5", 100.0 -> "100", None -> "—"."""
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "hours":
        return _("%(value)s h") % {"value": number_text(value)}
    return f"{number_text(value)} %"


def line_text(threshold: dict[str, Any] | None, unit: str) -> str:
    """The warning line as the card shows it: "≤ 2 h", "≥ 95 %", "1 % - 3 %"."""
    if not threshold:
        return ""
    low = value_text(threshold["value"], unit)
    if threshold["comparison"] == "at_most":
        return f"≤ {low}"
    if threshold["comparison"] == "at_least":
        return f"≥ {low}"
    return f"{low} - {value_text(threshold['value_max'], unit)}"


def status_text(ok: bool | None) -> str:
    if ok is None:
        return ""
    return _("Within the line") if ok else _("Past the line")


def unit_text(unit: str) -> str:
    return {"hours": _("hours"), "percent": _("percent")}.get(unit, unit)


@dataclass(frozen=True)
class Column:
    header: Any
    value: Callable[[dict[str, Any]], Any]


def _key(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row.get(name)


def _col(header: Any, name: str) -> Column:
    return Column(header, _key(name))


@dataclass(frozen=True)
class Table:
    name: str
    title: Any
    columns: tuple[Column, ...]


_LABEL = _key("label")
TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            "kpis",
            gettext_lazy("KPIs"),
            (
                Column(gettext_lazy("KPI"), _LABEL),
                _col(gettext_lazy("Value"), "value"),
                Column(gettext_lazy("Unit"), lambda row: unit_text(row["unit"])),
                Column(gettext_lazy("Warning line"), lambda row: line_text(row["threshold"], row["unit"])),
                Column(gettext_lazy("Status"), lambda row: status_text(row["ok"])),
            ),
        ),
        Table(
            "daily",
            gettext_lazy("Tickets created and resolved per day"),
            (
                _col(gettext_lazy("Date"), "date"),
                _col(gettext_lazy("Created"), "created"),
                _col(gettext_lazy("Resolved"), "resolved"),
            ),
        ),
        Table(
            "sla_daily",
            gettext_lazy("SLA compliance per day"),
            (
                _col(gettext_lazy("Date"), "date"),
                Column(gettext_lazy("Metric"), _LABEL),
                _col(gettext_lazy("Clocks ended"), "ended"),
                _col(gettext_lazy("Met"), "met"),
                _col(gettext_lazy("Compliance (%)"), "compliance"),
            ),
        ),
        Table(
            "first_response_histogram",
            gettext_lazy("First response time"),
            (
                Column(gettext_lazy("First response"), _LABEL),
                _col(gettext_lazy("Tickets"), "tickets"),
                _col(gettext_lazy("Share (%)"), "percent"),
            ),
        ),
        Table(
            "first_response_by_hour",
            gettext_lazy("First response by hour of creation"),
            (
                Column(gettext_lazy("Hour"), _LABEL),
                _col(gettext_lazy("Tickets"), "tickets"),
                _col(gettext_lazy("Answered"), "answered"),
                _col(gettext_lazy("Average first response (h)"), "average_hours"),
            ),
        ),
        Table(
            "first_response_by_weekday",
            gettext_lazy("First response by weekday of creation"),
            (
                Column(gettext_lazy("Weekday"), _LABEL),
                _col(gettext_lazy("Tickets"), "tickets"),
                _col(gettext_lazy("Answered"), "answered"),
                _col(gettext_lazy("Average first response (h)"), "average_hours"),
            ),
        ),
        Table(
            "by_category",
            gettext_lazy("By category"),
            (
                Column(gettext_lazy("Category"), _LABEL),
                _col(gettext_lazy("Created"), "created"),
                _col(gettext_lazy("Resolved"), "resolved"),
                _col(gettext_lazy("Resolution rate (%)"), "resolution_rate"),
                _col(gettext_lazy("Average first response (h)"), "average_first_response_hours"),
            ),
        ),
        Table(
            "by_channel",
            gettext_lazy("By channel"),
            (
                Column(gettext_lazy("Channel"), _LABEL),
                _col(gettext_lazy("Created"), "created"),
                _col(gettext_lazy("Resolved"), "resolved"),
                _col(gettext_lazy("Resolution rate (%)"), "resolution_rate"),
                _col(gettext_lazy("Average first response (h)"), "average_first_response_hours"),
            ),
        ),
        Table(
            "by_tag",
            gettext_lazy("By tag"),
            (
                Column(gettext_lazy("Tag"), _LABEL),
                _col(gettext_lazy("Created"), "created"),
                _col(gettext_lazy("Resolved"), "resolved"),
                _col(gettext_lazy("Resolution rate (%)"), "resolution_rate"),
                _col(gettext_lazy("Average first response (h)"), "average_first_response_hours"),
            ),
        ),
        Table(
            "agents",
            gettext_lazy("Agents"),
            (
                _col(gettext_lazy("Agent"), "agent"),
                _col(gettext_lazy("Tickets handled"), "handled"),
                _col(gettext_lazy("Median first response (h)"), "median_first_response_hours"),
                _col(gettext_lazy("SLA clocks ended"), "sla_ended"),
                _col(gettext_lazy("SLA compliance (%)"), "sla_compliance"),
                _col(gettext_lazy("Surveys answered"), "surveys"),
                _col(gettext_lazy("Average satisfaction (1-5)"), "average_satisfaction"),
            ),
        ),
        Table(
            "return_reasons",
            gettext_lazy("Return reasons"),
            (
                Column(gettext_lazy("Reason"), _LABEL),
                _col(gettext_lazy("Items"), "count"),
                _col(gettext_lazy("Quantity"), "quantity"),
                _col(gettext_lazy("Share (%)"), "percent"),
                _col(gettext_lazy("Cumulative (%)"), "cumulative_percent"),
            ),
        ),
        Table(
            "complaint_categories",
            gettext_lazy("Complaint categories"),
            (
                Column(gettext_lazy("Category"), _LABEL),
                _col(gettext_lazy("Complaints"), "count"),
                _col(gettext_lazy("Share (%)"), "percent"),
                _col(gettext_lazy("Cumulative (%)"), "cumulative_percent"),
            ),
        ),
        Table(
            "complaint_root_causes",
            gettext_lazy("Complaint root causes"),
            (
                Column(gettext_lazy("Root cause"), _LABEL),
                _col(gettext_lazy("Complaints"), "count"),
                _col(gettext_lazy("Share (%)"), "percent"),
                _col(gettext_lazy("Cumulative (%)"), "cumulative_percent"),
            ),
        ),
    )
}


def table_rows(table: Table, rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[column.value(row) for column in table.columns] for row in rows]


def _html_cell(value: Any) -> str:
    return "—" if value is None else html.escape(str(value))


def table_body_html(rows: list[list[Any]]) -> SafeString:
    """The table's rows, every cell escaped, built in Python: a month of daily rows per metric is hundreds of cells,
    which the template engine (or format_html per cell) renders many times slower."""
    lines = (
        '<tr><th scope="row">'
        + _html_cell(row[0])
        + "</th>"
        + "".join("<td>" + _html_cell(cell) + "</td>" for cell in row[1:])
        + "</tr>"
        for row in rows
    )
    return mark_safe("\n".join(lines))  # every cell is escaped above


def csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _form(request: HttpRequest) -> ReportForm:
    if not roles.is_supervisor(request.user):
        raise PermissionDenied
    return ReportForm(request.GET)


@require_GET
@desk_view
def reports(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    given = request.GET.get("period") or ("custom" if request.GET.get("from") or request.GET.get("to") else "30")
    context: dict[str, Any] = {
        "form": form,
        "periods": form.fields["period"].choices,
        "period": given,
        # One plain query per picker (a ModelChoiceField's own choices would count and then open a cursor).
        "storefronts": list(Storefront.objects.order_by("name").values_list("pk", "name")),
        "teams": [(team.pk, team_label(team)) for team in Team.objects.order_by("name")],
    }
    if not form.is_valid():
        context["form_errors"] = form.error_list()
        return render(request, "alerts/reports.html", context, status=400)
    data = report_data(form.scope())
    for card in data["kpis"]:
        card["value_text"] = value_text(card["value"], card["unit"])
        card["line_text"] = line_text(card["threshold"], card["unit"])
    query = request.GET.copy()
    query.pop("table", None)
    context.update(
        data=data,
        kpis=data["kpis"],
        first_day=form.cleaned_data["first_day"],
        last_day=form.cleaned_data["last_day"],
        period=form.cleaned_data["period"],
        query=query.urlencode(),
        tables={
            name: {"table": table, "rows": data[name], "body": table_body_html(table_rows(table, data[name]))}
            for name, table in TABLES.items()
            if name != "kpis"
        },
        chart_labels={
            "created": _("Created"),
            "resolved": _("Resolved"),
            "tickets": _("Tickets"),
            "average_hours": _("Average first response (h)"),
            "compliance": _("Compliance (%)"),
            "count": _("Count"),
            "cumulative": _("Cumulative (%)"),
            "resolution_rate": _("Resolution rate (%)"),
        },
    )
    return render(request, "alerts/reports.html", context)


@require_GET
@desk_view
def report_csv(request: HttpRequest, table: str) -> HttpResponse:
    spec = TABLES.get(table)
    if spec is None:
        raise Http404
    form = _form(request)
    if not form.is_valid():
        return HttpResponse("\n".join(form.error_list()) + "\n", status=400, content_type="text/plain; charset=utf-8")
    data = report_data(form.scope(), sections=[table])
    first, last = form.cleaned_data["first_day"], form.cleaned_data["last_day"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="report-{table}-{first:%Y%m%d}-{last:%Y%m%d}.csv"'
    # The byte order mark tells Excel the file is UTF-8, so Chinese headers and labels open right.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(column.header) for column in spec.columns])
    for row in table_rows(spec, data[table]):
        writer.writerow([csv_cell(cell) for cell in row])
    return response
