"""`sopcrm webhook add|list|deactivate|rotate|deliveries|retry|deliver`."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sopcrm.crm.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from sopcrm.crm.webhooks.services import webhook_create, webhook_queue

from .conftest import documented_verify


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("webhook", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def queue(n=1, key="erp"):
    return webhook_queue(
        webhook_key=key, event="deal.won", payload={"deal": n}, idempotency_key=f"deal-{n}"
    )


def test_add_prints_the_secret_alone_on_stdout_and_a_note_on_stderr(db):
    out, err = run("add", "erp", "https://erp.example.com/hooks", "--description", "ERP")
    secret = out.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert Webhook.objects.get(key="erp").secret == secret
    assert "posts to https://erp.example.com/hooks" in err
    assert "not shown again" in err


def test_add_reports_a_bad_url_by_field(db):
    with pytest.raises(CommandError, match=r"url: Only http:// and https://"):
        run("add", "erp", "ftp://erp.example.com/hooks")


def test_list_shows_key_state_and_url_but_never_the_secret(db):
    _webhook, secret = webhook_create(
        key="erp", url="https://erp.example.com/hooks", description="ERP orders"
    )
    webhook_create(key="chat", url="http://chat.internal/hooks")
    run("deactivate", "chat")
    out, _err = run("list")
    assert out.splitlines() == [
        "chat\tdeactivated\thttp://chat.internal/hooks\t",
        "erp\tactive\thttps://erp.example.com/hooks\tERP orders",
    ]
    assert secret not in out


def test_list_says_when_there_are_none(db):
    out, err = run("list")
    assert out == ""
    assert "No webhooks yet" in err


def test_deactivate_stops_the_webhook(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    out, _err = run("deactivate", "erp")
    assert "Deactivated webhook erp." in out
    assert not Webhook.objects.get(key="erp").active


def test_deactivate_of_an_unknown_key_is_a_clear_error(db):
    with pytest.raises(CommandError, match=r"No webhook nope\."):
        run("deactivate", "nope")


def test_rotate_prints_a_new_secret_that_signs_from_then_on(receiver, db):
    _webhook, old = webhook_create(key="erp", url=receiver.url)
    out, err = run("rotate", "erp")
    new = out.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", new)
    assert new != old
    assert "New secret for webhook erp" in err
    queue()
    run("deliver")
    [request] = receiver.requests
    assert documented_verify()(new, request.headers, request.body)


def test_deliveries_lists_the_log_newest_first_with_a_status_filter(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    first, second = queue(1), queue(2)
    WebhookDelivery.objects.filter(pk=first.pk).update(
        status=DeliveryStatus.FAILED, attempts=6, last_status_code=500, last_error="HTTP 500"
    )
    out, _err = run("deliveries")
    assert [line.split("\t")[0] for line in out.splitlines()] == [str(second.pk), str(first.pk)]
    out, _err = run("deliveries", "--status", "failed")
    [line] = out.splitlines()
    assert line.split("\t")[:6] == [str(first.pk), "erp", "deal.won", "failed", "6 attempts", "500"]
    assert line.endswith("HTTP 500")


def test_deliveries_honours_the_limit(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    for n in range(5):
        queue(n)
    out, _err = run("deliveries", "--limit", "2")
    assert len(out.splitlines()) == 2


def test_deliveries_refuses_an_unknown_status(db):
    with pytest.raises(CommandError, match="invalid choice"):
        run("deliveries", "--status", "lost")


def test_retry_queues_a_failed_delivery_again_and_deliver_posts_it(receiver, db):
    webhook_create(key="erp", url=receiver.url)
    delivery = queue()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, attempts=6)
    out, _err = run("retry", str(delivery.pk))
    assert f"Delivery {delivery.pk} is queued again." in out
    out, _err = run("deliver")
    assert "Attempted 1 deliveries." in out
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SENT


def test_retry_of_a_delivery_that_did_not_fail_is_a_clear_error(db):
    webhook_create(key="erp", url="https://erp.example.com/hooks")
    delivery = queue()
    with pytest.raises(CommandError, match="only failed deliveries can be retried"):
        run("retry", str(delivery.pk))


def test_retry_of_an_unknown_delivery_is_a_clear_error(db):
    with pytest.raises(CommandError, match=r"No webhook delivery 999\."):
        run("retry", "999")
