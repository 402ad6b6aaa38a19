"""Two clients acting on one record at the same moment: exactly one wins, the other is told what
happened (409) and changes nothing. Real threads and real transactions, on both databases:
PostgreSQL serialises the writers with row locks (select_for_update), SQLite with IMMEDIATE
transactions that queue on the busy timeout."""

import sqlite3
import threading

import pytest
from django.db import connection, connections

from sopcrm.core.models import Event, EventKind
from sopcrm.crm.records.models import Activity, ActivityStatus, ApprovalRequest, Deal

from .flow import ALL_CLEAR, CONTACT, LOSE, OUTCOME, QUOTE, deal_at, new_deal, take

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared_db(transactional_db, tmp_path):
    """On SQLite, run the test on a file copy of the test database.

    Django's SQLite test database lives in memory with a shared cache, where a second writer
    fails at once with "database table is locked" instead of waiting for the first to commit as
    it does on the product's file database (busy_timeout). A file copy behaves like production.
    Ask for this fixture before `people` and `clients`, so that they are created in the copy."""
    memory = connections["default"]
    if connection.vendor != "sqlite" or not memory.is_in_memory_db():
        yield
        return
    memory.ensure_connection()
    path = tmp_path / "shared.sqlite3"
    copy = sqlite3.connect(path)
    memory.connection.backup(copy)
    copy.close()
    settings = connections.settings["default"]  # the dict every connection of the alias reads
    name = settings["NAME"]
    settings["NAME"] = str(path)
    on_file = connections.create_connection("default")
    connections["default"] = on_file
    try:
        yield
    finally:
        on_file.close()
        settings["NAME"] = name
        connections["default"] = memory


def at_once(*calls):
    """Run the calls in threads released together; their results, in the order given."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # reported by the assertion below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert not [r for r in results if isinstance(r, Exception)], results
    return results


def outcome(response):
    body = response.json()
    return response.status_code, body["error"]["code"] if response.status_code >= 400 else None


def post(client, path, body):
    return lambda: client.post(path, body)


@pytest.mark.parametrize("round_", range(3))
def test_the_same_transition_twice_at_once_one_wins_one_is_stale(
    shared_db, people, clients, round_
):
    deal = new_deal(clients.alice)
    path = f"/deals/{deal['id']}/transitions"
    alices = {**CONTACT, "first_contact_channel": "email"}
    managers = {**CONTACT, "first_contact_channel": "phone"}
    first, second = at_once(
        post(clients.alice, path, {"transition": "contact", "data": alices}),
        post(clients.east_manager, path, {"transition": "contact", "data": managers}),
    )
    assert sorted([outcome(first), outcome(second)]) == [(200, None), (409, "stale_stage")]
    winner = alices if first.status_code == 200 else managers
    stored = Deal.objects.get(pk=deal["id"])
    assert (stored.stage, stored.custom) == ("contacted", winner)
    # One move only: the stage left once, one task completed.
    assert Event.objects.filter(record_id=deal["id"], kind=EventKind.STAGE_LEFT).count() == 1
    done = Activity.objects.filter(
        deal_id=deal["id"], template_key="first_contact", status=ActivityStatus.DONE
    )
    assert done.count() == 1


def test_win_and_lose_at_once_one_closes_the_deal_the_other_is_stale(shared_db, people, clients):
    deal = deal_at(clients.alice, "quoted", custom={"checklist": ALL_CLEAR})
    path = f"/deals/{deal['id']}/transitions"
    won, lost = at_once(
        post(clients.alice, path, {"transition": "win", "data": {"amount": "9000"}}),
        post(clients.east_manager, path, {"transition": "lose", "data": LOSE}),
    )
    assert sorted([outcome(won), outcome(lost)]) == [(200, None), (409, "stale_stage")]
    stored = Deal.objects.get(pk=deal["id"])
    assert stored.stage == ("won" if won.status_code == 200 else "lost")
    assert ("lost_reasons" in stored.custom) == (lost.status_code == 200)
    assert (
        Event.objects.filter(
            record_id=deal["id"], kind=EventKind.STAGE_ENTERED, data__stage__in=["won", "lost"]
        ).count()
        == 1
    )


def test_two_approvals_of_one_request_at_once_run_the_transition_once(shared_db, people, clients):
    deal = deal_at(clients.alice, "requirements_confirmed")
    clients.alice.patch(f"/deals/{deal['id']}", {"custom": {"discount_percent": 30}})
    held = take(clients.alice, "deal", deal["id"], "send_quote", QUOTE, expect=202)
    path = f"/approvals/{held['id']}/decide"
    first, second = at_once(
        post(clients.east_manager, path, {"approve": True, "comment": "ok"}),
        post(clients.admin, path, {"approve": False, "comment": "no"}),
    )
    assert sorted([outcome(first), outcome(second)]) == [(200, None), (409, "decided")]
    stored = Deal.objects.get(pk=deal["id"])
    request = ApprovalRequest.objects.get(pk=held["id"])
    if first.status_code == 200:
        assert (request.status, stored.stage) == ("approved", "quoted")
        assert Activity.objects.filter(deal=stored, template_key="chase_1").count() == 1
    else:
        assert (request.status, stored.stage) == ("rejected", "requirements_confirmed")


def test_completing_one_task_twice_at_once_completes_it_once(shared_db, people, clients):
    deal = deal_at(clients.alice, "quoted")
    chase = Activity.objects.get(deal_id=deal["id"], template_key="chase_1")
    path = f"/activities/{chase.pk}/complete"
    first, second = at_once(
        post(clients.alice, path, OUTCOME), post(clients.east_manager, path, OUTCOME)
    )
    assert sorted([outcome(first), outcome(second)]) == [(200, None), (409, "not_open")]
    assert Activity.objects.filter(deal_id=deal["id"], template_key="chase_2").count() == 1
    assert Deal.objects.get(pk=deal["id"]).substate == "pending_2nd"
