"""Desk pages for returns: the actions of the return panel on its ticket page, the returns queue and finance's
refunds queue. Parse, call one service, redirect with a message; refusals come back as error messages through
tickets.views.desk_action."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from returns import forms, selectors, services
from returns.models import ReturnRequest
from returns.panels import return_panel_context
from tickets import roles
from tickets.selectors import tickets_visible_to
from tickets.views import desk_action, desk_view

PAGE_SIZE = 50


def _ticket_page(request: HttpRequest, reference: str, **_kwargs: Any) -> str:
    ticket_reference = (
        ReturnRequest.objects.filter(reference=reference).values_list("ticket__reference", flat=True).first()
    )
    return reverse("tickets:ticket", args=[ticket_reference]) if ticket_reference else reverse("returns:queue")


def _refund_back(request: HttpRequest, refund_id: str, **_kwargs: Any) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    ticket_reference = (
        selectors.refunds_visible_to(request.user)
        .filter(public_id=selectors.parse_uuid(refund_id))
        .values_list("return_request__ticket__reference", flat=True)
        .first()
    )
    if ticket_reference and tickets_visible_to(request.user).filter(reference=ticket_reference).exists():
        return reverse("tickets:ticket", args=[ticket_reference])
    return reverse("returns:refunds")


def _form_or_errors(request: HttpRequest, form_class: type, prefix: str) -> Any:
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        return form.cleaned_data
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
    return None


def _return_action(
    request: HttpRequest, reference: str, form_class: type | None, prefix: str, act: Any
) -> HttpResponse:
    return_request = selectors.return_get_for_user(user=request.user, id=reference)
    data: dict[str, Any] = {}
    if form_class is not None:
        data = _form_or_errors(request, form_class, prefix)
        if data is None:
            return redirect(_ticket_page(request, reference))
    message = act(return_request, data)
    messages.success(request, message)
    return redirect(_ticket_page(request, reference))


@require_POST
@desk_view
@desk_action(_ticket_page)
def return_approve(request: HttpRequest, reference: str) -> HttpResponse:
    def act(return_request: ReturnRequest, data: dict) -> str:
        services.return_approve(return_request=return_request, user=request.user, reason=data["reason"])
        return _("Return approved.")

    return _return_action(request, reference, forms.ApproveForm, "approve", act)


@require_POST
@desk_view
@desk_action(_ticket_page)
def return_reject(request: HttpRequest, reference: str) -> HttpResponse:
    def act(return_request: ReturnRequest, data: dict) -> str:
        services.return_reject(return_request=return_request, user=request.user, reason=data["reason"])
        return _("Return rejected.")

    return _return_action(request, reference, forms.RequiredReasonForm, "reject", act)


@require_POST
@desk_view
@desk_action(_ticket_page)
def return_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    def act(return_request: ReturnRequest, data: dict) -> str:
        services.return_cancel(return_request=return_request, user=request.user, reason=data["reason"])
        return _("Return cancelled.")

    return _return_action(request, reference, forms.CancelForm, "cancel", act)


@require_POST
@desk_view
@desk_action(_ticket_page)
def return_receive(request: HttpRequest, reference: str) -> HttpResponse:
    def act(return_request: ReturnRequest, data: dict) -> str:
        services.return_receive(return_request=return_request, user=request.user)
        return _("Receipt recorded.")

    return _return_action(request, reference, None, "receive", act)


@require_POST
@desk_view
@desk_action(_ticket_page)
def return_inspect(request: HttpRequest, reference: str) -> HttpResponse:
    def act(return_request: ReturnRequest, data: dict) -> str:
        services.return_inspect(return_request=return_request, user=request.user, **data)
        return _("Inspection recorded.")

    return _return_action(request, reference, forms.InspectForm, "inspect", act)


@require_POST
@desk_view
@desk_action(_ticket_page)
def return_refund(request: HttpRequest, reference: str) -> HttpResponse:
    def act(return_request: ReturnRequest, data: dict) -> str:
        refund = services.refund_create(return_request=return_request, user=request.user, **data)
        return _("Refund %(reference)s of %(amount)s %(currency)s created for finance.") % {
            "reference": refund.reference,
            "amount": f"{refund.amount:.2f}",
            "currency": refund.currency,
        }

    return _return_action(request, reference, forms.RefundForm, "refund", act)


@require_POST
@desk_view
@desk_action(_ticket_page)
def return_exchange(request: HttpRequest, reference: str) -> HttpResponse:
    def act(return_request: ReturnRequest, data: dict) -> str:
        services.return_request_exchange(return_request=return_request, user=request.user, **data)
        return _("Exchange requested from the storefront.")

    return _return_action(request, reference, forms.ExchangeForm, "exchange", act)


@require_POST
@desk_view
@desk_action(_ticket_page)
def return_repair(request: HttpRequest, reference: str) -> HttpResponse:
    def act(return_request: ReturnRequest, data: dict) -> str:
        services.return_record_repair(return_request=return_request, user=request.user, **data)
        return _("Repair recorded.")

    return _return_action(request, reference, forms.RepairForm, "repair", act)


def _refund_action(
    request: HttpRequest, refund_id: str, form_class: type | None, prefix: str, act: Any
) -> HttpResponse:
    refund = selectors.refund_get_for_user(user=request.user, public_id=refund_id)
    data: dict[str, Any] = {}
    if form_class is not None:
        data = _form_or_errors(request, form_class, prefix)
        if data is None:
            return redirect(_refund_back(request, refund_id))
    messages.success(request, act(refund, data))
    return redirect(_refund_back(request, refund_id))


@require_POST
@desk_view
@desk_action(_refund_back)
def refund_lower(request: HttpRequest, refund_id: str) -> HttpResponse:
    def act(refund: Any, data: dict) -> str:
        services.refund_lower(refund=refund, user=request.user, **data)
        return _("Refund lowered.")

    return _refund_action(request, refund_id, forms.LowerRefundForm, "lower", act)


@require_POST
@desk_view
@desk_action(_refund_back)
def refund_issue(request: HttpRequest, refund_id: str) -> HttpResponse:
    def act(refund: Any, data: dict) -> str:
        services.refund_issue(refund=refund, user=request.user)
        return _("Refund issued; the storefront has been asked to pay it out.")

    return _refund_action(request, refund_id, None, "issue", act)


@require_POST
@desk_view
@desk_action(_refund_back)
def refund_settle(request: HttpRequest, refund_id: str) -> HttpResponse:
    def act(refund: Any, data: dict) -> str:
        refund = services.refund_settle(refund=refund, user=request.user, **data)
        return _("Refund marked %(status)s.") % {"status": refund.get_status_display()}

    return _refund_action(request, refund_id, forms.SettleForm, "settle", act)


@require_safe
@desk_view
def return_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The return's own page: what finance opens from its refunds (finance sees returns, not their tickets)."""
    return_request = selectors.return_get_for_user(user=request.user, id=reference)
    context = return_panel_context(request, return_request)
    can_see_ticket = tickets_visible_to(request.user).filter(pk=return_request.ticket_id).exists()
    return render(request, "returns/detail.html", {**context, "can_see_ticket": can_see_ticket})


@require_safe
@desk_view
def returns_queue(request: HttpRequest) -> HttpResponse:
    """Returns by state and age, oldest first."""
    if not roles.is_agent(request.user) and not roles.is_finance(request.user):
        raise PermissionDenied
    form = forms.ReturnQueueForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(selectors.returns_queue(user=request.user, status=status or None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "returns/queue.html",
        {"form": form, "page": page, "status": status, "is_agent": roles.is_agent(request.user)},
    )


@require_safe
@desk_view
def refunds_queue(request: HttpRequest) -> HttpResponse:
    """Finance's queue: refunds to issue or settle, oldest due first."""
    if not roles.is_finance(request.user) and not roles.is_supervisor(request.user):
        raise PermissionDenied
    form = forms.RefundQueueForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(selectors.refunds_queue(user=request.user, status=status or None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "returns/refunds.html",
        {
            "form": form,
            "page": page,
            "status": status,
            "is_finance": roles.is_finance(request.user),
            "now": timezone.now(),
            "settle_form": forms.SettleForm(prefix="settle"),
        },
    )
