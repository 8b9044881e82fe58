"""Sign-in rules that plug into the libraries: django-axes counts failures and locks (LockoutHandler, client_address),
and every login marks the session with what it still needs (a second factor) and when it was last used."""

import ipaddress
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models import Max, Q, Sum
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

# Session keys. PENDING holds "verify" or "setup" from the password until the second factor is given.
SECOND_FACTOR_PENDING = "signin_second_factor"
LAST_ACTIVITY = "signin_last_activity"


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with two limits instead of one: an account's failures against
    SIGNIN_ACCOUNT_FAILURE_LIMIT, an address's against SIGNIN_ADDRESS_FAILURE_LIMIT. axes compares one number with
    AXES_FAILURE_LIMIT (the account's limit), so an address's failures are scaled to it: reaching its own limit is
    reaching AXES_FAILURE_LIMIT. Failures count while each is less than AXES_COOLOFF_TIME after the one before (axes
    keeps one row per account, address and browser with its last failure's time)."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        address = request.axes_ip_address
        sums = {}
        if username is not None:
            sums["account"] = Sum("failures_since_start", filter=Q(username=username))
        if address is not None:
            sums["address"] = Sum("failures_since_start", filter=Q(ip_address=address))
        if not sums:
            return 0
        counts = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request)).aggregate(**sums)
        account = counts.get("account") or 0
        address_failures = counts.get("address") or 0
        scaled = address_failures * settings.SIGNIN_ACCOUNT_FAILURE_LIMIT // settings.SIGNIN_ADDRESS_FAILURE_LIMIT
        return max(account, scaled)


def client_address(request: HttpRequest) -> str | None:
    """The address sign-in failures are counted for: REMOTE_ADDR, or behind SIGNIN_PROXY_COUNT proxies the address the
    outermost one saw. Anything that is not an IP address counts as REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.SIGNIN_PROXY_COUNT
    if count > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            candidate = hops[-min(count, len(hops))]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


@receiver(user_logged_in, dispatch_uid="tickets.signin.mark_session")
def mark_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Checked once per login so each later request only reads the session: whether a second factor is owed, and
    the start of the idle clock."""
    from tickets.services.signin import two_factor_enabled, two_factor_required

    session = getattr(request, "session", None)
    if session is None:
        return
    session[LAST_ACTIVITY] = int(time.time())
    if two_factor_enabled(user):
        session[SECOND_FACTOR_PENDING] = "verify"
    elif two_factor_required(user):
        session[SECOND_FACTOR_PENDING] = "setup"
    else:
        session.pop(SECOND_FACTOR_PENDING, None)


@dataclass(frozen=True)
class Lock:
    """A locked account (username) or address (ip_address), with its failures and when it opens again."""

    kind: str
    value: str
    failures: int
    until: datetime


def locks_current(now: datetime | None = None) -> list[Lock]:
    """Accounts and addresses locked now, most recent first, for the supervisors' unlock page."""
    now = now or timezone.now()
    cool_off = settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off)
    found = []
    for kind, field, limit in (
        ("account", "username", settings.SIGNIN_ACCOUNT_FAILURE_LIMIT),
        ("address", "ip_address", settings.SIGNIN_ADDRESS_FAILURE_LIMIT),
    ):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
        )
        found += [Lock(kind, row[field], row["failures"], row["last"] + cool_off) for row in rows]
    return sorted(found, key=lambda lock: lock.until, reverse=True)
