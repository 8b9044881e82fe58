"""Roles are Django groups; these predicates are the only place that knows their names."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

AGENTS = "agents"
SUPERVISORS = "supervisors"
FINANCE = "finance"
ROLE_GROUPS = {"agent": AGENTS, "supervisor": SUPERVISORS, "finance": FINANCE}

AnyUser = AbstractBaseUser | AnonymousUser


def group_names(user: AnyUser) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._group_names = cached
    return cached


def is_supervisor(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or SUPERVISORS in group_names(user))


def is_agent(user: AnyUser) -> bool:
    return user.is_authenticated and (AGENTS in group_names(user) or is_supervisor(user))


def is_finance(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or FINANCE in group_names(user))


def is_staff_member(user: AnyUser) -> bool:
    """May use the desk at all."""
    return is_agent(user) or is_finance(user)


# Sign-in: the role names that settings.REQUIRE_2FA_FOR may list. A user's own groups count (a supervisor is not an
# "agent" here unless in that group too); "admin" is a superuser.
ROLE_NAMES = ("agent", "supervisor", "finance", "admin")


def role_names(user: AnyUser) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    names = {role for role, group in ROLE_GROUPS.items() if group in group_names(user)}
    if user.is_superuser:
        names.add("admin")
    return frozenset(names)


def may_reveal_contact(user: AnyUser) -> bool:
    """May see a customer's full e-mail address and phone number (each reveal is logged on the ticket); everyone
    else on the desk sees them masked."""
    return is_supervisor(user)
