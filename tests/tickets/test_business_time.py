"""Working-time arithmetic: what a deadline in business hours means on a real calendar."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.business_time import Schedule, add_working_time, working_seconds_between
from tickets.services.clocks import public_holiday_check

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = dict.fromkeys(range(5), ((9 * 60, 18 * 60),))
ALL_DAY = dict.fromkeys(range(7), ((0, 1440),))
HOUR = 3600


def test_24x7_is_plain_elapsed_time():
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    assert add_working_time(None, start, 2 * HOUR) == start + timedelta(hours=2)
    assert working_seconds_between(None, start, start + timedelta(minutes=90)) == 90 * 60


def test_nights_are_skipped():
    schedule = Schedule(tz=SHANGHAI, weekly=OFFICE)
    start = datetime(2026, 3, 2, 17, 0, tzinfo=SHANGHAI)  # Monday 17:00

    assert add_working_time(schedule, start, 2 * HOUR) == datetime(2026, 3, 3, 10, 0, tzinfo=SHANGHAI)


def test_a_start_outside_working_hours_counts_from_the_next_opening():
    schedule = Schedule(tz=SHANGHAI, weekly=OFFICE)
    start = datetime(2026, 3, 2, 22, 30, tzinfo=SHANGHAI)  # Monday night

    assert add_working_time(schedule, start, 30 * 60) == datetime(2026, 3, 3, 9, 30, tzinfo=SHANGHAI)


def test_weekends_are_skipped():
    schedule = Schedule(tz=SHANGHAI, weekly=OFFICE)
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=SHANGHAI)

    assert add_working_time(schedule, friday, 4 * HOUR) == datetime(2026, 3, 9, 11, 0, tzinfo=SHANGHAI)
    assert working_seconds_between(schedule, friday, datetime(2026, 3, 9, 11, 0, tzinfo=SHANGHAI)) == 4 * HOUR


def test_holidays_are_skipped_and_make_up_working_days_count():
    # China moved a working day to Sunday 2026-09-27 ahead of the National Day holidays.
    schedule = Schedule(
        tz=SHANGHAI,
        weekly=OFFICE,
        holidays=frozenset({date(2026, 9, 28)}),
        working_days=frozenset({date(2026, 9, 27)}),
    )
    friday = datetime(2026, 9, 25, 17, 0, tzinfo=SHANGHAI)

    # Fri 17-18 (1 h), Sat off, Sun make-up 9-18 (9 h), Mon holiday, Tue 9-11 (2 h).
    assert add_working_time(schedule, friday, 12 * HOUR) == datetime(2026, 9, 29, 11, 0, tzinfo=SHANGHAI)


def test_a_country_s_public_holidays_come_from_the_holidays_package():
    schedule = Schedule(tz=SHANGHAI, weekly=OFFICE, is_public_holiday=public_holiday_check("CN"))
    new_year_eve = datetime(2025, 12, 31, 17, 0, tzinfo=SHANGHAI)  # Wednesday; 1 January is a holiday

    assert add_working_time(schedule, new_year_eve, 2 * HOUR).date() != date(2026, 1, 1)
    assert add_working_time(schedule, new_year_eve, 2 * HOUR) > datetime(2026, 1, 1, 18, 0, tzinfo=SHANGHAI)


def test_office_hours_deadline_across_the_spring_daylight_saving_change_keeps_local_opening_time():
    schedule = Schedule(tz=BERLIN, weekly=OFFICE)
    # Friday 27 March 2026 17:00 CET (UTC+1); clocks go forward on Sunday 29 March.
    friday = datetime(2026, 3, 27, 16, 0, tzinfo=UTC)

    due = add_working_time(schedule, friday, 2 * HOUR)

    # Monday 10:00 CEST (UTC+2) = 08:00 UTC, not 09:00 UTC as a fixed offset would give.
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert due.astimezone(BERLIN).hour == 10


def test_around_the_clock_calendar_counts_real_hours_across_daylight_saving_changes():
    schedule = Schedule(tz=BERLIN, weekly=ALL_DAY)
    saturday_noon = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)

    due = add_working_time(schedule, saturday_noon, 24 * HOUR)

    assert due - saturday_noon == timedelta(hours=24)
    assert due.astimezone(BERLIN).hour == 13  # the local clock jumped an hour forward on the way
    autumn_sunday = datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN)
    assert working_seconds_between(schedule, autumn_sunday, datetime(2026, 10, 26, 0, 0, tzinfo=BERLIN)) == 25 * HOUR


@pytest.mark.parametrize("seconds", [0, 1, 9 * HOUR - 1, 9 * HOUR, 9 * HOUR + 1, 50 * HOUR])
def test_adding_then_measuring_gives_back_the_working_time(seconds):
    schedule = Schedule(tz=BERLIN, weekly=OFFICE)
    start = datetime(2026, 3, 26, 15, 17, tzinfo=BERLIN)

    assert working_seconds_between(schedule, start, add_working_time(schedule, start, seconds)) == seconds


def test_a_calendar_without_working_time_is_an_error_not_a_hang():
    with pytest.raises(ValueError):
        add_working_time(Schedule(tz=BERLIN, weekly={}), datetime(2026, 1, 1, tzinfo=UTC), HOUR)
