"""SLA clocks: started, stopped, paused and re-planned in the same transaction as the ticket change that moves them.

Every instant a clock will need (warning, deadline, escalation levels 2 and 3) is computed here, in working time of
the policy's calendar, whenever the clock starts, resumes or changes policy. The sweep (`alerts`) then only compares
indexed columns with now, so it never needs a calendar.

Callers hold the ticket's row lock (the ticket services lock first; `clock_start` / `clock_stop` lock it themselves,
which is a no-op when the caller already did), so two changes to one ticket never race on its clocks.
"""

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tickets.business_time import Schedule, add_working_time, parse_hhmm, working_seconds_between
from tickets.models import BusinessCalendar, CalendarDayKind, Metric, SlaClock, SlaPolicy, Ticket
from tickets.settings_cache import cached

METRICS = tuple(Metric.values)


@functools.lru_cache(maxsize=64)
def _country_holidays(country: str, year: int) -> frozenset[date]:
    import holidays

    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except NotImplementedError:
        return frozenset()


def _public_holiday_check(country: str) -> Callable[[date], bool] | None:
    if not country:
        return None
    return lambda day: day in _country_holidays(country.upper(), day.year)


def calendar_schedule(calendar: BusinessCalendar) -> Schedule:
    """The calendar resolved for computing (reads its holidays and make-up days: one query)."""
    weekly = {
        int(day): tuple((parse_hhmm(start), parse_hhmm(end)) for start, end in spans)
        for day, spans in (calendar.working_hours or {}).items()
    }
    holidays: set[date] = set()
    working_days: set[date] = set()
    for day in calendar.days.all():
        (working_days if day.kind == CalendarDayKind.WORKING_DAY else holidays).add(day.date)
    return Schedule(
        tz=ZoneInfo(calendar.time_zone),
        weekly=weekly,
        holidays=frozenset(holidays),
        working_days=frozenset(working_days),
        is_public_holiday=_public_holiday_check(calendar.holiday_country),
    )


def _schedule(calendar_id: int | None, cache: dict[int, Schedule]) -> Schedule | None:
    if calendar_id is None:
        return None
    if calendar_id not in cache:
        cache[calendar_id] = calendar_schedule(BusinessCalendar.objects.get(pk=calendar_id))
    return cache[calendar_id]


def sla_policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy, in order, whose conditions match the ticket."""
    policies = cached("sla_policies", lambda: list(SlaPolicy.objects.filter(is_active=True).order_by("position", "id")))
    for policy in policies:
        if policy.matches(ticket):
            return policy
    return None


def _plan(clock: SlaClock, schedule: Schedule | None, warning_percent: int) -> None:
    """Set the clock's warning, deadline and escalation instants from its start, target and time spent paused."""
    target = clock.target_minutes * 60
    paused = clock.paused_seconds
    start = clock.started_at
    clock.warn_at = add_working_time(schedule, start, target * warning_percent / 100 + paused)
    clock.due_at = add_working_time(schedule, start, target + paused)
    clock.escalate2_at = add_working_time(schedule, start, 2 * target + paused)
    clock.escalate3_at = add_working_time(schedule, start, 3 * target + paused)


def _warning_percent(clock: SlaClock) -> int:
    return clock.policy.warning_percent if clock.policy_id and clock.policy else 75


def _new_clock(
    ticket: Ticket, metric: str, *, now: datetime, key: str, policy: SlaPolicy | None, cache: dict[int, Schedule]
) -> SlaClock | None:
    """A clock of the metric starting now, planned but not saved; None when the policy tracks no target."""
    target = policy.target_minutes(metric) if policy else None
    if policy is None or not target:
        return None
    calendar_id = policy.calendar_id_for(metric)
    clock = SlaClock(
        ticket=ticket,
        metric=metric,
        key=key,
        policy=policy,
        calendar_id=calendar_id,
        team_id=ticket.team_id,
        target_minutes=target,
        started_at=now,
    )
    _plan(clock, _schedule(calendar_id, cache), policy.warning_percent)
    return clock


