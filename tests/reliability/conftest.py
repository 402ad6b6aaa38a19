"""Real `sopcrm` processes (worker, server) on the test database, for the crash and concurrency
tests, on SQLite (the test database is a file: tests/settings.py) and on PostgreSQL.

Who fired what is seen through a trigger the test adds to its database (`firings`): one row per
committed change of a timer from pending to fired; a firing rolled back (its worker killed
mid-transaction) leaves none."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from sopcrm.core.clock import now
from sopcrm.core.models import Event, EventKind, RecordType
from sopcrm.crm.mail.models import OutboundEmail, OutboundStatus
from sopcrm.crm.notifications.models import Notification
from sopcrm.crm.notifications.services import notification_preferences_set
from sopcrm.process.models import Timer, TimerKind, TimerStatus
from tests.automation.conftest import due_tasks as bulk_due_tasks


def database_url(application_name: str) -> str:
    """The test database as a DATABASE_URL for a child process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = quote(db["HOST"] or "localhost", safe="")
    return (
        f"postgres://{user}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
        f"?application_name={application_name}"
    )


def wait_for(
    condition: Callable[[], bool], *, timeout: float, what: str | Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {said}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def assert_alive(self) -> None:
        if self.popen.poll() is not None:
            pytest.fail(f"{self.name} exited ({self.popen.returncode}):\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: no handler runs, no transaction commits, nothing is flushed."""
        self.popen.send_signal(signal.SIGKILL)
        assert self.popen.wait(timeout=30) == -signal.SIGKILL

    def stop(self, how: signal.Signals = signal.SIGTERM) -> int:
        self.popen.send_signal(how)
        return self.popen.wait(timeout=60)


@pytest.fixture
def sopcrm(tmp_path) -> Iterator[Callable[..., Process]]:
    """`sopcrm(name, *args)` runs `sopcrm <args>` in its own process on the test database (its
    PostgreSQL sessions carry `name` as application_name), output to a log file. Any still
    running at the end are killed."""
    started: list[Process] = []

    def start(name: str, *args: str, env: dict[str, str] | None = None) -> Process:
        data_dir = tmp_path / f"data-{name}"
        data_dir.mkdir(exist_ok=True)
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(name),
            "DJANGO_SETTINGS_MODULE": "sopcrm.config.settings",
            "SOPCRM_DATA_DIR": str(data_dir),
            "SOPCRM_LOG_LEVEL": "INFO",
            "SOPCRM_LANGUAGE": "en",
            "PYTHONUNBUFFERED": "1",  # what a killed process printed is in its log
            **(env or {}),
        }
        log = tmp_path / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "sopcrm.cli.main", *args],
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        process = Process(name, popen, log)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.popen.poll() is None:
            process.popen.kill()
            process.popen.wait(timeout=30)


@pytest.fixture
def firings(transactional_db) -> Iterator[Callable[[], Counter[int]]]:
    """Timer id -> how many committed firings it had."""
    table = connection.ops.quote_name(Timer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE test_timer_firing (timer_id bigint)")
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_timer_firing() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN INSERT INTO test_timer_firing VALUES (NEW.id); RETURN NULL; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER test_timer_firing AFTER UPDATE OF status ON {table} "
                "FOR EACH ROW WHEN (OLD.status = 'pending' AND NEW.status = 'fired') "
                "EXECUTE FUNCTION test_timer_firing()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER test_timer_firing AFTER UPDATE OF status ON {table} "
                "FOR EACH ROW WHEN OLD.status = 'pending' AND NEW.status = 'fired' "
                "BEGIN INSERT INTO test_timer_firing VALUES (NEW.id); END"
            )

    def counts() -> Counter[int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT timer_id FROM test_timer_firing")
            return Counter(int(row[0]) for row in cursor.fetchall())

    try:
        yield counts
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS test_timer_firing ON {table}")
                cursor.execute("DROP FUNCTION IF EXISTS test_timer_firing()")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS test_timer_firing")
            cursor.execute("DROP TABLE IF EXISTS test_timer_firing")


def due_tasks(owner, deals, count, *, hours_ago=2):
    """`count` open tasks, overdue by about `hours_ago` hours, spread over `deals`, each with
    its pending task_due timer (written in bulk, as a data generator would); the tasks and the
    timers' ids."""
    tasks = bulk_due_tasks(owner, deals, count, due_at=now() - timedelta(hours=hours_ago))
    ids = Timer.objects.filter(
        kind=TimerKind.TASK_DUE,
        record_type=RecordType.ACTIVITY,
        record_id__in=[t.pk for t in tasks],
    ).values_list("pk", flat=True)
    return tasks, set(ids)


def anything_due() -> bool:
    return Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=now()).exists()


def overdue_events_per_task() -> Counter[int]:
    return Counter(e.data["activity"] for e in Event.objects.filter(kind=EventKind.TASK_OVERDUE))


def overdue_notifications_per_timer(user) -> Counter[int]:
    """Timer id -> notifications about it (the rule's dedupe key starts with its cause,
    `timer:<id>`)."""
    keys = Notification.objects.filter(user=user, rule_key="deal_task_overdue").values_list(
        "dedupe_key", flat=True
    )
    return Counter(int(key.split(":")[1]) for key in keys)


TIMERS = 300


def emailed_alice(people):
    """Alice gets an email for each notification at once: every fired timer then also sends
    one email through the outbox, which the worker prints (console mail backend)."""
    people.alice.email = "alice@example.com"
    people.alice.save(update_fields=["email"])
    notification_preferences_set(people.alice, {"email": "immediate"})


def sent_message_ids(*logs: str) -> Counter[str]:
    """Message-ID -> how many times a process printed (sent) it."""
    return Counter(
        found for log in logs for found in re.findall(r"^Message-ID:\s*(<[^>]+>)", log, re.M)
    )


def outbox_settled() -> bool:
    return not OutboundEmail.objects.filter(status=OutboundStatus.QUEUED).exists()


def left(firings) -> str:
    """What is still to do, for a timeout's message."""
    due = Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=now()).count()
    queued = OutboundEmail.objects.filter(status=OutboundStatus.QUEUED).count()
    return f"{due} due timers, {queued} queued emails, {sum(firings().values())} firings"


def assert_each_fired_once(ids, tasks, firings, people):
    assert Timer.objects.filter(pk__in=ids, status=TimerStatus.FIRED).count() == len(ids)
    assert {i: n for i, n in firings().items() if i in ids} == dict.fromkeys(ids, 1)
    assert overdue_events_per_task() == {task.pk: 1 for task in tasks}
    assert overdue_notifications_per_timer(people.alice) == dict.fromkeys(ids, 1)


def assert_each_email_sent_once(*logs):
    emails = OutboundEmail.objects.filter(to=["alice@example.com"])
    assert emails.count() >= TIMERS  # one per overdue notification (and any others)
    assert set(emails.values_list("status", flat=True)) == {OutboundStatus.SENT}
    expected = set(emails.values_list("message_id", flat=True))
    printed = sent_message_ids(*logs)
    assert {m: n for m, n in printed.items() if m in expected} == dict.fromkeys(expected, 1)
