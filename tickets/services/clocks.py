"""SLA clocks: the deadlines of one ticket, computed when a clock starts, resumes or changes policy.

Every instant a clock will need (warning, deadline, escalation levels 2 and 3) is computed here, in working time of
the policy's calendar. The sweep (`alerts`) then only compares indexed columns with now, so it never needs a
calendar.

Only the ticket lifecycle (`tickets.services.lifecycle`) changes clocks, through `TicketClocks`, in the transaction
and under the row lock of the ticket change that moves them.
"""

import functools
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from tickets.business_time import Schedule, add_working_time, parse_hhmm, working_seconds_between
from tickets.models import BusinessCalendar, CalendarDayKind, Metric, SlaClock, SlaPolicy, Ticket
from tickets.settings_cache import cached

METRICS = tuple(Metric.values)
DEFAULT_WARNING_PERCENT = 75


@functools.lru_cache(maxsize=64)
def _country_holidays(country: str, year: int) -> frozenset[date]:
    import holidays

    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except NotImplementedError:
        return frozenset()


def public_holiday_check(country: str) -> Callable[[date], bool] | None:
    """Whether a day is a public holiday of `country` (the `holidays` package); None for no country."""
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
        is_public_holiday=public_holiday_check(calendar.holiday_country),
    )


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


# What a change to a clock may write: the sweep marks warned_at, breached_at and escalation_level on the same rows,
# so a clock is saved with these fields only.
_FIELDS = (
    "policy",
    "calendar",
    "team",
    "target_minutes",
    "warn_at",
    "due_at",
    "escalate2_at",
    "escalate3_at",
    "paused_at",
    "paused_seconds",
    "stopped_at",
)


