"""Reads of complaints: visibility (through the ticket's rules), the desk list, one complaint, the report.

Every list and report here costs a fixed number of queries whatever the number of complaints; the report's figures
are computed by the database (GROUP BY), never by loading complaints into Python.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.utils import timezone

from complaints.models import Complaint, ComplaintStatus
from tickets import roles
from tickets.models import Storefront
from tickets.selectors import tickets_visible_to

# Age buckets of the list filter: (lower bound, upper bound) of the complaint's age.
AGE_BUCKETS: dict[str, tuple[timedelta | None, timedelta | None]] = {
    "under_1d": (None, timedelta(days=1)),
    "1_3d": (timedelta(days=1), timedelta(days=3)),
    "3_7d": (timedelta(days=3), timedelta(days=7)),
    "over_7d": (timedelta(days=7), None),
}
# The desk list's default: what still needs work.
ACTIVE = "active"
LIST_FILTERS = ("category", "department", "severity")


def complaints_visible_to(user: Any) -> QuerySet[Complaint]:
    """The complaints whose tickets the user may see (tickets.md: an agent's teams and own tickets; all for a
    supervisor)."""
    if roles.is_supervisor(user):
        return Complaint.objects.all()
    if not roles.is_agent(user):
        return Complaint.objects.none()
    return Complaint.objects.filter(ticket__in=tickets_visible_to(user).values("pk"))


def age_q(bucket: str, *, now: datetime) -> Q:
    older_than, younger_than = AGE_BUCKETS[bucket]
    q = Q()
    if older_than is not None:
        q &= Q(created_at__lte=now - older_than)
    if younger_than is not None:
        q &= Q(created_at__gt=now - younger_than)
    return q


def complaint_list(
    *, user: Any, filters: dict[str, Any] | None = None, now: datetime | None = None
) -> QuerySet[Complaint]:
    """The complaints list, newest first. `status`: a state, a list of states, "active" (all but archived) or
    empty (all); `category`, `department`, `severity`; `age` (a key of AGE_BUCKETS); `created_after/before`."""
    filters = filters or {}
    now = now or timezone.now()
    complaints = complaints_visible_to(user)
    status = filters.get("status")
    if status == ACTIVE:
        complaints = complaints.exclude(status=ComplaintStatus.ARCHIVED)
    elif status:
        complaints = complaints.filter(status__in=status if isinstance(status, (list, tuple, set)) else [status])
    for field in LIST_FILTERS:
        if filters.get(field):
            complaints = complaints.filter(**{field: filters[field]})
    if filters.get("age"):
        complaints = complaints.filter(age_q(filters["age"], now=now))
    if filters.get("created_after"):
        complaints = complaints.filter(created_at__gte=filters["created_after"])
    if filters.get("created_before"):
        complaints = complaints.filter(created_at__lt=filters["created_before"])
    return complaints.select_related(
        "ticket", "ticket__customer", "ticket__team", "ticket__assignee", "ticket__storefront"
    ).order_by("-created_at", "-id")


def _parse_public_id(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def complaint_get_for_user(*, user: Any, id: str) -> Complaint:
    """A complaint by its id (UUID) or reference (C-000123) if the user may see its ticket; 404 otherwise."""
    public_id = _parse_public_id(id)
    lookup = Q(public_id=public_id) if public_id is not None else Q(reference=id)
    complaint = (
        complaints_visible_to(user)
        .select_related("ticket", "ticket__customer", "ticket__team", "ticket__assignee", "ticket__storefront")
        .filter(lookup)
        .first()
    )
    if complaint is None:
        raise Http404("No such complaint.")
    return complaint


def complaint_get_for_storefront(*, storefront: Storefront, public_id: Any) -> Complaint:
    """A storefront's own complaint; another storefront's or an unknown one is 404."""
    parsed = _parse_public_id(public_id)
    if parsed is None:
        raise Http404("No such complaint.")
    complaint = (
        Complaint.objects.select_related("ticket").filter(ticket__storefront=storefront, public_id=parsed).first()
    )
    if complaint is None:
        raise Http404("No such complaint.")
    return complaint


def complaint_for_ticket(*, ticket: Any) -> Complaint | None:
    return Complaint.objects.filter(ticket=ticket).first()


# --- The report --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintReport:
    since: date
    until: date
    # Rows of {"week": date, "<dimension>": code, "count": n}, ordered by week then dimension.
    by_category: list[dict[str, Any]]
    by_department: list[dict[str, Any]]
    by_root_cause: list[dict[str, Any]]
    # Customers with more than one complaint in the period, most complaints first.
    repeat_customers: list[dict[str, Any]]


def _period(since: date, until: date, storefront: Storefront | None) -> QuerySet[Complaint]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(since, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    complaints = Complaint.objects.filter(created_at__gte=start, created_at__lt=end)
    if storefront is not None:
        complaints = complaints.filter(ticket__storefront=storefront)
    return complaints


def _weekly(complaints: QuerySet[Complaint], field: str) -> list[dict[str, Any]]:
    rows = (
        complaints.annotate(week=TruncWeek("created_at"))
        .values("week", field)
        .annotate(count=Count("id"))
        .order_by("week", field)
    )
    return [{"week": _as_date(row["week"]), field: row[field], "count": row["count"]} for row in rows]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def complaint_report(
    *, since: date, until: date, storefront: Storefront | None = None, repeat_min: int = 2, limit: int = 100
) -> ComplaintReport:
    """Complaints received from `since` to `until` (inclusive, local days), counted per week (weeks start on
    Monday) by category, department and root cause (archived ones: the root cause is set on archiving), and the
    customers who complained at least `repeat_min` times. Four queries."""
    complaints = _period(since, until, storefront)
    repeat = (
        complaints.filter(ticket__customer__isnull=False)
        .values(
            "ticket__customer",
            "ticket__customer__name",
            "ticket__customer__email",
            "ticket__customer__external_id",
            "ticket__storefront__name",
        )
        .annotate(count=Count("id"))
        .filter(count__gte=repeat_min)
        .order_by("-count", "ticket__customer")[:limit]
    )
    return ComplaintReport(
        since=since,
        until=until,
        by_category=_weekly(complaints, "category"),
        by_department=_weekly(complaints, "department"),
        by_root_cause=_weekly(complaints.exclude(root_cause_code=""), "root_cause_code"),
        repeat_customers=[
            {
                "customer_id": row["ticket__customer"],
                "name": row["ticket__customer__name"],
                "email": row["ticket__customer__email"],
                "external_id": row["ticket__customer__external_id"],
                "storefront": row["ticket__storefront__name"],
                "count": row["count"],
            }
            for row in repeat
        ],
    )
