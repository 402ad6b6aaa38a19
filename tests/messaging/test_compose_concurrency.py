"""A retried send arriving while the first is still running queues one message: real threads and
real transactions on both databases (the outbox's unique idempotency key decides the race)."""

import threading

import pytest
from django.db import connection

from sopcrm.crm.mail.models import OutboundEmail
from sopcrm.crm.messaging.services.compose import email_compose
from sopcrm.crm.records.models import Activity

from .conftest import FREE

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(*calls):
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


@pytest.mark.parametrize("round_", range(3))
def test_same_key_at_once_queues_one_message(people, library, signature, deal, round_):
    def send():
        return email_compose(
            deal,
            template=library["quote_cover"],
            free_sections=FREE,
            actor=people.alice,
            idempotency_key=f"same-{round_}",
        ).pk

    first, second = _at_once(send, send)
    assert first == second
    assert OutboundEmail.objects.count() == 1
    assert Activity.objects.filter(kind="email").count() == 1