def _start(
    ticket: Ticket,
    metric: str,
    *,
    now: datetime,
    key: str = "",
    policy: SlaPolicy | None = None,
    cache: dict[int, Schedule] | None = None,
) -> SlaClock | None:
    """Start a clock unless one of this metric (and key) is running already; None when the policy tracks no target."""
    running = SlaClock.objects.filter(ticket=ticket, metric=metric, key=key, stopped_at__isnull=True).first()
    if running is not None:
        return running
    policy = policy or sla_policy_for(ticket)
    clock = _new_clock(ticket, metric, now=now, key=key, policy=policy, cache=cache if cache is not None else {})
    if clock is not None:
        clock.save()
    return clock


def _plan_new_ticket(ticket: Ticket, metrics: list[str], *, now: datetime, policy: SlaPolicy | None) -> list[SlaClock]:
    """The clocks a ticket starts with, planned but not saved, and the ticket's next deadline and warning set from
    them: a ticket not yet written has no running clock to reuse, so `ticket_create` inserts the ticket with its
    deadlines and then its clocks in one INSERT."""
    cache: dict[int, Schedule] = {}
    started = [
        clock
        for metric in metrics
        if (clock := _new_clock(ticket, metric, now=now, key="", policy=policy, cache=cache)) is not None
    ]
    set_next_due(ticket, started)
    return started


def set_next_due(ticket: Ticket, clocks: list[SlaClock]) -> None:
    """The ticket's next deadline and warning from its clocks in memory (a ticket not yet written)."""
    running = [clock for clock in clocks if clock.stopped_at is None and clock.paused_at is None]
    ticket.next_due_at = min((clock.due_at for clock in running), default=None)
    ticket.next_warn_at = min((clock.warn_at for clock in running), default=None)


def _finish_pause(clock: SlaClock, now: datetime, cache: dict[int, Schedule]) -> None:
    """Fold the pause that ends now into paused_seconds and push the instants back by it."""
    schedule = _schedule(clock.calendar_id, cache)
    clock.paused_seconds += round(working_seconds_between(schedule, clock.paused_at, now))
    clock.paused_at = None
    _plan(clock, schedule, _warning_percent(clock))


def _stop(ticket: Ticket, metric: str, *, now: datetime, key: str | None = "") -> list[SlaClock]:
    """Stop the running clocks of a metric (one key, or every key when key is None)."""
    clocks = SlaClock.objects.filter(ticket=ticket, metric=metric, stopped_at__isnull=True).select_related("policy")
    if key is not None:
        clocks = clocks.filter(key=key)
    stopped = []
    cache: dict[int, Schedule] = {}
    for clock in clocks:
        if clock.paused_at is not None:
            _finish_pause(clock, now, cache)
        clock.stopped_at = now
        clock.save()
        stopped.append(clock)
    return stopped


def _pause(ticket: Ticket, metric: str, *, now: datetime) -> None:
    SlaClock.objects.filter(ticket=ticket, metric=metric, stopped_at__isnull=True, paused_at__isnull=True).update(
        paused_at=now
    )


def _resume(ticket: Ticket, metric: str, *, now: datetime) -> None:
    cache: dict[int, Schedule] = {}
    for clock in SlaClock.objects.filter(
        ticket=ticket, metric=metric, stopped_at__isnull=True, paused_at__isnull=False
    ).select_related("policy"):
        _finish_pause(clock, now, cache)
        clock.save()


def _restart(ticket: Ticket, metric: str, *, now: datetime) -> None:
    """A reopen resumes the stopped clock: the time the ticket spent resolved counts like a pause."""
    if SlaClock.objects.filter(ticket=ticket, metric=metric, key="", stopped_at__isnull=True).exists():
        return
    clock = (
        SlaClock.objects.filter(ticket=ticket, metric=metric, key="", stopped_at__isnull=False)
        .select_related("policy")
        .order_by("-stopped_at", "-id")
        .first()
    )
    if clock is None:
        _start(ticket, metric, now=now)
        return
    clock.paused_at = clock.stopped_at
    clock.stopped_at = None
    _finish_pause(clock, now, {})
    clock.save()


