"""Scale-out: two `sopcrm serve --no-worker` web processes and two `sopcrm worker` processes on
one PostgreSQL database end a workload in the same state as one web process and one worker.

The workload (workload.py) goes through the web processes in turn: inquiries through the API,
transitions, a task completed, an import through the pages (a queued task). Every process runs
on a clock stopped at Wednesday 10:00 (site.py says how); then the workers are restarted at
Thursday noon, when the first-response clocks have run out and the first-contact tasks are
overdue, and fire those timers. The state compared (site_state.snapshot) is each record with its
stage and owner, each task, and the counts of events, notifications and timers: a timer fired
twice, a task run twice or an update lost would show as a difference.

Also with the task queue in Redis (SOPCRM_TASKS_BACKEND=rq): the same end state."""

import json
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from .site import Site, database_drop, database_recreate
from .workload import Client, run_workload

SH = ZoneInfo("Asia/Shanghai")
WEDNESDAY = datetime(2025, 11, 5, 10, 0, tzinfo=SH)
THURSDAY_NOON = datetime(2025, 11, 6, 12, 0, tzinfo=SH)
# The Redis database the rq runs use (and empty first): none of the product's defaults.
REDIS_URL = "redis://127.0.0.1:6379/9"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.long,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: a site of several web processes and workers runs on "
        "PostgreSQL (docs/deploy.md); on SQLite they would take turns to write",
    ),
]


def _database(suffix: str) -> str:
    """h8_<...>: the test database's name (from DATABASE_URL) plus the xdist worker and a
    suffix, so parallel runs never share one."""
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[1].split("?")[0]
    return f"{base}_{os.environ.get('PYTEST_XDIST_WORKER', 'gw')}_{suffix}"


def _quiet(site: Site, moment: datetime) -> bool:
    """Nothing left for a worker at `moment`: no due timer pending, no import queued or
    running, no task waiting in the database queue."""
    return not (
        site.sql(
            "SELECT count(*) FROM process_timer WHERE status = 'pending' AND due_at <= %s",
            (moment,),
        )
        or site.sql("SELECT count(*) FROM imports_importjob WHERE status IN ('queued', 'running')")
        or site.sql(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE status IN ('READY', 'RUNNING')"
        )
    )


def run_site(tmp: Path, name: str, *, webs: int, workers: int, **env: str) -> dict:
    """The end state of the workload on a fresh site of `webs` web processes and `workers`
    workers, plus (apart: it differs by design) how many tasks went through the database queue."""
    database = _database(name)
    database_recreate(database)
    site = Site(database, tmp / name, **env)
    try:
        # The web processes start together: each prepares the (empty) database as it starts.
        urls = site.start_webs(webs, WEDNESDAY)
        token = site.run(WEDNESDAY, "setup")
        site.start_workers(workers, WEDNESDAY)
        run_workload(Client(urls, token))
        site.wait_until(lambda: _quiet(site, WEDNESDAY), "the import and Wednesday's timers")
        site.stop_workers()
        site.start_workers(workers, THURSDAY_NOON)
        site.wait_until(lambda: _quiet(site, THURSDAY_NOON), "Thursday's timers")
        site.stop()
        state = json.loads(site.run(THURSDAY_NOON, "snapshot"))
        tasks = site.sql("SELECT count(*) FROM django_tasks_database_dbtaskresult")
        return {"state": state, "tasks_in_database": tasks}
    finally:
        site.stop()
        database_drop(database)


@pytest.fixture(scope="module")
def one_of_each(tmp_path_factory):
    """The end state with one web process and one worker on the database queue."""
    return run_site(tmp_path_factory.mktemp("one"), "one", webs=1, workers=1)


def test_the_workload_does_what_it_says(one_of_each):
    """The reference run itself: the records moved, the import ran (from the database queue),
    the timers fired."""
    assert one_of_each["tasks_in_database"] == 1
    one_of_each = one_of_each["state"]
    stages = sorted(lead[2] for lead in one_of_each["leads"])
    assert stages.count("converted") == 2 and stages.count("disqualified") == 1
    assert [deal[1] for deal in one_of_each["deals"]] == ["quoted", "contacted"]
    assert one_of_each["imports"] == [["done", 4, 3, 1]]
    assert {owner for *_, owner, _source in one_of_each["leads"]} == {"alice", "bob", "carol"}
    fired = {(kind, status) for kind, _key, status, _count in one_of_each["timers"]}
    assert ("sla", "fired") in fired and ("task_due", "fired") in fired


def test_two_web_processes_and_two_workers_end_as_one_of_each(tmp_path, one_of_each):
    assert run_site(tmp_path, "two", webs=2, workers=2)["state"] == one_of_each["state"]


def test_with_the_task_queue_in_redis_two_of_each_end_as_one_of_each(tmp_path, one_of_each):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    run = run_site(
        tmp_path, "rq", webs=2, workers=2, SOPCRM_TASKS_BACKEND="rq", SOPCRM_REDIS_URL=REDIS_URL
    )
    assert (run["tasks_in_database"], run["state"]) == (0, one_of_each["state"])
