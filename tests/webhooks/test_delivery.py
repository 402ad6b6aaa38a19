"""Posting deliveries to a real HTTP receiver: signed as documented, retried with backoff after
any failure (an error status, a redirect, a refused connection, a timeout), given up after the
6th attempt, every outcome kept on the delivery."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from sopcrm.crm.webhooks import services, transport
from sopcrm.crm.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from sopcrm.crm.webhooks.services import (
    BACKOFF,
    MAX_ATTEMPTS,
    webhook_create,
    webhook_deactivate,
    webhook_queue,
    webhook_rotate_secret,
    webhooks_deliver_due,
)

from .conftest import documented_verify, free_port

T0 = datetime(2025, 11, 3, 2, 0, tzinfo=UTC)


def queue(key="erp", idempotency_key="deal-42-won", **extra):
    return webhook_queue(
        webhook_key=key,
        event="deal.won",
        payload={"deal": 42, "title": "DN50 valves", "amount": "12500.00"},
        idempotency_key=idempotency_key,
        record_type="deal",
        record_id=42,
        **extra,
    )


def test_a_queued_delivery_is_posted_once_with_a_signature_the_documented_check_accepts(
    receiver, hook
):
    delivery = queue()
    assert webhooks_deliver_due() == 1
    assert webhooks_deliver_due() == 0
    [request] = receiver.requests
    assert documented_verify()(hook.secret, request.headers, request.body)
    assert request.headers["X-Sopcrm-Delivery"] == str(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (1, 200, "")
    assert delivery.response_excerpt == "thanks"


def test_the_body_is_compact_sorted_json_with_the_delivery_id_event_and_payload(
    receiver, hook, frozen
):
    frozen(T0)
    delivery = queue()
    webhooks_deliver_due()
    [request] = receiver.requests
    assert (
        request.body
        == (
            f'{{"created_at":"2025-11-03T02:00:00Z","data":{{"amount":"12500.00","deal":42,'
            f'"title":"DN50 valves"}},"event":"deal.won","id":{delivery.pk}}}'
        ).encode()
    )
    assert json.loads(request.body)["data"] == delivery.payload


def test_the_request_carries_the_documented_headers(receiver, hook, frozen):
    frozen(T0)
    delivery = queue()
    webhooks_deliver_due()
    headers = receiver.requests[0].headers
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "sopcrm-webhooks"
    assert headers["X-Sopcrm-Event"] == "deal.won"
    assert headers["X-Sopcrm-Delivery"] == str(delivery.pk)
    assert headers["X-Sopcrm-Timestamp"] == str(int(T0.timestamp()))
    assert headers["X-Sopcrm-Signature"].startswith("sha256=")


def test_a_tampered_body_fails_the_documented_check(receiver, hook):
    queue()
    webhooks_deliver_due()
    [request] = receiver.requests
    tampered = request.body.replace(b'"deal":42', b'"deal":43')
    assert not documented_verify()(hook.secret, request.headers, tampered)


def test_a_signature_older_than_five_minutes_fails_the_documented_check(receiver, hook):
    queue()
    webhooks_deliver_due()
    [request] = receiver.requests
    later = int(request.headers["X-Sopcrm-Timestamp"]) + 5 * 60 + 1
    assert not documented_verify()(hook.secret, request.headers, request.body, now=later)


def test_500_is_retried_after_the_backoff_not_before_then_sent(receiver, hook, frozen):
    frozen(T0)
    delivery = queue()
    receiver.answer(500, body=b"database down")
    assert webhooks_deliver_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    assert delivery.response_excerpt == "database down"
    assert delivery.next_attempt_at == T0 + BACKOFF[0]

    frozen(T0 + BACKOFF[0] - timedelta(seconds=1))
    assert webhooks_deliver_due() == 0
    assert len(receiver.requests) == 1

    receiver.answer(204, body=b"")
    frozen(T0 + BACKOFF[0])
    assert webhooks_deliver_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (2, 204, "")
    assert delivery.delivered_at == T0 + BACKOFF[0]
    assert len(receiver.requests) == 2


def test_failed_attempts_wait_1_min_5_min_30_min_2_h_12_h(receiver, hook, frozen):
    frozen(T0)
    delivery = queue()
    receiver.answer(503)
    waits = []
    at = T0
    for _attempt in range(MAX_ATTEMPTS - 1):
        webhooks_deliver_due()
        delivery.refresh_from_db()
        waits.append(delivery.next_attempt_at - at)
        at = delivery.next_attempt_at
        frozen(at)
    assert waits == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
    ]


def test_after_six_failed_attempts_the_delivery_is_failed_for_good(receiver, hook, frozen):
    frozen(T0)
    delivery = queue()
    receiver.answer(500)
    for _attempt in range(MAX_ATTEMPTS):
        assert webhooks_deliver_due() == 1
        delivery.refresh_from_db()
        frozen(delivery.next_attempt_at)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 6
    assert delivery.last_status_code == 500
    frozen(T0 + timedelta(days=30))
    assert webhooks_deliver_due() == 0
    assert len(receiver.requests) == 6


def test_connection_refused_is_logged_as_an_error(db, frozen):
    frozen(T0)
    webhook_create(key="down", url=f"http://127.0.0.1:{free_port()}/hooks")
    delivery = queue("down")
    assert webhooks_deliver_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("ConnectionRefusedError:")
    assert delivery.next_attempt_at == T0 + BACKOFF[0]


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(receiver, hook):
    receiver.answer(302, headers={"Location": receiver.url + "/elsewhere"})
    delivery = queue()
    webhooks_deliver_due()
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error
    assert receiver.url + "/elsewhere" in delivery.last_error


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(receiver, hook, monkeypatch):
    monkeypatch.setattr(transport, "TIMEOUT_SECONDS", 0.3)
    receiver.answer(200, delay=2.0)
    delivery = queue()
    webhooks_deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.last_status_code is None
    assert "timed out" in delivery.last_error


def test_a_worker_takes_no_new_delivery_once_its_tick_has_run_out(receiver, hook, monkeypatch):
    """A receiver that never answers costs a timeout per post; the worker stops taking new
    deliveries after TICK_SECONDS so its other jobs are not held up."""
    monkeypatch.setattr(transport, "TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(services, "TICK_SECONDS", 0.1)
    receiver.answer(200, delay=2.0)
    for n in range(3):
        queue(idempotency_key=f"deal-{n}")
    assert webhooks_deliver_due() == 1
    assert WebhookDelivery.objects.filter(attempts=0).count() == 2


def test_the_response_excerpt_keeps_the_first_500_characters(receiver, hook):
    receiver.answer(400, body=("é" * 600).encode())
    delivery = queue()
    webhooks_deliver_due()
    delivery.refresh_from_db()
    assert delivery.response_excerpt == "é" * 500


def test_the_next_attempt_is_signed_with_a_rotated_secret(receiver, hook, frozen):
    frozen(T0)
    delivery = queue()
    receiver.answer(401)
    webhooks_deliver_due()
    _webhook, new_secret = webhook_rotate_secret("erp")
    receiver.answer(200)
    frozen(delivery.created_at + BACKOFF[0])
    webhooks_deliver_due()
    verify = documented_verify()
    first, second = receiver.requests
    assert verify(hook.secret, first.headers, first.body)
    assert not verify(hook.secret, second.headers, second.body)
    assert verify(new_secret, second.headers, second.body)


def test_deactivating_a_webhook_fails_its_queued_deliveries_unposted(receiver, hook):
    delivery = queue()
    webhook_deactivate("erp")
    assert webhooks_deliver_due() == 0
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "deactivated" in delivery.last_error


def test_a_delivery_claimed_before_its_webhook_was_deactivated_is_not_posted(receiver, hook):
    """The worker reads the webhook after claiming the row and posts nothing to an inactive
    one (as when `deactivate` runs between the claim and the post)."""
    queue()
    Webhook.objects.filter(key="erp").update(active=False)  # deactivated, rows left queued
    assert webhooks_deliver_due() == 1
    assert receiver.requests == []
    assert WebhookDelivery.objects.get().status == DeliveryStatus.FAILED


def test_a_rolled_back_change_queues_nothing(receiver, hook):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the change failed")
    assert not WebhookDelivery.objects.exists()
    assert webhooks_deliver_due() == 0
    assert receiver.requests == []
