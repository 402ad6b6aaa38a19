"""Business time on the China calendar (S-17, S-24): holidays, make-up days, three clocks."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sopcrm.core.calendar import BusinessCalendar, CalendarSpec, Clock

SH = ZoneInfo("Asia/Shanghai")
DAY = timedelta(hours=24)


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def cn():
    return BusinessCalendar(CalendarSpec())


def test_make_up_sunday_2025_09_28_is_a_working_day(cn):
    assert cn.is_working_day(date(2025, 9, 28))


def test_make_up_saturday_2025_10_11_is_a_working_day(cn):
    assert cn.is_working_day(date(2025, 10, 11))


@pytest.mark.parametrize("day", range(1, 9))
def test_national_day_week_2025_is_off(cn, day):
    assert not cn.is_working_day(date(2025, 10, day))


def test_weekday_inquiry_is_due_24_hours_later(cn):
    assert cn.add(at(2025, 11, 4, 10), DAY, Clock.WORKING_DAYS) == at(2025, 11, 5, 10)


def test_saturday_inquiry_is_due_24_hours_into_the_next_working_day(cn):
    # Saturday 2025-11-08 -> the clock starts Monday 00:00 and runs 24 hours.
    assert cn.add(at(2025, 11, 8, 15), DAY, Clock.WORKING_DAYS) == at(2025, 11, 11, 0)


def test_friday_afternoon_inquiry_clock_pauses_over_the_weekend(cn):
    assert cn.add(at(2025, 11, 7, 15), DAY, Clock.WORKING_DAYS) == at(2025, 11, 10, 15)


def test_working_days_clock_skips_national_day_and_counts_make_up_saturday(cn):
    # Tuesday 2025-09-30 20:00: 4 h that day, then 1-8 Oct are off, then 9 and 10 Oct count
    # (48 h) and Saturday 11 Oct is a make-up working day.
    due = cn.add(at(2025, 9, 30, 20), timedelta(days=3), Clock.WORKING_DAYS)
    assert due == at(2025, 10, 11, 20)


def test_calendar_clock_ignores_holidays(cn):
    assert cn.add(at(2025, 10, 1, 9), DAY, Clock.CALENDAR) == at(2025, 10, 2, 9)


def test_working_hours_clock_counts_only_office_hours(cn):
    # Friday 17:00 + 2 working hours: 1 h Friday, then Monday 09:00 + 1 h.
    assert cn.add(at(2025, 11, 7, 17), timedelta(hours=2), Clock.WORKING_HOURS) == at(
        2025, 11, 10, 10
    )


def test_working_hours_clock_skips_lunch_break(cn):
    assert cn.add(at(2025, 11, 4, 11), timedelta(hours=2), Clock.WORKING_HOURS) == at(
        2025, 11, 4, 14
    )


def test_explicit_holiday_override_stops_the_clock():
    calendar = BusinessCalendar(CalendarSpec(extra_holidays=frozenset({date(2025, 11, 5)})))
    assert calendar.add(at(2025, 11, 4, 10), DAY, Clock.WORKING_DAYS) == at(2025, 11, 6, 10)


def test_explicit_working_day_override_runs_the_clock():
    calendar = BusinessCalendar(CalendarSpec(extra_working_days=frozenset({date(2025, 11, 8)})))
    # Saturday made a working day: 14 h run on Saturday, Sunday is off, 10 h on Monday.
    assert calendar.add(at(2025, 11, 8, 10), DAY, Clock.WORKING_DAYS) == at(2025, 11, 10, 10)


def test_year_without_published_make_up_days_is_flagged(cn):
    assert cn.years_without_official_data([2025, 2026, 2031]) == [2031]


def test_make_up_days_of_other_years_are_not_counted(cn):
    # The package lists make-up days of 2001 and 2005 whatever year is asked for.
    assert cn.is_working_day(date(2005, 2, 5)) is True  # a real make-up Saturday in 2005
    assert not cn.is_working_day(date(2030, 2, 2))  # a Saturday in a year without data


def test_result_keeps_the_callers_time_zone(cn):
    utc_start = at(2025, 11, 4, 10).astimezone(ZoneInfo("UTC"))
    assert cn.add(utc_start, DAY, Clock.WORKING_DAYS).tzinfo == ZoneInfo("UTC")


def test_naive_start_is_refused(cn):
    with pytest.raises(ValueError):
        cn.add(datetime(2025, 11, 4, 10), DAY, Clock.WORKING_DAYS)
