"""The worker fires each due timer exactly once: with two real `sopcrm worker` processes at
once, after one is killed in the middle of a batch, and after a time with no worker at all (the
timer fires late, and says so). Plus the `sopcrm timers` command.

The process tests need PostgreSQL: there a worker claims timers with SKIP LOCKED and can block
on another session's row lock, which is what they exercise. They see who fired what through a
trigger the test adds to its database (`firings`)."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import psycopg
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction

from sopcrm.automation.firing import timers_fire_due
from sopcrm.core.clock import now
from sopcrm.core.models import Event, EventKind, RecordType
from sopcrm.core.users import system_user
from sopcrm.crm.notifications.models import Notification
from sopcrm.crm.records.models import Activity, Deal
from sopcrm.crm.records.services.activities import activity_create
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.process.models import Timer, TimerKind, TimerStatus

from .conftest import due_tasks

SH = ZoneInfo("Asia/Shanghai")
DUE = datetime(2025, 11, 4, 10, 0, tzinfo=SH)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: on SQLite one writer holds the database, so workers cannot "
    "skip each other's rows or block on one row",
)


def timer_ids(tasks):
    return set(
        Timer.objects.filter(
            kind=TimerKind.TASK_DUE,
            record_type=RecordType.ACTIVITY,
            record_id__in=[t.pk for t in tasks],
        ).values_list("pk", flat=True)
    )


def anything_due():
    return Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=now()).exists()


def overdue_events_per_task():
    return Counter(e.data["activity"] for e in Event.objects.filter(kind=EventKind.TASK_OVERDUE))


def overdue_notifications_per_timer(user):
    """Timer id -> notifications about it (the rule's dedupe key starts with its cause,
    `timer:<id>`)."""
    keys = Notification.objects.filter(user=user, rule_key="deal_task_overdue").values_list(
        "dedupe_key", flat=True
    )
    return Counter(int(key.split(":")[1]) for key in keys)


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def assert_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"worker {self.name} exited ({self.process.returncode}):\n{self.output()}")


@pytest.fixture
def workers(tmp_path) -> Iterator[Callable[[str], WorkerProcess]]:
    """`start(name)` runs `sopcrm worker` in its own process on the test database; its
    database sessions carry `name` as application_name. Any still running at the end are
    killed."""
    started: list[WorkerProcess] = []
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = quote(db["HOST"] or "localhost", safe="")
    server = f"postgres://{user}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"

    def start(name: str) -> WorkerProcess:
        data_dir = tmp_path / name
        data_dir.mkdir()
        env = {
            **os.environ,
            "DATABASE_URL": f"{server}?application_name={name}",
            "DJANGO_SETTINGS_MODULE": "sopcrm.config.settings",
            "SOPCRM_DATA_DIR": str(data_dir),
            "SOPCRM_LOG_LEVEL": "INFO",
        }
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "sopcrm.cli.main", "worker", "--interval", "0.05"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(name, process, log)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(timeout=30)


@pytest.fixture
def firings(transactional_db) -> Iterator[Callable[[], list[tuple[int, str]]]]:
    """Every committed change of a timer from pending to fired, as (timer id, application_name
    of the session that made it): who fired what, and how many times. A firing rolled back
    (its worker killed) leaves no row."""
    table = connection.ops.quote_name(Timer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE test_timer_firing (timer_id bigint, fired_by text)")
        cursor.execute(
            "CREATE FUNCTION test_timer_firing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO test_timer_firing VALUES (NEW.id, current_setting('application_name'));"
            " RETURN NULL; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER test_timer_firing AFTER UPDATE OF status ON {table} FOR EACH ROW "
            "WHEN (OLD.status = 'pending' AND NEW.status = 'fired') "
            "EXECUTE FUNCTION test_timer_firing()"
        )

    def rows() -> list[tuple[int, str]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT timer_id, fired_by FROM test_timer_firing")
            return [(int(timer_id), fired_by) for timer_id, fired_by in cursor.fetchall()]

    try:
        yield rows
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS test_timer_firing ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS test_timer_firing()")
            cursor.execute("DROP TABLE IF EXISTS test_timer_firing")


@postgres_only
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_fire_each_of_1000_due_timers_once(people, workers, firings):
    """Two workers polling one database share 1,000 due timers: each fires once (one
    event, one notification), both take part, and both stop cleanly on SIGTERM."""
    # The automation user exists on any site that has fired a timer; two workers creating it
    # at the same moment is another matter (see the report on system_user).
    system_user()
    deals = [deal_create(actor=people.alice, data={"title": f"Order {n}"}) for n in range(10)]
    pair = [workers("sopcrm-w1"), workers("sopcrm-w2")]
    wait_for(lambda: all("started" in w.output() for w in pair), timeout=60, what="both workers")
    with transaction.atomic():  # committed at once, so both workers find them together
        tasks = due_tasks(people.alice, deals, 1000, due_at=now() - timedelta(hours=2))
    ids = timer_ids(tasks)

    def done() -> bool:
        for worker in pair:
            worker.assert_alive()
        return not anything_due()

    wait_for(done, timeout=120, what="every due timer to fire")
    for worker in pair:
        worker.process.send_signal(signal.SIGTERM)
    assert [w.process.wait(timeout=30) for w in pair] == [0, 0]

    assert Timer.objects.filter(pk__in=ids, status=TimerStatus.FIRED).count() == 1000
    mine = [(timer_id, by) for timer_id, by in firings() if timer_id in ids]
    assert Counter(timer_id for timer_id, _ in mine) == dict.fromkeys(ids, 1)
    per_worker = Counter(by for _, by in mine)
    assert set(per_worker) == {"sopcrm-w1", "sopcrm-w2"}, per_worker
    assert overdue_events_per_task() == {task.pk: 1 for task in tasks}
    assert overdue_notifications_per_timer(people.alice) == dict.fromkeys(ids, 1)
    for worker in pair:
        assert "Traceback" not in worker.output(), worker.output()


@postgres_only
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(people, workers, firings):
    """A worker blocked inside a firing transaction (another session holds the deal's row)
    and killed there: the timers it fired before stay fired, the one it was firing is rolled
    back, and the next run fires the rest, each once."""
    system_user()
    first = deal_create(actor=people.alice, data={"title": "Valves"})
    locked = deal_create(actor=people.alice, data={"title": "Pumps"})
    early = due_tasks(people.alice, [first], 150, due_at=now() - timedelta(hours=2))
    late = due_tasks(people.alice, [locked], 150, due_at=now() - timedelta(hours=1))
    early_ids, late_ids = timer_ids(early), timer_ids(late)

    db = connection.settings_dict
    holder = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    try:
        deal_table = connection.ops.quote_name(Deal._meta.db_table)
        # Left open: the worker's firing of the first `late` task waits on this row lock.
        holder.execute(f"SELECT id FROM {deal_table} WHERE id = %s FOR UPDATE", [locked.pk])
        doomed = workers("sopcrm-doomed")

        def blocked() -> bool:
            doomed.assert_alive()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = %s AND wait_event_type = 'Lock'",
                    [doomed.name],
                )
                return cursor.fetchone()[0] > 0

        wait_for(blocked, timeout=60, what="the worker to block on the deal's row lock")
        fired = set(
            Timer.objects.filter(pk__in=early_ids | late_ids, status=TimerStatus.FIRED).values_list(
                "pk", flat=True
            )
        )
        assert fired == early_ids  # mid-batch: the earlier deal done, the later one started
        doomed.process.send_signal(signal.SIGKILL)
        assert doomed.process.wait(timeout=30) == -signal.SIGKILL
    finally:
        holder.rollback()
        holder.close()

    # The killed worker's session lets go of its claim once it notices the client is gone;
    # until then SKIP LOCKED passes over that timer.
    def all_fired() -> bool:
        timers_fire_due()
        return not anything_due()

    wait_for(all_fired, timeout=60, what="the rest to fire")
    ids = early_ids | late_ids
    assert Timer.objects.filter(pk__in=ids, status=TimerStatus.FIRED).count() == 300
    mine = [(timer_id, by) for timer_id, by in firings() if timer_id in ids]
    assert Counter(timer_id for timer_id, _ in mine) == dict.fromkeys(ids, 1)
    assert {timer_id for timer_id, by in mine if by == doomed.name} == early_ids
    assert overdue_events_per_task() == {task.pk: 1 for task in early + late}
    assert overdue_notifications_per_timer(people.alice) == dict.fromkeys(ids, 1)


def task_due_at_ten(people):
    """A task on a new deal due at DUE, created two hours before."""
    with time_machine.travel(DUE - timedelta(hours=2), tick=False):
        deal = deal_create(actor=people.alice, data={"title": "Valves"})
        return activity_create(
            actor=people.alice,
            data={
                "kind": "task",
                "subject": "Send the catalogue",
                "due_at": DUE.isoformat(),
                "deal": deal.pk,
            },
        )


def task_timer(task):
    return Timer.objects.get(
        kind=TimerKind.TASK_DUE, record_type=RecordType.ACTIVITY, record_id=task.pk
    )


def overdue_event(task):
    return Event.objects.get(kind=EventKind.TASK_OVERDUE, record_id=task.deal_id)


def test_a_timer_due_while_no_worker_ran_fires_on_next_start_marked_late(people):
    """Three hours with no worker: the first run fires the task's timer, marked late, and the
    overdue event says so."""
    task = task_due_at_ten(people)
    with time_machine.travel(DUE + timedelta(hours=3), tick=False):
        timers_fire_due()
    timer = task_timer(task)
    assert (timer.status, timer.late) == (TimerStatus.FIRED, True)
    assert timer.fired_at == DUE + timedelta(hours=3)
    event = overdue_event(task)
    assert event.data["activity"] == task.pk
    assert event.data["late"] is True


def test_a_timer_fired_within_a_minute_of_its_time_is_not_late(people):
    task = task_due_at_ten(people)
    with time_machine.travel(DUE + timedelta(seconds=50), tick=False):
        timers_fire_due()
    timer = task_timer(task)
    assert (timer.status, timer.late) == (TimerStatus.FIRED, False)
    assert "late" not in overdue_event(task).data


def three_tasks(people):
    """Tasks due in three days, an hour ago and in an hour, created in that order."""
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    return [
        activity_create(
            actor=people.alice,
            data={
                "kind": "task",
                "subject": f"Task {n}",
                "due_at": (now() + due).isoformat(),
                "deal": deal.pk,
            },
        )
        for n, due in enumerate([timedelta(days=3), timedelta(hours=-1), timedelta(hours=1)])
    ]


def listed_ids(*args):
    out = StringIO()
    call_command("timers", *args, stdout=out)
    lines = out.getvalue().splitlines()[1:]  # after the header
    return [int(line.split()[0]) for line in lines], lines


def test_cli_timers_lists_pending_timers_earliest_first(people):
    with time_machine.travel(DUE, tick=False):
        later, overdue, soon = (task_timer(t).pk for t in three_tasks(people))
        ids, lines = listed_ids("--kind", "task_due")
    assert ids.index(overdue) < ids.index(soon) < ids.index(later)
    assert [line.endswith("(due)") for line in lines] == [i == overdue for i in ids]


def test_cli_timers_due_lists_only_the_due_ones(people):
    with time_machine.travel(DUE, tick=False):
        _later, overdue, _soon = (task_timer(t).pk for t in three_tasks(people))
        ids, _lines = listed_ids("--kind", "task_due", "--due")
    assert ids == [overdue]


def test_cli_timers_fire_fires_the_due_ones(people):
    with time_machine.travel(DUE, tick=False):
        later, overdue, soon = (task_timer(t) for t in three_tasks(people))
        due_now = Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=now()).count()
        out = StringIO()
        call_command("timers", "--fire", stdout=out)
    assert out.getvalue().strip() == f"fired {due_now} timer(s)"
    for timer in (later, overdue, soon):
        timer.refresh_from_db()
    assert (overdue.status, soon.status, later.status) == (
        TimerStatus.FIRED,
        TimerStatus.PENDING,
        TimerStatus.PENDING,
    )
    event = overdue_event(Activity.objects.get(pk=overdue.record_id))
    assert event.data["activity"] == overdue.record_id
