"""Business days between two moments (S-23, S-41): the time a stay spent on working days of the
calendar, each working day counting its whole 24 hours, weekends and holidays nothing, China's
make-up working days counting."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from sopcrm.core.calendar import BusinessCalendar, CalendarSpec

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def cn():
    return BusinessCalendar(CalendarSpec())


def test_hours_within_one_working_day_are_a_fraction_of_a_day(cn):
    assert cn.working_days_between(at(2025, 11, 4, 10), at(2025, 11, 4, 16)) == 0.25


def test_a_weekend_in_between_counts_nothing(cn):
    # Friday noon to Monday noon: half of Friday and half of Monday.
    assert cn.working_days_between(at(2025, 11, 7, 12), at(2025, 11, 10, 12)) == 1.0


def test_the_national_day_holidays_count_nothing(cn):
    # Tuesday 30 September noon to Thursday 9 October noon; 1-8 October are off.
    assert cn.working_days_between(at(2025, 9, 30, 12), at(2025, 10, 9, 12)) == 1.0


def test_a_make_up_working_sunday_counts_whole(cn):
    # Saturday 27 September 2025 is off, Sunday the 28th a make-up working day.
    assert cn.working_days_between(at(2025, 9, 27), at(2025, 9, 29)) == 1.0


def test_a_stay_within_a_weekend_is_zero(cn):
    assert cn.working_days_between(at(2025, 11, 8, 9), at(2025, 11, 9, 18)) == 0.0


def test_an_end_not_after_the_start_is_zero(cn):
    assert cn.working_days_between(at(2025, 11, 4, 10), at(2025, 11, 4, 10)) == 0.0
    assert cn.working_days_between(at(2025, 11, 4, 10), at(2025, 11, 3, 10)) == 0.0


def test_the_result_has_four_decimals(cn):
    # Ten minutes: 10 / 1440 = 0.006944...
    assert cn.working_days_between(at(2025, 11, 4, 9), at(2025, 11, 4, 9, 10)) == 0.0069


def test_moments_in_another_time_zone_are_counted_on_the_calendars_days(cn):
    # 04:00 UTC on Friday is noon in Shanghai; 16:00 UTC on Friday is Saturday 00:00 there.
    start = datetime(2025, 11, 7, 4, tzinfo=UTC)
    assert cn.working_days_between(start, datetime(2025, 11, 7, 16, tzinfo=UTC)) == 0.5
    assert cn.working_days_between(start, datetime(2025, 11, 8, 4, tzinfo=UTC)) == 0.5


def test_a_working_day_with_a_dst_change_counts_as_one_day():
    # 30 March 2025 in Berlin has 23 hours; with Sunday a working day it still counts 1.
    berlin = BusinessCalendar(
        CalendarSpec(time_zone="Europe/Berlin", country=None, working_weekdays=tuple(range(7)))
    )
    zone = ZoneInfo("Europe/Berlin")
    start, end = datetime(2025, 3, 30, tzinfo=zone), datetime(2025, 3, 31, tzinfo=zone)
    assert berlin.working_days_between(start, end) == 1.0


def test_an_extra_holiday_of_the_playbook_counts_nothing():
    calendar = BusinessCalendar(CalendarSpec(extra_holidays=frozenset({date(2025, 11, 5)})))
    assert calendar.working_days_between(at(2025, 11, 4), at(2025, 11, 6)) == 1.0


def test_naive_moments_are_refused(cn):
    with pytest.raises(ValueError):
        cn.working_days_between(datetime(2025, 11, 4, 10), at(2025, 11, 4, 16))
