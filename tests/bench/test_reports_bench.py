"""The reports benchmark (bench/reports.py) runs, and every floor (its hand-written SQL) gives
the figures of its report: tiny numbers on the test database, so that a report or a floor whose
definition drifts from the other is caught here; docs/performance.md has the real figures."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from bench.generate import generate
from bench.reports import CASES, Period, differences, mismatches, periods, report, run
from bench.world import BusinessDays

from sopcrm.core.calendar import BusinessCalendar, CalendarSpec
from sopcrm.core.models import Event, EventKind

AT = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)  # a Wednesday, mid-morning in Shanghai


@pytest.fixture
def data(db):
    return generate(deals=300, seed=5, reps=6, teams=2, at=AT, profile="lean")


def test_every_floor_gives_its_reports_figures_for_a_manager_and_an_admin(data):
    year = Period("year", date(2025, 3, 1), date(2026, 2, 28))
    result = run(data=data, repeat=1, spans=[*periods(AT), year])
    rows = result["reports"]
    assert {(r["report"], r["persona"], r["period"]) for r in rows} == {
        (case.key, persona, period)
        for case in CASES
        for persona in ("manager", "admin")
        for period in ("month", "quarter", "year")
    }
    assert [r for r in rows if r.get("error")] == []
    assert mismatches(result) == []
    timed = [r for r in rows if not r.get("missing")]
    assert timed, "the report modules exist"
    assert all(r["equal"] and r["report_ms"] > 0 and r["floor_ms"] > 0 for r in timed)
    assert len(report(result)) == len(rows)


def test_the_year_has_figures_to_compare(data):
    """Guards the comparison above against comparing nothing with nothing."""
    year = Period("year", date(2025, 3, 1), date(2026, 2, 28))
    result = run(
        data=data, repeat=1, only=frozenset({"lost_reasons", "best_practice"}), spans=[year]
    )
    figures = {(r["report"], r["persona"]): r["figures"] for r in result["reports"]}
    if any(r.get("missing") for r in result["reports"]):
        pytest.skip("a report module is still missing")
    assert (
        figures[("lost_reasons", "admin")]["lost"]
        > figures[("lost_reasons", "manager")]["lost"]
        > 0
    )
    assert len(figures[("best_practice", "admin")]["top"]) == 3
    assert len(figures[("best_practice", "manager")]["fastest"]) == 5


def test_the_periods_are_the_last_full_month_and_three_months():
    assert [(p.key, p.start, p.end) for p in periods(AT)] == [
        ("month", date(2026, 2, 1), date(2026, 2, 28)),
        ("quarter", date(2025, 12, 1), date(2026, 2, 28)),
    ]


def test_differences_name_what_differs():
    assert differences({"a": 1, "b": [1.0, 2]}, {"a": 1, "b": [1.0, 2]}) == []
    assert differences({"a": 1, "b": (1, None)}, {"a": 2, "b": (1, 0.5), "c": 3}) == [
        "/a: report 1, floor 2",
        "/b[1]: report None, floor 0.5",
        "/c: only in the floor",
    ]


def test_stage_left_events_carry_business_days(data):
    left = Event.objects.filter(kind=EventKind.STAGE_LEFT)
    assert left.count() > 300
    for event in left[:200]:
        business, days = event.data["business_days"], event.data["days_in_stage"]
        assert isinstance(business, float) and 0 <= business <= days + 1e-4


def test_business_days_count_what_the_calendar_counts():
    """The generator's table-driven count (bench/world.py) gives what
    BusinessCalendar.working_days_between gives, to the last decimal, weekends, China's
    holidays and make-up working days included."""
    calendar = BusinessCalendar(CalendarSpec())
    counter = BusinessDays(calendar)
    rng = random.Random(3)
    start = datetime(2024, 9, 1, tzinfo=UTC)
    for _n in range(3000):
        begin = start + timedelta(seconds=rng.uniform(0, 800 * 86400))
        end = begin + timedelta(days=rng.choice([0.01, 0.4, 1, 3, 9, 40]) * rng.random())
        assert counter.between(begin, end) == calendar.working_days_between(begin, end)
    # Before the table's first day, and an empty stay.
    early = datetime(1998, 12, 30, 10, tzinfo=UTC)
    assert counter.between(early, early + timedelta(days=5)) == calendar.working_days_between(
        early, early + timedelta(days=5)
    )
    assert counter.between(early, early) == 0.0
