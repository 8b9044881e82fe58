"""Storefronts, their API keys, and staff accounts."""

import base64
import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import InvalidInput
from tickets.keys import hash_key
from tickets.models import ApiKey, StaffProfile, Storefront, Team
from tickets.roles import ROLE_GROUPS
from tickets.services.signin import staff_token_issue
from tickets.settings_cache import settings_changed


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@transaction.atomic
def api_key_create(*, storefront: Storefront, name: str = "") -> tuple[ApiKey, str]:
    """A new key for a storefront. The plain key is returned once and never stored."""
    prefix = secrets.token_hex(4)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(storefront=storefront, name=name, prefix=prefix, hashed_key=hash_key(key))
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, now: datetime | None = None) -> ApiKey:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now or timezone.now())
    settings_changed()  # an update sends no signal: the cached key must go
    api_key.refresh_from_db()
    return api_key


@transaction.atomic
def storefront_create(*, name: str, webhook_url: str = "", language: str = "zh-hans") -> tuple[Storefront, str]:
    name = name.strip()
    if not name:
        raise InvalidInput(_("A storefront needs a name."), field="name")
    if Storefront.objects.filter(name=name).exists():
        raise InvalidInput(_("A storefront named %(name)s already exists.") % {"name": name}, field="name")
    storefront = Storefront.objects.create(
        name=name, webhook_url=webhook_url, webhook_secret=new_webhook_secret(), language=language
    )
    _api_key, key = api_key_create(storefront=storefront, name="default")
    return storefront, key


@transaction.atomic
def staff_create(
    *,
    username: str,
    role: str,
    password: str | None = None,
    teams: list[Team] | tuple[Team, ...] = (),
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "en",
) -> tuple[Any, str]:
    """A desk user in the role's group, member of the given teams, with an API token. Returns (user, token): the
    token is shown this once (only its hash is stored). A password must pass settings.AUTH_PASSWORD_VALIDATORS."""
    if role not in ROLE_GROUPS:
        raise InvalidInput(_("Unknown role %(role)s.") % {"role": role}, field="role")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise InvalidInput(_("A user named %(name)s already exists.") % {"name": username}, field="username")
    if password is not None:
        try:
            validate_password(
                password, User(username=username, email=email, first_name=first_name, last_name=last_name)
            )
        except ValidationError as error:
            raise InvalidInput(" ".join(error.messages), field="password") from error
    user = User.objects.create_user(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == "supervisor",
    )
    if role == "supervisor":
        # Supervisors keep the SLA and KPI settings in the admin: give them the settings-like models.
        from django.contrib.auth.models import Permission

        user.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=["tickets", "returns", "complaints", "alerts"],
            ).exclude(codename__startswith="delete_")
        )
    group, _created = Group.objects.get_or_create(name=ROLE_GROUPS[role])
    user.groups.add(group)
    for team in teams:
        team.members.add(user)
    StaffProfile.objects.create(user=user, language=language)
    _staff_token, token = staff_token_issue(user=user)
    return user, token


@transaction.atomic
def staff_set_preferences(
    *, user: Any, language: str | None = None, time_zone: str | None = None, is_available: bool | None = None
) -> StaffProfile:
    profile, _created = StaffProfile.objects.get_or_create(user=user)
    if language is not None:
        profile.language = language
    if time_zone is not None:
        profile.time_zone = time_zone
    if is_available is not None:
        profile.is_available = is_available
    profile.save()
    return profile
