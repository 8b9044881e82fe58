"""The supervisors' alerts dashboard and the staff's alert actions: parse, call a selector or service, render."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from alerts import audit as audit_reads
from alerts import selectors, services
from alerts.models import AlertKind
from tickets import roles
from tickets.models import Metric, Team
from tickets.views import desk_action, desk_view

ALERT_PAGE_SIZE = 50


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("alerts:dashboard")


def _filters(request: HttpRequest) -> dict[str, Any]:
    """Filters from the query string; unknown values are ignored rather than failing the page."""
    filters: dict[str, Any] = {}
    team = request.GET.get("team", "")
    if team.isdigit():
        filters["team"] = int(team)
    if request.GET.get("metric") in Metric.values:
        filters["metric"] = request.GET["metric"]
    if request.GET.get("kind") in AlertKind.values:
        filters["kind"] = request.GET["kind"]
    return filters


def _dashboard_context(request: HttpRequest) -> dict[str, Any]:
    filters = _filters(request)
    page = Paginator(selectors.alert_rows(user=request.user, filters=filters), ALERT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return {
        "refresh_seconds": getattr(settings, "ALERTS_REFRESH_SECONDS", 15),
        "figures": selectors.dashboard_figures(),
        "alerts": list(page.object_list),
        "page": page,
        "filters": filters,
        "query": request.GET.urlencode(),
    }


@require_GET
@desk_view
def dashboard(request: HttpRequest) -> HttpResponse:
    if not roles.is_supervisor(request.user):
        raise PermissionDenied
    context = _dashboard_context(request)
    if request.headers.get("HX-Request"):
        # The 15-second refresh swaps only the live part; the filters form stays as the user left it.
        return render(request, "alerts/_dashboard_live.html", context)
    context.update(
        teams=Team.objects.order_by("name"),
        metrics=Metric.choices,
        kinds=AlertKind.choices,
        # Outside the 15-second refresh: the KPIs of the day and week move slowly and cost ten queries.
        kpi_cards=selectors.kpi_strip(),
    )
    return render(request, "alerts/dashboard.html", context)


@require_POST
@desk_view
@desk_action(lambda request, alert_id: _next_url(request))
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_get_for_user(user=request.user, alert_id=alert_id)
    services.alert_acknowledge(alert=alert, user=request.user)
    messages.success(request, _("Alert acknowledged."))
    return HttpResponseRedirect(_next_url(request))


@require_POST
@desk_view
@desk_action(lambda request: _next_url(request))
def acknowledge_rows(request: HttpRequest) -> HttpResponse:
    """The alerts page's bulk acknowledge (and each row's own button): every open stage of each chosen ticket+clock."""
    chosen = [request.POST["only"]] if request.POST.get("only") else request.POST.getlist("alert")
    ids = {int(value) for value in chosen if value.isdigit()}
    if not ids:
        messages.error(request, _("Choose the alerts to acknowledge."))
        return HttpResponseRedirect(_next_url(request))
    alerts = list(selectors.alert_list(user=request.user, open_only=False).filter(pk__in=ids))
    if len(alerts) != len(ids):
        raise Http404
    done = services.alerts_acknowledge_stages(alerts=alerts, user=request.user)
    messages.success(
        request,
        ngettext("%(count)d alert acknowledged.", "%(count)d alerts acknowledged.", done) % {"count": done},
    )
    return HttpResponseRedirect(_next_url(request))


@require_GET
@desk_view
def notifications(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "alerts/notifications.html",
        {"notifications": selectors.notifications_for(user=request.user)},
    )


@require_POST
@desk_view
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return HttpResponseRedirect(reverse("alerts:notifications"))


@require_GET
@desk_view
def audit(request: HttpRequest) -> HttpResponse:
    """Who changed which setting, when, before and after (supervisors; the admin shows the same entries)."""
    if not roles.is_supervisor(request.user):
        raise PermissionDenied
    content_types = audit_reads.tracked_content_types()
    for content_type in content_types:
        content_type.label = audit_reads.model_label(content_type)
    chosen = request.GET.get("model", "")
    content_type_id = int(chosen) if chosen.isdigit() and int(chosen) in {ct.pk for ct in content_types} else None
    page, rows = audit_reads.audit_page(content_type_id=content_type_id, page=request.GET.get("page"))
    return render(
        request,
        "alerts/audit.html",
        {"page": page, "rows": rows, "content_types": content_types, "chosen": content_type_id},
    )
