"""Business time: which days are working days, and deadlines measured on three clocks.

- `calendar`: plain elapsed time.
- `working_days`: runs 24 hours a day on working days and stops on non-working days. This is the
  clock of the first-response rule (S-17): an inquiry that arrives on a working day is due 24
  hours later (stretched over any non-working days in between); one that arrives on a Saturday is
  due 24 hours after the next working day begins.
- `working_hours`: runs only inside the working hours of working days.

Working days come from the weekday pattern, the country's public holidays and its make-up working
days (China moves weekends: 2025-09-28 and 2025-10-11 were working Sundays/Saturdays), and the
playbook's explicit overrides. All arithmetic happens in the team's time zone.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import holidays


class Clock(StrEnum):
    CALENDAR = "calendar"
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"


@dataclass(frozen=True)
class CalendarSpec:
    time_zone: str = "Asia/Shanghai"
    country: str | None = "CN"
    working_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    working_hours: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13), time(18)))
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)


class BusinessCalendar:
    def __init__(self, spec: CalendarSpec | None = None) -> None:
        self.spec = spec or CalendarSpec()
        self.zone = ZoneInfo(self.spec.time_zone)
        self._years: dict[int, tuple[frozenset[date], frozenset[date]]] = {}

    # -- days -------------------------------------------------------------------------------
    def _country_days(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        """(public holidays, make-up working days) of the country in `year`."""
        if year not in self._years:
            if self.spec.country:
                table = holidays.country_holidays(self.spec.country, years=year)
                days_off = frozenset(d for d in table if d.year == year)
                # The package also keeps make-up days of other years in this set (e.g. 2001 and
                # 2005 for China whatever year is asked): keep only the year asked for.
                workdays = frozenset(
                    d for d in getattr(table, "weekend_workdays", ()) if d.year == year
                )
            else:
                days_off, workdays = frozenset(), frozenset()
            self._years[year] = (days_off, workdays)
        return self._years[year]

    def is_working_day(self, day: date) -> bool:
        if day in self.spec.extra_working_days:
            return True
        if day in self.spec.extra_holidays:
            return False
        days_off, workdays = self._country_days(day.year)
        if day in workdays:
            return True
        if day in days_off:
            return False
        return day.weekday() in self.spec.working_weekdays

    def next_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the first working day after it."""
        for _ in range(366):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within a year; check the calendar")

    def years_without_official_data(self, years: Iterable[int]) -> list[int]:
        """Years for which the country publishes no make-up days yet.

        For such years the holidays package estimates holidays from the rules and adds no
        make-up working days, so deadlines around long holidays may be off by days. Countries
        that never move weekends are not flagged.
        """
        if not self.spec.country:
            return []
        probe = holidays.country_holidays(self.spec.country)
        if not hasattr(probe, "weekend_workdays"):
            return []
        return [y for y in years if not self._country_days(y)[1]]

    # -- durations --------------------------------------------------------------------------
    def working_days_between(self, start: datetime, end: datetime) -> float:
        """The time from `start` to `end` (aware datetimes) that falls on working days, in days
        with 4 decimals; 0 when `end` is not after `start`.

        A working day counts its whole 24 hours, measured on the wall clock of the calendar's
        time zone, so a working day spent entirely in a stage is exactly 1 even on a 23- or
        25-hour DST day. Non-working days (weekends, holidays) count nothing; make-up working
        days count. This is the business-days figure of a stay in a stage (S-23, S-41)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        if end <= start:
            return 0.0
        # Both ends in the zone: subtracting datetimes of one tzinfo is wall-clock arithmetic.
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        total = timedelta(0)
        day = local_start.date()
        while day <= local_end.date():
            if self.is_working_day(day):
                begin = max(local_start, self._midnight(day))
                finish = min(local_end, self._midnight(day + timedelta(days=1)))
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return round(total / timedelta(days=1), 4)

    # -- deadlines --------------------------------------------------------------------------
    def add(self, start: datetime, amount: timedelta, clock: Clock | str) -> datetime:
        """The moment `amount` of time on `clock` has run after `start` (aware datetimes)."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if amount < timedelta(0):
            raise ValueError("amount must not be negative")
        clock = Clock(clock)
        if clock == Clock.CALENDAR:
            return start + amount
        local = start.astimezone(self.zone)
        if clock == Clock.WORKING_DAYS:
            result = self._add_working_days_time(local, amount)
        else:
            result = self._add_working_hours(local, amount)
        return result.astimezone(start.tzinfo)

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone)

    def _add_working_days_time(self, local: datetime, remaining: timedelta) -> datetime:
        cursor = local
        while True:
            day = cursor.date()
            if not self.is_working_day(day):
                cursor = self._midnight(self.next_working_day(day))
                continue
            # Wall-clock midnight of the next day; fromisoformat arithmetic in the zone keeps
            # days of 23 or 25 hours (DST) right.
            day_end = self._midnight(day + timedelta(days=1))
            available = day_end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
            cursor = day_end

    def _add_working_hours(self, local: datetime, remaining: timedelta) -> datetime:
        if not self.spec.working_hours:
            raise ValueError("the calendar has no working hours")
        cursor = local
        for _ in range(3660):
            day = cursor.date()
            if self.is_working_day(day):
                for opens, closes in self.spec.working_hours:
                    window_start = datetime.combine(day, opens, tzinfo=self.zone)
                    window_end = datetime.combine(day, closes, tzinfo=self.zone)
                    begin = max(cursor, window_start)
                    if begin >= window_end:
                        continue
                    available = window_end - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
                    cursor = window_end
            cursor = self._midnight(day + timedelta(days=1))
        raise ValueError("deadline more than ten years of working hours away")
