"""The supervisors' complaints report: counts per week by category, department and root cause, and the customers
who complained more than once; every table also as CSV. The figures come from one GROUP BY query each
(complaints.selectors.complaint_report); this module only lays them out."""

import csv
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from complaints import selectors
from complaints.forms import ReportForm
from complaints.models import ComplaintCategory, Department, RootCause
from tickets import roles
from tickets.masking import mask_email
from tickets.views import desk_view

# --- The report ---------------------------------------------------------------------------------------------------


def _weeks(since: date, until: date) -> list[date]:
    start = since - timedelta(days=since.weekday())
    weeks = []
    while start <= until:
        weeks.append(start)
        start += timedelta(weeks=1)
    return weeks


def _pivot(rows: list[dict[str, Any]], field: str, choices: Any, weeks: list[date]) -> dict[str, Any]:
    """Weeks down, values across (every choice, so columns do not come and go), totals on both sides."""
    counts: dict[tuple[date, str], int] = {(row["week"], row[field]): row["count"] for row in rows}
    columns = [(value, label) for value, label in choices.choices]
    table = []
    for week in weeks:
        cells = [counts.get((week, value), 0) for value, _label in columns]
        table.append({"week": week, "cells": cells, "total": sum(cells)})
    totals = [sum(row["cells"][index] for row in table) for index in range(len(columns))]
    return {"columns": columns, "rows": table, "totals": totals, "total": sum(totals)}


CHART_WIDTH = 100  # percent of the bar area


def _bars(pivot: dict[str, Any]) -> list[dict[str, Any]]:
    """Horizontal bars of the period's totals per value, as widths in percent of the largest."""
    peak = max(pivot["totals"], default=0) or 1
    return [
        {"label": label, "count": count, "width": round(CHART_WIDTH * count / peak, 1)}
        for (_value, label), count in zip(pivot["columns"], pivot["totals"], strict=True)
    ]


TABLES = {
    "category": (gettext_lazy("By category"), ComplaintCategory),
    "department": (gettext_lazy("By department"), Department),
    "root_cause": (gettext_lazy("By root cause"), RootCause),
}


def _csv_cell(value: Any) -> Any:
    # Spreadsheets run cells that start with these as formulas; customer names are untrusted text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_response(filename: str, header: list[Any], rows: list[list[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A BOM so that spreadsheet programs read the UTF-8 (Chinese names) correctly.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_csv_cell(str(cell)) for cell in header])
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return response


@require_GET
@desk_view
def complaint_report(request: HttpRequest) -> HttpResponse:
    if not roles.is_supervisor(request.user):
        raise PermissionDenied
    form = ReportForm(request.GET)
    form.is_valid()
    since, until, storefront = form.period()
    report = selectors.complaint_report(since=since, until=until, storefront=storefront)
    weeks = _weeks(since, until)
    pivots = {
        "category": _pivot(report.by_category, "category", ComplaintCategory, weeks),
        "department": _pivot(report.by_department, "department", Department, weeks),
        "root_cause": _pivot(report.by_root_cause, "root_cause_code", RootCause, weeks),
    }
    download = request.GET.get("download")
    suffix = f"{since.isoformat()}_{until.isoformat()}"
    if download in pivots:
        pivot = pivots[download]
        header = [_("Week"), *[label for _value, label in pivot["columns"]], _("Total")]
        rows = [[row["week"].isoformat(), *row["cells"], row["total"]] for row in pivot["rows"]]
        return _csv_response(f"complaints_{download}_{suffix}.csv", header, rows)
    if download == "customers":
        header = [_("Customer"), _("E-mail"), _("Customer id"), _("Storefront"), _("Complaints")]
        rows = [
            [row["name"], mask_email(row["email"]), row["external_id"], row["storefront"], row["count"]]
            for row in report.repeat_customers
        ]
        return _csv_response(f"complaints_repeat_customers_{suffix}.csv", header, rows)
    weekly_totals = pivots["category"]["rows"]
    peak = max((row["total"] for row in weekly_totals), default=0) or 1
    tables = [
        {"key": key, "title": title, "pivot": pivots[key], "bars": _bars(pivots[key])}
        for key, (title, _choices) in TABLES.items()
    ]
    # The form shows the period actually reported (the default one when none was asked for).
    shown_form = ReportForm({"since": since, "until": until, "storefront": storefront.pk if storefront else ""})
    return render(
        request,
        "complaints/report.html",
        {
            "form": shown_form,
            "since": since,
            "until": until,
            "tables": tables,
            "total": pivots["category"]["total"],
            "weekly": [
                {
                    "week": row["week"],
                    "total": row["total"],
                    "x": index * 10 + 1,
                    "y": 100 - round(100 * row["total"] / peak, 1),
                    "height": round(100 * row["total"] / peak, 1),
                }
                for index, row in enumerate(weekly_totals)
            ],
            "chart_width": max(len(weekly_totals), 1) * 10,
            "repeat_customers": report.repeat_customers,
        },
    )
