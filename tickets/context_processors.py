from typing import Any

from django.http import HttpRequest

from tickets import roles as role_checks


def roles(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's roles, for menus and actions in templates."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {
        "is_supervisor": role_checks.is_supervisor(user),
        "is_agent": role_checks.is_agent(user),
        "is_finance": role_checks.is_finance(user),
    }
