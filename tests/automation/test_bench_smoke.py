"""The timers benchmark (bench/timers.py) still runs: tiny numbers on the test database, no
timing assertions; docs/performance.md has the real figures."""

from bench.common import Stats

from bench import timers


def test_the_timers_bench_runs_and_fires_what_it_measures(db):
    result = timers.run(pending=200, due=20, repeat=1)
    assert result["generation"]["rows"] == 200
    # No assertion on the plans: on 200 rows PostgreSQL rightly prefers a scan to the index.
    assert set(result["plans"]) == {"any_due", "claim"}
    assert result["effects"]["notifications"] == 20
    assert result["effects"]["task_overdue_events"] == 20
    assert timers.report(result)[0][0].startswith("generate 200 pending")


def test_stats_take_the_median_and_95th_percentile():
    stats = Stats.of([float(n) for n in range(1, 101)])
    assert (stats.median, round(stats.p95, 2), stats.samples) == (50.5, 95.05, 100)
    assert Stats.of([3.0]).as_dict() == {"median": 3.0, "p95": 3.0, "samples": 1}
