"""SIGKILL the worker, and the server, in the middle of their work; after a restart nothing is
lost and nothing is doubled. Real `sopcrm worker` / `sopcrm serve` processes on the test
database, SQLite (a file, WAL) and PostgreSQL alike.

Why it holds (automation/firing.py): each timer fires in one transaction that claims it, marks
it fired and writes every effect (event, notification, queued email with an idempotency key),
so a kill rolls back the timer in hand entirely and the restarted worker fires it; a web request
is one transaction too, so a killed one leaves nothing half-written.

tests/automation/test_workers.py already kills a PostgreSQL worker blocked on a row lock; these
kill it at whatever point it has reached, on both databases, and follow the emails out."""

import json
import signal
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta

import pytest

from sopcrm.core.models import Event, EventKind, RecordType
from sopcrm.core.tokens import token_create
from sopcrm.core.users import system_user
from sopcrm.crm.imports.models import ImportJob, ImportStatus
from sopcrm.crm.imports.running import LEASE
from sopcrm.crm.imports.services import import_start, import_upload
from sopcrm.crm.records.models import Deal, Lead
from sopcrm.crm.records.services.deals import deal_create

from .conftest import (
    TIMERS,
    anything_due,
    assert_each_email_sent_once,
    assert_each_fired_once,
    due_tasks,
    emailed_alice,
    free_port,
    left,
    outbox_settled,
    wait_for,
)

SECOND = timedelta(seconds=1)

pytestmark = [pytest.mark.slow, pytest.mark.long, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_mid_work_and_restarted_fires_each_timer_and_sends_each_email_once(
    people, sopcrm, firings
):
    system_user()
    emailed_alice(people)
    deals = [deal_create(actor=people.alice, data={"title": f"Order {n}"}) for n in range(10)]
    tasks, ids = due_tasks(people.alice, deals, TIMERS)

    doomed = sopcrm("doomed", "worker", "--interval", "0.05")

    def some_fired() -> bool:
        doomed.assert_alive()
        return sum(firings().values()) >= 30

    wait_for(some_fired, timeout=120, what="the worker to fire some timers")
    doomed.kill()
    fired_at_kill = sum(n for i, n in firings().items() if i in ids)
    assert 30 <= fired_at_kill < TIMERS  # killed in the middle of the work

    survivor = sopcrm("survivor", "worker", "--interval", "0.05")

    def done() -> bool:
        survivor.assert_alive()
        return not anything_due() and outbox_settled()

    wait_for(done, timeout=300, what=lambda: f"the restarted worker to finish ({left(firings)})")
    assert survivor.stop() == 0

    assert_each_fired_once(ids, tasks, firings, people)
    assert_each_email_sent_once(doomed.output(), survivor.output())
    assert "Traceback" not in survivor.output(), survivor.output()


def start_server(sopcrm, name):
    port = free_port()
    server = sopcrm(name, "serve", "--port", str(port), "--threads", "8")
    base = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        server.assert_alive()
        try:
            with urllib.request.urlopen(f"{base}/login/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    wait_for(answering, timeout=180, what=f"{name} to answer")
    return server, base


def create_deal(base, secret, title):
    request = urllib.request.Request(
        f"{base}/api/deals",
        data=json.dumps({"title": title}).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None  # the server died with the request in flight


def test_a_server_killed_with_requests_in_flight_loses_and_doubles_nothing(people, sopcrm, firings):
    """`sopcrm serve` (web and worker in one process) killed while clients create deals and its
    worker fires timers: each deal the server confirmed is there, whole (with its `created`
    event); a request cut off left its deal whole or not at all; after the restart every due
    timer fired once."""
    system_user()
    emailed_alice(people)
    deals = [deal_create(actor=people.alice, data={"title": f"Order {n}"}) for n in range(10)]
    tasks, ids = due_tasks(people.alice, deals, TIMERS)
    secret = token_create(user=people.bob, name="crash test").secret

    server, base = start_server(sopcrm, "server-doomed")
    outcomes: dict[str, int | None] = {}
    stop = threading.Event()

    def client(number: int) -> None:
        n = 0
        while not stop.is_set():
            title = f"Crash {number}-{n}"
            outcomes[title] = create_deal(base, secret, title)
            n += 1

    clients = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    for thread in clients:
        thread.start()
    try:

        def busy() -> bool:
            server.assert_alive()
            return (
                sum(1 for s in list(outcomes.values()) if s == 201) >= 20
                and sum(firings().values()) >= 30
            )

        wait_for(busy, timeout=180, what="deals created and timers fired")
        server.kill()
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=60)
    confirmed = {title for title, status in outcomes.items() if status == 201}
    assert set(outcomes.values()) <= {201, None}, Counter(outcomes.values())
    assert sum(n for i, n in firings().items() if i in ids) < TIMERS  # killed mid-work

    restarted, _base = start_server(sopcrm, "server-restarted")

    def done() -> bool:
        restarted.assert_alive()
        return not anything_due() and outbox_settled()

    wait_for(done, timeout=300, what=lambda: f"the restarted server to finish ({left(firings)})")
    restarted.stop(signal.SIGINT)  # `sopcrm serve` stops on Ctrl-C

    stored = Counter(
        Deal.objects.filter(title__startswith="Crash ").values_list("title", flat=True)
    )
    assert set(stored.values()) == {1}  # none twice
    assert confirmed <= set(stored)  # none the server confirmed is lost
    assert set(stored) <= set(outcomes)
    created = Counter(
        Event.objects.filter(
            kind=EventKind.CREATED,
            record_type=RecordType.DEAL,
            record_id__in=Deal.objects.filter(title__startswith="Crash ").values("pk"),
        ).values_list("record_id", flat=True)
    )
    assert len(created) == len(stored) and set(created.values()) == {1}  # each one whole
    assert_each_fired_once(ids, tasks, firings, people)
    assert_each_email_sent_once(server.output(), restarted.output())


def test_a_worker_killed_mid_import_and_restarted_finishes_the_import(people, sopcrm, settings):
    """A queued task (a lead import run by django-tasks-db) cut off by SIGKILL is finished by the
    restarted worker, each row imported once (re-running rows already imported adds nothing)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # the product's
    rows = 5000
    text = "Name,Email\n" + "".join(f"Buyer {n},buyer{n}@shop{n}.example\n" for n in range(rows))
    job = import_upload(actor=people.east_manager, file_bytes=text.encode(), file_name="leads.csv")
    import_start(job, actor=people.east_manager)
    doomed = sopcrm("import-doomed", "worker", "--interval", "0.05")

    def importing() -> bool:
        doomed.assert_alive()
        job.refresh_from_db()
        return job.status == ImportStatus.RUNNING

    wait_for(importing, timeout=180, what="the import to start")
    time.sleep(1)  # a few rows in
    doomed.kill()
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING and job.processed_rows < rows
    # As if the lease ran out (a real worker waits running.LEASE before taking the job over).
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=job.heartbeat_at - LEASE - SECOND)

    survivor = sopcrm("import-survivor", "worker", "--interval", "0.05")

    def finished() -> bool:
        survivor.assert_alive()
        job.refresh_from_db()
        return job.status == ImportStatus.DONE

    wait_for(
        finished,
        timeout=300,  # the other 5,000 rows: over 60 s on PostgreSQL on a busy machine
        what=lambda: f"the import to finish ({job.status}, {job.processed_rows}/{rows} rows)",
    )
    assert Lead.objects.count() == rows
