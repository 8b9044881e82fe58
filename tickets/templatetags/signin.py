from typing import Any

from django import template
from django_otp.plugins.otp_static.models import StaticToken

from tickets import roles
from tickets.models import StaffToken
from tickets.services.signin import two_factor_enabled, two_factor_required

register = template.Library()


@register.simple_tag(takes_context=True)
def signin_security(context: template.Context) -> dict[str, Any]:
    """What the preferences page shows about the user's sign-in: second factor, recovery codes left, API token."""
    user = context["request"].user
    enabled = two_factor_enabled(user)
    return {
        "two_factor_enabled": enabled,
        "two_factor_required": two_factor_required(user),
        "recovery_codes_left": StaticToken.objects.filter(device__user=user).count() if enabled else 0,
        "token": StaffToken.objects.filter(user=user, revoked_at__isnull=True).first(),
        "may_unlock": roles.is_supervisor(user),
    }
