"""Staff sign-in credentials: hashed API tokens, and the second factor (an authenticator app's TOTP device and
single-use recovery codes, both django-otp devices)."""

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from aftersales.errors import InvalidInput, NotPermitted
from tickets.keys import hash_key
from tickets.models import StaffToken
from tickets.roles import role_names

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"


def _lock_user(user: Any) -> None:
    # Issuing, rotating and revoking a user's credentials take the user's row lock first, so two rotations at once
    # leave exactly one active token (the partial unique constraint would refuse the second insert otherwise).
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


@transaction.atomic
def staff_token_issue(*, user: Any, now: datetime | None = None) -> tuple[StaffToken, str]:
    """A new API token for the user, revoking the one they had (rotation). The token is returned once, never
    stored: only its prefix and SHA-256."""
    _lock_user(user)
    StaffToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now or timezone.now())
    prefix = secrets.token_hex(4)
    token = f"{prefix}.{secrets.token_urlsafe(32)}"
    staff_token = StaffToken.objects.create(user=user, prefix=prefix, hashed_key=hash_key(token))
    return staff_token, token


@transaction.atomic
def staff_token_revoke(*, user: Any, now: datetime | None = None) -> int:
    """Revoke the user's active token; scripts using it get 401 from the next request on. Returns how many."""
    _lock_user(user)
    return StaffToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def two_factor_required(user: Any) -> bool:
    """The user's role is named in settings.REQUIRE_2FA_FOR: they must set up and use a second factor."""
    return bool(role_names(user) & set(settings.REQUIRE_2FA_FOR))


def two_factor_enabled(user: Any) -> bool:
    return user_has_device(user, confirmed=True)


@transaction.atomic
def totp_device_start(*, user: Any) -> TOTPDevice:
    """The unconfirmed authenticator device the set-up page shows (the same secret on every reload until it is
    confirmed with a code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def totp_device_confirm(*, user: Any, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator with a code it shows: it replaces any earlier authenticator, and the user gets a
    new set of recovery codes (returned once)."""
    codes = _totp_device_confirm(user=user, device=device, code=code)
    if codes is None:
        raise InvalidInput(_("That code is not right. Enter the 6 digits your app shows now."), field="code")
    return codes


@transaction.atomic
def _totp_device_confirm(*, user: Any, device: TOTPDevice, code: str) -> list[str] | None:
    # A wrong code returns instead of raising, so the device's failure count (django-otp's throttling) is committed.
    _lock_user(user)
    device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
    if device is None or not device.verify_token(code.strip()):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return _new_recovery_codes(user)


@transaction.atomic
def two_factor_verify(*, user: Any, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts the code at sign-in: the authenticator for its 6 digits, otherwise a recovery code
    (used up by this). None for a wrong code; each device throttles repeated failures (django-otp), and the failure
    is committed, not rolled back."""
    code = "".join(code.split()).lower()
    if not code:
        return None
    # Authenticator codes are 6 digits; recovery codes 8 letters and digits (never mistaken for one).
    model = TOTPDevice if len(code) == 6 and code.isdigit() else StaticDevice
    for device in model.objects.select_for_update().filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


@transaction.atomic
def recovery_codes_regenerate(*, user: Any) -> list[str]:
    """A new set of recovery codes; the old ones stop working. Returned once."""
    _lock_user(user)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise InvalidInput(_("Set up two-factor sign-in first."), field="code")
    return _new_recovery_codes(user)


@transaction.atomic
def two_factor_disable(*, user: Any) -> None:
    """Remove the authenticator and the recovery codes; refused while the user's role requires them."""
    if two_factor_required(user):
        raise NotPermitted(_("Your role requires two-factor sign-in: it cannot be turned off."))
    _lock_user(user)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
