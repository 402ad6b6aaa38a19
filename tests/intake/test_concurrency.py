"""Inquiries arriving at the same moment take successive turns (S-26): the rule's turn row is
locked while choosing, so a pool of two gets exactly half each. Real threads, real transactions,
through the public form; on PostgreSQL 200 intakes over 40 connections (its default limit is
100 connections), on SQLite (one writer at a time) fewer."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from sopcrm.crm.records.models import Activity, Lead

from .conftest import owners, pool_rule, post_json, use_assignment

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(count, work):
    """Run `work(thread_index)` in `count` threads released together; their errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index):
        try:
            barrier.wait(timeout=30)
            work(index)
        except BaseException as exc:  # reported by the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def test_concurrent_intakes_are_spread_evenly_over_a_pool_of_two(people, settings):
    use_assignment(people.admin, pool_rule("alice", "bob"))
    settings.SOPCRM_INTAKE_RATE_LIMIT = "1000/600"
    threads, each = (40, 5) if connection.vendor == "postgresql" else (4, 10)
    statuses: list[int] = []

    def post_some(thread):
        client = Client()
        for n in range(each):
            number = thread * each + n
            response = post_json(
                client,
                {"name": f"Buyer {number}", "email": f"buyer{number}@shop{number}.example"},
                address=f"10.1.{thread}.{n + 1}",
            )
            statuses.append(response.status_code)

    errors = in_threads(threads, post_some)
    total = threads * each
    assert errors == []
    assert statuses == [200] * total
    assert Lead.objects.count() == total
    assert Counter(owners()) == {"alice": total // 2, "bob": total // 2}
    # Each lead's first-contact task went to its owner.
    tasks = Activity.objects.filter(template_key="first_contact").select_related("lead")
    assert tasks.count() == total
    assert all(task.owner_id == task.lead.owner_id for task in tasks)
