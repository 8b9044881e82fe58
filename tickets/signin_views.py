"""Sign-in pages beyond the password: the second factor (set up, give it, recovery codes, turn it off), the staff
API token (rotate, revoke) and the supervisors' unlock page for locked sign-ins. Parse, call a service, render."""

import base64
import logging
from io import BytesIO
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.qr import write_qrcode_image

from aftersales.errors import ApplicationError
from tickets import roles
from tickets.services import signin as signin_services
from tickets.signin import SECOND_FACTOR_PENDING, locks_current
from tickets.signin_forms import CodeForm, UnlockForm
from tickets.views import _form_errors, _safe_next, desk_view

logger = logging.getLogger(__name__)


def _next(request: HttpRequest) -> str:
    return _safe_next(request, reverse("tickets:queue"))


def _qr_data_uri(text: str) -> str:
    # Inline as a data: URI (the CSP allows img-src data:), made here: the secret never leaves the server.
    out = BytesIO()
    write_qrcode_image(text, out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def _signed_in_with_second_factor(request: HttpRequest, device: Any) -> None:
    otp_login(request, device)
    request.session.pop(SECOND_FACTOR_PENDING, None)
    # A new session key once the second factor is given, as Django does after the password.
    request.session.cycle_key()


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponseBase:
    """The code from the authenticator app (or a recovery code) after the password."""
    if request.session.get(SECOND_FACTOR_PENDING) != "verify":
        return HttpResponseRedirect(_next(request))
    form = CodeForm(request.POST or None, initial={"next": _next(request)})
    if request.method == "POST" and form.is_valid():
        device = signin_services.two_factor_verify(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            _signed_in_with_second_factor(request, device)
            return HttpResponseRedirect(_next(request))
        form.add_error("code", _("That code is not right, or too many wrong codes came in a row: wait a moment."))
    return render(request, "registration/two_factor_verify.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponseBase:
    """Add an authenticator app: its secret as a QR code and as text, confirmed with a code it shows; then the
    recovery codes, once."""
    user = request.user
    pending = request.session.get(SECOND_FACTOR_PENDING)
    if pending == "verify":
        # Replacing the authenticator needs the current one first.
        return redirect(f"{reverse('signin:two_factor_verify')}?next={reverse('signin:two_factor_setup')}")
    device = signin_services.totp_device_start(user=user)
    form = CodeForm(request.POST or None, initial={"next": _next(request)})
    if request.method == "POST" and form.is_valid():
        try:
            codes = signin_services.totp_device_confirm(user=user, device=device, code=form.cleaned_data["code"])
        except ApplicationError as error:
            form.add_error("code", str(error.message))
        else:
            device.refresh_from_db()
            _signed_in_with_second_factor(request, device)
            return render(request, "registration/recovery_codes.html", {"codes": codes, "next": _next(request)})
    context = {
        "form": form,
        "required": pending == "setup",
        "qr_code": _qr_data_uri(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode(),
    }
    return render(request, "registration/two_factor_setup.html", context, status=400 if form.errors else 200)


def _back_to_preferences() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("tickets:preferences"))


@never_cache
@require_POST
@desk_view
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponseBase:
    try:
        codes = signin_services.recovery_codes_regenerate(user=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return _back_to_preferences()
    return render(request, "registration/recovery_codes.html", {"codes": codes, "next": reverse("tickets:preferences")})


@require_POST
@desk_view
def two_factor_disable(request: HttpRequest) -> HttpResponseBase:
    try:
        signin_services.two_factor_disable(user=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Two-factor sign-in is off."))
    return _back_to_preferences()


@never_cache
@require_POST
@desk_view
def token_rotate(request: HttpRequest) -> HttpResponseBase:
    """A new API token, shown on this page only; the old one stops working."""
    _staff_token, token = signin_services.staff_token_issue(user=request.user)
    return render(request, "registration/staff_token.html", {"token": token})


@require_POST
@desk_view
def token_revoke(request: HttpRequest) -> HttpResponseBase:
    if signin_services.staff_token_revoke(user=request.user):
        messages.success(request, _("Your API token is revoked: scripts using it are refused from now on."))
    return _back_to_preferences()


@require_http_methods(["GET", "POST"])
@desk_view
def sign_in_locks(request: HttpRequest) -> HttpResponse:
    """Supervisors see the accounts and addresses locked after failed sign-ins, and unlock them."""
    if not roles.is_supervisor(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = UnlockForm(request.POST)
        if form.is_valid():
            kind, value = form.cleaned_data["kind"], form.cleaned_data["value"]
            logger.info("Sign-in %s unlocked by user %s", kind, request.user.pk)
            if kind == "account":
                axes_reset(username=value)
                messages.success(request, _("The account %(name)s can sign in again.") % {"name": value})
            else:
                axes_reset(ip=value)
                messages.success(request, _("Sign-in from %(address)s is open again.") % {"address": value})
        else:
            _form_errors(request, form)
        return HttpResponseRedirect(reverse("signin:locks"))
    context = {
        "locks": locks_current(),
        "account_limit": settings.SIGNIN_ACCOUNT_FAILURE_LIMIT,
        "address_limit": settings.SIGNIN_ADDRESS_FAILURE_LIMIT,
        "cooloff_minutes": _cooloff_minutes(),
    }
    return render(request, "registration/sign_in_locks.html", context)


def _cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """django-axes' answer to a sign-in refused by the lockout (AXES_LOCKOUT_CALLABLE), on the desk's and the
    admin's sign-in page alike: 429 with a page that says so."""
    return render(request, "registration/locked_out.html", {"cooloff_minutes": _cooloff_minutes()}, status=429)
