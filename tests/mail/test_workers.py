"""Several workers at once: real threads, real transactions and a real SMTP server, on both
databases. Each outbox message reaches the server exactly once; a message received by two paths
at the same moment is stored and logged once."""

import email
import email.policy
import threading
import time

import pytest
from django.db import connection

from sopcrm.crm.mail.models import InboundEmail, OutboundEmail, OutboundStatus
from sopcrm.crm.mail.services.delivery import outbox_deliver_due
from sopcrm.crm.mail.services.inbound import inbound_receive_or_get
from sopcrm.crm.mail.services.outbox import email_queue
from sopcrm.crm.records.models import Activity, ActivityKind
from sopcrm.crm.records.services.deals import deal_create
from sopcrm.worker.runner import start_worker_thread

from .conftest import REPLY_ADDRESS, mime, reply_to_address

pytestmark = pytest.mark.django_db(transaction=True)


def queue_many(people, count):
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    return [
        email_queue(
            to=[f"buyer{n}@example.com"],
            subject=f"Quote {n}",
            text="Our quote.",
            html="<p>Our quote.</p>",
            sender=people.alice,
            idempotency_key=f"quote-{n}",
            deal=deal,
        )
        for n in range(count)
    ]


def in_threads(*calls):
    """Run the calls in threads released together; their results, in the order given."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # reported by the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_workers_deliver_each_of_50_messages_exactly_once(smtp, people):
    rows = queue_many(people, 50)
    sent = in_threads(lambda: outbox_deliver_due(limit=50), lambda: outbox_deliver_due(limit=50))
    assert all(isinstance(n, int) for n in sent), sent
    assert sum(sent) == 50
    ids = [
        email.message_from_bytes(e.content, policy=email.policy.default)["Message-ID"].strip()
        for e in smtp.received
    ]
    assert sorted(ids) == sorted(r.message_id for r in rows)
    assert set(OutboundEmail.objects.values_list("status", "attempts")) == {
        (OutboundStatus.SENT, 1)
    }


def test_the_worker_loop_delivers_the_outbox(smtp, people):
    queue_many(people, 2)
    thread, stop = start_worker_thread(interval=0.05)
    try:
        deadline = time.monotonic() + 20
        while len(smtp.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=20)
    assert len(smtp.received) == 2
    assert not OutboundEmail.objects.exclude(status=OutboundStatus.SENT).exists()


def test_one_message_received_by_two_paths_at_once_is_stored_and_logged_once(people, settings):
    settings.SOPCRM_REPLY_ADDRESS = REPLY_ADDRESS
    deal = deal_create(actor=people.alice, data={"title": "Valves"})
    raw = mime(to=reply_to_address(deal), message_id="<race@customer.example>")
    results = in_threads(
        lambda: inbound_receive_or_get(raw, source="webhook"),
        lambda: inbound_receive_or_get(raw, source="imap"),
    )
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(created for _inbound, created in results) == [False, True]
    assert len({inbound.pk for inbound, _created in results}) == 1
    assert InboundEmail.objects.count() == 1
    assert Activity.objects.filter(deal=deal, kind=ActivityKind.EMAIL).count() == 1
