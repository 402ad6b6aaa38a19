"""Several real processes on one database, SQLite (one writer at a time, queued on the busy
timeout) and PostgreSQL (row locks, SKIP LOCKED): no lost update, no double effect.

What the in-process tests already show is not repeated here: tests/api/test_concurrency.py
(two transitions at once, threads), tests/intake/test_concurrency.py (round robin, threads) and
tests/automation/test_workers.py (two PostgreSQL worker processes on 1,000 timers). These run
the same races across process boundaries: two `sopcrm worker` processes on both databases,
following the emails out too; two `sopcrm serve` web processes taking inquiries and transitions
at once."""

import json
import threading
import urllib.error
import urllib.request
from collections import Counter

import pytest

from sopcrm.core.models import Event, EventKind
from sopcrm.core.tokens import token_create
from sopcrm.core.users import system_user
from sopcrm.crm.records.models import Activity, Deal, Lead
from sopcrm.crm.records.services.deals import deal_create
from tests.api.flow import CONTACT
from tests.intake.conftest import owners, pool_rule, use_assignment

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

pytestmark = [pytest.mark.slow, pytest.mark.long, pytest.mark.django_db(transaction=True)]


def test_two_worker_processes_fire_each_due_timer_and_send_each_email_once(people, sopcrm, firings):
    system_user()
    emailed_alice(people)
    deals = [deal_create(actor=people.alice, data={"title": f"Order {n}"}) for n in range(10)]
    pair = [sopcrm(f"worker-{n}", "worker", "--interval", "0.05") for n in (1, 2)]
    wait_for(lambda: all("started" in w.output() for w in pair), timeout=120, what="both workers")
    tasks, ids = due_tasks(people.alice, deals, TIMERS)

    def done() -> bool:
        for worker in pair:
            worker.assert_alive()
        return not anything_due() and outbox_settled()

    wait_for(done, timeout=300, what=lambda: f"the workers to finish ({left(firings)})")
    assert [worker.stop() for worker in pair] == [0, 0]

    assert_each_fired_once(ids, tasks, firings, people)
    assert_each_email_sent_once(*(worker.output() for worker in pair))
    for worker in pair:
        assert "Traceback" not in worker.output(), worker.output()


def start_servers(sopcrm, count, **env):
    """`count` web processes (`sopcrm serve --no-worker`) on the database; their addresses."""
    started = []
    for n in range(count):
        port = free_port()
        process = sopcrm(f"web-{n}", "serve", "--no-worker", "--port", str(port), env=env)
        started.append((process, f"http://127.0.0.1:{port}"))

    def answering() -> bool:
        for process, base in started:
            process.assert_alive()
            try:
                with urllib.request.urlopen(f"{base}/login/", timeout=2) as response:
                    if response.status != 200:
                        return False
            except OSError:
                return False
        return True

    wait_for(answering, timeout=180, what="the web processes to answer")
    return [base for _process, base in started]


def post(url, body, *, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def in_threads(count, work):
    """Run `work(index)` in `count` threads released together; their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as exc:  # reported by the caller's assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not [r for r in results if isinstance(r, Exception)], results
    return results


def test_inquiries_through_two_web_processes_at_once_take_successive_turns(people, sopcrm):
    use_assignment(people.admin, pool_rule("alice", "bob"))
    servers = start_servers(sopcrm, 2, SOPCRM_INTAKE_RATE_LIMIT="10000/60")
    threads, each = 8, 5

    def post_some(thread):
        statuses = []
        for n in range(each):
            number = thread * each + n
            status, _body = post(
                f"{servers[number % 2]}/intake/website/",
                {"name": f"Buyer {number}", "email": f"buyer{number}@shop{number}.example"},
            )
            statuses.append(status)
        return statuses

    statuses = [s for batch in in_threads(threads, post_some) for s in batch]
    total = threads * each
    assert statuses == [200] * total
    assert Lead.objects.count() == total
    assert Counter(owners()) == {"alice": total // 2, "bob": total // 2}
    tasks = Activity.objects.filter(template_key="first_contact").select_related("lead")
    assert tasks.count() == total
    assert all(task.owner_id == task.lead.owner_id for task in tasks)


def test_one_transition_through_two_web_processes_at_once_wins_once(people, sopcrm):
    """Alice and her manager move one deal at the same moment through different web
    processes: one succeeds, the other is told the stage moved (409), and the deal holds the
    winner's values only; three rounds."""
    servers = start_servers(sopcrm, 2)
    tokens = [
        token_create(user=user, name="race").secret for user in (people.alice, people.east_manager)
    ]
    bodies = [
        {"transition": "contact", "data": {**CONTACT, "first_contact_channel": channel}}
        for channel in ("email", "phone")
    ]
    for round_ in range(3):
        deal = deal_create(actor=people.alice, data={"title": f"Race {round_}"})
        results = in_threads(
            2,
            lambda i, deal=deal: post(
                f"{servers[i]}/api/deals/{deal.pk}/transitions", bodies[i], token=tokens[i]
            ),
        )
        outcomes = sorted(
            (status, body["error"]["code"] if status >= 400 else None) for status, body in results
        )
        assert outcomes == [(200, None), (409, "stale_stage")], results
        winner = bodies[0 if results[0][0] == 200 else 1]["data"]
        stored = Deal.objects.get(pk=deal.pk)
        assert (stored.stage, stored.custom) == ("contacted", winner)
        assert (
            Event.objects.filter(
                record_type="deal", record_id=deal.pk, kind=EventKind.STAGE_LEFT
            ).count()
            == 1
        )
        assert (
            Activity.objects.filter(
                deal_id=deal.pk, template_key="first_contact", status="done"
            ).count()
            == 1
        )
