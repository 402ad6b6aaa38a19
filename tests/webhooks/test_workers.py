"""Two workers at once: real threads, real transactions and a real HTTP receiver, on both
databases. Each delivery reaches the receiver exactly once."""

import threading
from collections import Counter

import pytest
from django.db import connection

from sopcrm.crm.webhooks.models import DeliveryStatus, WebhookDelivery
from sopcrm.crm.webhooks.services import webhook_create, webhook_queue, webhooks_deliver_due

pytestmark = pytest.mark.django_db(transaction=True)


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


def test_two_workers_post_each_of_30_deliveries_exactly_once(receiver):
    webhook_create(key="erp", url=receiver.url)
    rows = [
        webhook_queue(
            webhook_key="erp",
            event="deal.won",
            payload={"deal": n},
            idempotency_key=f"deal-{n}-won",
        )
        for n in range(30)
    ]
    attempted = in_threads(
        lambda: webhooks_deliver_due(limit=30), lambda: webhooks_deliver_due(limit=30)
    )
    assert all(isinstance(n, int) for n in attempted), attempted
    assert sum(attempted) == 30
    posted = Counter(int(r.headers["X-Sopcrm-Delivery"]) for r in receiver.requests)
    assert posted == Counter(r.pk for r in rows)
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {
        (DeliveryStatus.SENT, 1)
    }