def _repick(ticket: Ticket, *, now: datetime) -> None:
    """Severity or category changed: re-pick the policy and re-plan the running clocks from their start."""
    policy = sla_policy_for(ticket)
    if policy is None:
        return
    cache: dict[int, Schedule] = {}
    for clock in SlaClock.objects.filter(ticket=ticket, stopped_at__isnull=True):
        target = policy.target_minutes(clock.metric)
        if not target:
            continue  # the new policy does not track it: the clock keeps the deadline it was given
        clock.policy = policy
        clock.team_id = ticket.team_id
        clock.calendar_id = policy.calendar_id_for(clock.metric)
        clock.target_minutes = target
        _plan(clock, _schedule(clock.calendar_id, cache), policy.warning_percent)
        clock.save()


def _follow_team(ticket: Ticket) -> None:
    """The ticket changed team: its running clocks now count for the new team (stopped ones stay with the old)."""
    SlaClock.objects.filter(ticket=ticket, stopped_at__isnull=True).exclude(team_id=ticket.team_id).update(
        team_id=ticket.team_id
    )


def _refresh_next_due(ticket: Ticket) -> None:
    """Keep the ticket's soonest deadline (the queue's order) and soonest warning (its SLA state) current: one
    UPDATE ... RETURNING (the same SQL on PostgreSQL and SQLite), on the hot path of every ticket change."""
    running = f"FROM {SlaClock._meta.db_table} WHERE ticket_id = %s AND stopped_at IS NULL AND paused_at IS NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Ticket._meta.db_table} SET next_due_at = (SELECT MIN(due_at) {running}), "  # noqa: S608
            f"next_warn_at = (SELECT MIN(warn_at) {running}) WHERE id = %s RETURNING next_due_at, next_warn_at",
            [ticket.pk, ticket.pk, ticket.pk],
        )
        due, warn = cursor.fetchone()
    ticket.next_due_at, ticket.next_warn_at = _as_aware(due), _as_aware(warn)


def _as_aware(value: datetime | str | None) -> datetime | None:
    # PostgreSQL hands back aware datetimes; SQLite hands back its stored text, which is UTC.
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"Unknown SLA metric {metric!r}.")


@transaction.atomic
def clock_start(*, ticket: Ticket, metric: str, key: str = "", now: datetime | None = None) -> SlaClock | None:
    """Start an SLA clock on a ticket (e.g. metric "refund" when a refund is approved).

    At most one clock per (ticket, metric, key) runs: starting a running one returns it unchanged, so a retried
    caller is safe. Pass a key (e.g. f"refund:{refund.pk}") to run several of one metric side by side.
    Returns None when the ticket's policy sets no target for the metric.
    """
    _check_metric(metric)
    now = now or timezone.now()
    locked = _lock(ticket)
    clock = _start(locked, metric, now=now, key=key)
    _refresh_next_due(locked)
    ticket.next_due_at, ticket.next_warn_at = locked.next_due_at, locked.next_warn_at
    return clock


@transaction.atomic
def clock_stop(*, ticket: Ticket, metric: str, key: str = "", now: datetime | None = None) -> SlaClock | None:
    """Stop the running clock of a metric (and key); None when none runs (so a retried caller is safe)."""
    _check_metric(metric)
    now = now or timezone.now()
    locked = _lock(ticket)
    stopped = _stop(locked, metric, now=now, key=key)
    _refresh_next_due(locked)
    ticket.next_due_at, ticket.next_warn_at = locked.next_due_at, locked.next_warn_at
    return stopped[0] if stopped else None
