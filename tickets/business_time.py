"""Working-time arithmetic for SLA deadlines; pure Python, no database.

A `Schedule` is a business calendar resolved for computing: a time zone, working intervals per weekday (local wall
time, minutes after midnight, end up to 1440), holidays (no work that day) and make-up working days (work that day
with `makeup_weekday`'s hours, as on the weekends China moves working days to). `None` instead of a schedule means
24x7: working time is plain elapsed time.

Durations are real elapsed seconds: every local interval is turned into UTC instants through the time zone, so a
working day that contains a daylight-saving change counts the hours that actually passed, and an interval ending at
18:00 local ends at 18:00 local whatever the UTC offset is that day.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[int, int]

# A deadline search never walks further than this: a calendar with no working time at all is an error, not a hang.
MAX_DAYS = 3660


@dataclass(frozen=True)
class Schedule:
    tz: ZoneInfo
    weekly: dict[int, tuple[Interval, ...]]
    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    # A country's public holidays, asked per date (e.g. from the `holidays` package); None = none.
    is_public_holiday: Callable[[date], bool] | None = field(default=None, compare=False)
    makeup_weekday: int = 0

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        if day in self.working_days:
            return self.weekly.get(self.makeup_weekday, ())
        if day in self.holidays or (self.is_public_holiday is not None and self.is_public_holiday(day)):
            return ()
        return self.weekly.get(day.weekday(), ())

    def _local(self, day: date, minute: int) -> datetime:
        if minute >= 1440:
            day, minute = day + timedelta(days=minute // 1440), minute % 1440
        naive = datetime.combine(day, time(minute // 60, minute % 60))
        # zoneinfo resolves a wall time in a spring-forward gap or autumn fold with fold=0, i.e. the
        # earlier offset; converting to UTC gives the real instant.
        return naive.replace(tzinfo=self.tz)

    def utc_intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        spans = []
        for start, end in self.intervals_on(day):
            a = self._local(day, start).astimezone(ZoneInfo("UTC"))
            b = self._local(day, end).astimezone(ZoneInfo("UTC"))
            if b > a:
                spans.append((a, b))
        return spans


def parse_hhmm(text: str) -> int:
    """'09:30' -> 570; '24:00' -> 1440."""
    hours, minutes = text.strip().split(":")
    value = int(hours) * 60 + int(minutes)
    if not 0 <= value <= 1440 or not 0 <= int(minutes) < 60:
        raise ValueError(f"Not a time of day: {text!r}")
    return value


def add_working_time(schedule: Schedule | None, start: datetime, seconds: float) -> datetime:
    """The instant after `seconds` of working time counted from `start` (aware datetime)."""
    if schedule is None:
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    day = start.astimezone(schedule.tz).date() - timedelta(days=1)  # an interval may cross midnight backwards in UTC
    for _ in range(MAX_DAYS):
        for a, b in schedule.utc_intervals_on(day):
            if b <= start:
                continue
            a = max(a, start)
            if remaining <= b - a:
                if remaining <= timedelta(0):
                    return a
                return a + remaining
            remaining -= b - a
        day += timedelta(days=1)
    raise ValueError("The business calendar has no working time in ten years.")


def working_seconds_between(schedule: Schedule | None, start: datetime, end: datetime) -> float:
    """Working seconds in [start, end); 0 when end <= start."""
    if end <= start:
        return 0.0
    if schedule is None:
        return (end - start).total_seconds()
    total = timedelta(0)
    day = start.astimezone(schedule.tz).date() - timedelta(days=1)
    last = end.astimezone(schedule.tz).date()
    while day <= last:
        for a, b in schedule.utc_intervals_on(day):
            a, b = max(a, start), min(b, end)
            if b > a:
                total += b - a
        day += timedelta(days=1)
    return total.total_seconds()


def subtract_working_time(schedule: Schedule | None, end: datetime, seconds: float) -> datetime:
    """The latest instant from which `seconds` of working time have passed by `end` (the inverse of
    add_working_time): a ticket whose clock started at or before it has waited that long."""
    if schedule is None:
        return end - timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    day = end.astimezone(schedule.tz).date() + timedelta(days=1)  # an interval may cross midnight forwards in UTC
    for _ in range(MAX_DAYS):
        for a, b in reversed(schedule.utc_intervals_on(day)):
            if a >= end:
                continue
            b = min(b, end)
            if remaining <= b - a:
                return b - remaining
            remaining -= b - a
        day -= timedelta(days=1)
    raise ValueError("The calendar has no working time within ten years.")
