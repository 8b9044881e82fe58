"""Who may call which API: storefront keys the storefront endpoints, agents and supervisors the desk endpoints.

A storefront's request.user is a StorefrontPrincipal, not a Django user (no groups): check the type before asking
tickets.roles anything.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from tickets import roles
from tickets.authentication import StorefrontPrincipal


def is_storefront(user: Any) -> bool:
    return isinstance(user, StorefrontPrincipal)


class IsStorefront(BasePermission):
    """Storefront endpoints: only an API key; staff tokens and sessions are refused (403)."""

    message = _("This endpoint is for storefront API keys.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_storefront(request.user)


class IsDeskAgent(BasePermission):
    """Desk endpoints: agents and supervisors (the desk's own rule); storefront keys and finance-only users 403."""

    message = _("This endpoint is for agents and supervisors.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not is_storefront(user) and roles.is_agent(user))