class TicketClocks:
    """A ticket's running clocks, read once, changed in memory, and written together by `save`, which also sets the
    ticket's soonest deadline and warning (`next_due_at`, `next_warn_at`: the queue's order and SLA state).

    The caller holds the ticket's row lock: the sweep skips a locked ticket's clocks, so nothing else writes them
    between the read and the save.
    """

    def __init__(self, ticket: Ticket, *, new: bool = False) -> None:
        self.ticket = ticket
        self.running: list[SlaClock] = (
            []
            if new
            else list(SlaClock.objects.filter(ticket=ticket, stopped_at__isnull=True).select_related("policy"))
        )
        self._created: list[SlaClock] = []
        self._changed: dict[int, SlaClock] = {}
        self._schedules: dict[int, Schedule] = {}
        self._policy: SlaPolicy | bool | None = False  # False: not looked up yet

    # --- reading -------------------------------------------------------------------------------------------------

    def policy(self) -> SlaPolicy | None:
        if self._policy is False:
            self._policy = sla_policy_for(self.ticket)
        return self._policy  # type: ignore[return-value]

    def _schedule(self, calendar_id: int | None) -> Schedule | None:
        if calendar_id is None:
            return None
        if calendar_id not in self._schedules:
            self._schedules[calendar_id] = calendar_schedule(BusinessCalendar.objects.get(pk=calendar_id))
        return self._schedules[calendar_id]

    def _of(self, metric: str, key: str | None = "") -> list[SlaClock]:
        return [clock for clock in self.running if clock.metric == metric and (key is None or clock.key == key)]

    # --- changes -------------------------------------------------------------------------------------------------

    def _touch(self, clock: SlaClock) -> None:
        if clock.pk is not None:
            self._changed[clock.pk] = clock

    def start(self, metric: str, *, now: datetime, key: str = "") -> SlaClock | None:
        """Start a clock unless one of this metric and key runs already (then that one); None when the ticket's
        policy tracks no target for the metric."""
        running = self._of(metric, key)
        if running:
            return running[0]
        policy = self.policy()
        target = policy.target_minutes(metric) if policy else None
        if policy is None or not target:
            return None
        calendar_id = policy.calendar_id_for(metric)
        clock = SlaClock(
            ticket=self.ticket,
            metric=metric,
            key=key,
            policy=policy,
            calendar_id=calendar_id,
            team_id=self.ticket.team_id,
            target_minutes=target,
            started_at=now,
        )
        _plan(clock, self._schedule(calendar_id), policy.warning_percent)
        self.running.append(clock)
        self._created.append(clock)
        return clock

    def _finish_pause(self, clock: SlaClock, now: datetime) -> None:
        """Fold the pause that ends now into paused_seconds and push the instants back by it."""
        schedule = self._schedule(clock.calendar_id)
        clock.paused_seconds += round(working_seconds_between(schedule, clock.paused_at, now))
        clock.paused_at = None
        warning_percent = clock.policy.warning_percent if clock.policy_id and clock.policy else DEFAULT_WARNING_PERCENT
        _plan(clock, schedule, warning_percent)

    def stop(self, metric: str, *, now: datetime, key: str | None = "") -> list[SlaClock]:
        """Stop the running clocks of a metric (one key, or every key when key is None)."""
        stopped = self._of(metric, key)
        for clock in stopped:
            if clock.paused_at is not None:
                self._finish_pause(clock, now)
            clock.stopped_at = now
            self.running.remove(clock)
            self._touch(clock)
        return stopped

    def pause(self, metric: str, *, now: datetime) -> None:
        for clock in self._of(metric, None):
            if clock.paused_at is None:
                clock.paused_at = now
                self._touch(clock)

    def resume(self, metric: str, *, now: datetime) -> None:
        for clock in self._of(metric, None):
            if clock.paused_at is not None:
                self._finish_pause(clock, now)
                self._touch(clock)

    def restart(self, metric: str, *, now: datetime) -> None:
        """A reopen resumes the stopped clock: the time the ticket spent resolved counts like a pause."""
        if self._of(metric):
            return
        clock = (
            SlaClock.objects.filter(ticket=self.ticket, metric=metric, key="", stopped_at__isnull=False)
            .select_related("policy")
            .order_by("-stopped_at", "-id")
            .first()
        )
        if clock is None:
            self.start(metric, now=now)
            return
        clock.paused_at = clock.stopped_at
        clock.stopped_at = None
        self._finish_pause(clock, now)
        self.running.append(clock)
        self._touch(clock)

    def repick(self) -> None:
        """Severity or category changed: re-pick the policy and re-plan the running clocks from their start. A metric
        the new policy does not track keeps the deadline it was given."""
        self._policy = False
        policy = self.policy()
        if policy is None:
            return
        for clock in self.running:
            target = policy.target_minutes(clock.metric)
            if not target:
                continue
            clock.policy = policy
            clock.calendar_id = policy.calendar_id_for(clock.metric)
            clock.target_minutes = target
            _plan(clock, self._schedule(clock.calendar_id), policy.warning_percent)
            self._touch(clock)

    def save(self) -> None:
        """Write what changed, make the running clocks count for the ticket's team (stopped ones stay with the team
        they counted for), and set the ticket's soonest deadline and warning in memory for its own save."""
        for clock in self.running:
            if clock.team_id != self.ticket.team_id:
                clock.team_id = self.ticket.team_id
                self._touch(clock)
        if self._created:
            SlaClock.objects.bulk_create(self._created)
        if self._changed:
            SlaClock.objects.bulk_update(list(self._changed.values()), _FIELDS)
        self._created, self._changed = [], {}
        self.set_deadlines()

    def set_deadlines(self) -> None:
        """The ticket's soonest deadline and warning among its running clocks, in memory (for its own save)."""
        ticking = [clock for clock in self.running if clock.paused_at is None]
        self.ticket.next_due_at = min((clock.due_at for clock in ticking), default=None)
        self.ticket.next_warn_at = min((clock.warn_at for clock in ticking), default=None)


def check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"Unknown SLA metric {metric!r}.")
