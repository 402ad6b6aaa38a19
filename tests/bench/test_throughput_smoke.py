"""The throughput benchmarks (bench/transitions.py, bench/load.py, bench/memory.py) still run:
tiny numbers on the test database, no timing assertions; docs/performance.md has the real
figures. The load and memory suites start real `sopcrm` processes on the test database, so
their tests commit their data (transactional_db)."""

import pytest

from bench import load, memory, transitions
from sopcrm.core.models import Role
from sopcrm.core.users import team_create, user_create
from sopcrm.crm.records.services.deals import deal_create


def test_the_transitions_bench_moves_every_deal_along_the_path_with_its_effects(db):
    result = transitions.run(deals=4, repeat=1)
    assert result["effects"]["won"] == 3
    assert result["effects"]["lost"] == 1
    assert set(result["ms_by_transition"]) == {
        "contact",
        "confirm_requirements",
        "send_quote",
        "start_follow_up",
        "win",
        "lose",
    }
    assert result["statements_per_transition"] > result["floor_statements_per_transition"] > 0
    assert 0 < result["database_share"] < 1
    assert transitions.report(result)[0][0].startswith("full path")


@pytest.mark.slow
@pytest.mark.long
def test_the_load_bench_serves_signed_in_reps_and_managers_without_errors(transactional_db):
    team = team_create(name="Load")
    user_create(username="load_manager", password=None, role=Role.MANAGER, team=team)
    for name in ("ann", "ben"):
        rep = user_create(username=name, password=None, role=Role.REP, team=team)
        for n in range(3):
            deal_create(actor=rep, data={"title": f"Acme Valves {name} {n}"})
    result = load.run(users=[2], duration=20, threads=2)
    (level,) = result["levels"]
    assert level["total"]["requests"] > 0
    assert level["total"]["errors"] == 0
    assert set(level["pages"]) <= set(load.PAGES)
    assert {s["role"] for s in result["parameters"]["sessions"]} == {"rep", "manager"}
    assert result["server_memory_kib"]["peak"]["VmHWM"] > 0
    assert len(load.report(result)) == 1 + len(level["pages"])


@pytest.mark.slow
@pytest.mark.long
def test_the_memory_bench_waits_for_the_worker_to_fire_the_timers_and_run_the_import(
    transactional_db,
):
    result = memory.run(due=5, rows=3)
    assert result["import"] == {"status": "done", "total_rows": 3}
    worker = result["worker_memory_kib"]
    assert worker["after_work"]["VmHWM"] >= worker["idle"]["VmRSS"] > 0
    assert len(memory.report(result)) == 4
