"""Registering webhooks and queueing deliveries: keys and URLs are checked, the secret is shown
once, the same idempotency key queues once, and an unknown or inactive webhook is refused."""

import re

import pytest

from sopcrm.core.errors import Conflict, InvalidInput, NotFound
from sopcrm.crm.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from sopcrm.crm.webhooks.services import (
    webhook_create,
    webhook_deactivate,
    webhook_delivery_retry,
    webhook_queue,
    webhook_rotate_secret,
    webhooks_deliver_due,
)


def queue(key="erp", idempotency_key="deal-42-won", **changes):
    arguments = {
        "webhook_key": key,
        "event": "deal.won",
        "payload": {"deal": 42},
        "idempotency_key": idempotency_key,
    }
    return webhook_queue(**{**arguments, **changes})


def problems(exc: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in exc.value.problems]


def test_create_returns_a_64_hex_digit_secret_and_stores_it_for_signing(db):
    webhook, secret = webhook_create(key="erp", url="https://erp.example.com/hooks")
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert Webhook.objects.get(key="erp").secret == secret
    assert webhook.active


@pytest.mark.parametrize("key", ["ERP", "1erp", "erp-orders", "", "e" * 64, "erp\n"])
def test_create_refuses_a_key_that_is_not_lowercase_letters_digits_and_underscores(db, key):
    with pytest.raises(InvalidInput) as exc:
        webhook_create(key=key, url="https://erp.example.com/hooks")
    assert problems(exc) == [("key", "invalid")]


def test_create_refuses_a_key_that_is_taken(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    with pytest.raises(InvalidInput) as exc:
        webhook_create(key="erp", url="https://other.example.com/hooks")
    assert problems(exc) == [("key", "taken")]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://erp.example.com/hooks",
        "file:///etc/passwd",
        "erp.example.com/hooks",
        "https://",
        "https://user:pw@erp.example.com/hooks",
        "https://erp.example.com:99999/hooks",
        "https://erp.example.com/a b",
    ],
)
def test_create_refuses_anything_but_an_http_or_https_url(db, url):
    with pytest.raises(InvalidInput) as exc:
        webhook_create(key="erp", url=url)
    assert problems(exc) == [("url", "invalid")]
    assert not Webhook.objects.exists()


def test_create_reports_every_bad_value_at_once(db):
    with pytest.raises(InvalidInput) as exc:
        webhook_create(key="Bad Key", url="", description="x" * 201)
    assert problems(exc) == [("key", "invalid"), ("url", "required"), ("description", "invalid")]


def test_rotate_gives_a_new_secret(db):
    _webhook, first = webhook_create(key="erp", url="https://erp.example.com/hooks")
    _webhook, second = webhook_rotate_secret("erp")
    assert second != first
    assert Webhook.objects.get(key="erp").secret == second


def test_rotating_or_deactivating_an_unknown_key_is_not_found(db):
    with pytest.raises(NotFound, match="No webhook nope"):
        webhook_rotate_secret("nope")
    with pytest.raises(NotFound, match="No webhook nope"):
        webhook_deactivate("nope")


def test_the_same_idempotency_key_queues_once(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    first = queue(payload={"deal": 42})
    again = queue(payload={"deal": 43})
    assert again.pk == first.pk
    assert WebhookDelivery.objects.count() == 1
    assert WebhookDelivery.objects.get().payload == {"deal": 42}


def test_a_queued_delivery_is_due_at_once_with_its_record(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    delivery = queue(record_type="deal", record_id=42)
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.next_attempt_at == delivery.created_at
    assert (delivery.record_type, delivery.record_id, delivery.attempts) == ("deal", 42, 0)


def test_an_unknown_webhook_key_is_invalid_input_naming_the_key(db):
    with pytest.raises(InvalidInput) as exc:
        queue("nope")
    assert problems(exc) == [("webhook", "unknown")]
    assert "nope" in exc.value.problems[0].message
    assert not WebhookDelivery.objects.exists()


def test_an_inactive_webhook_key_is_invalid_input(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    webhook_deactivate("erp")
    with pytest.raises(InvalidInput) as exc:
        queue()
    assert problems(exc) == [("webhook", "unknown")]


def test_a_bad_event_key_and_payload_are_reported_together(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    with pytest.raises(InvalidInput) as exc:
        queue(event="deal\r\nX-Evil: 1", idempotency_key="", payload={"when": object()})
    assert problems(exc) == [
        ("event", "invalid"),
        ("idempotency_key", "invalid"),
        ("payload", "invalid"),
    ]


def test_a_payload_with_nul_characters_is_refused_on_every_database(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    with pytest.raises(InvalidInput) as exc:
        queue(payload={"note": "a\x00b"})
    assert problems(exc) == [("payload", "invalid")]


def test_retry_puts_a_failed_delivery_back_in_the_queue_with_fresh_attempts(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    delivery = queue()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, attempts=6)
    retried = webhook_delivery_retry(delivery.pk)
    assert (retried.status, retried.attempts) == (DeliveryStatus.QUEUED, 0)


def test_retry_refuses_a_delivery_that_has_not_failed(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    delivery = queue()
    with pytest.raises(Conflict) as exc:
        webhook_delivery_retry(delivery.pk)
    assert exc.value.code == "not_failed"


def test_retry_refuses_a_delivery_of_a_deactivated_webhook(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    delivery = queue()
    webhook_deactivate("erp")
    with pytest.raises(Conflict) as exc:
        webhook_delivery_retry(delivery.pk)
    assert exc.value.code == "webhook_inactive"
    assert webhooks_deliver_due() == 0
