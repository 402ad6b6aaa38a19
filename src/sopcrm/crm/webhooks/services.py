"""Webhooks: registering receivers, queueing deliveries, and posting them.

Queueing happens inside the caller's transaction (automation firing on a change), so a delivery
exists exactly when that change was committed; the worker posts it afterwards.

Posting is built like the mail outbox (crm/mail/services/delivery.py), so several workers may run
at once and each delivery is posted once. A worker claims one due row at a time in a short
transaction: on PostgreSQL the row is picked with `SELECT ... FOR UPDATE SKIP LOCKED` (two workers
never pick the same row), on SQLite the IMMEDIATE transaction serialises the claimers. The claim
counts the attempt and moves `next_attempt_at` a lease ahead, so the row is no longer due for
anyone else; the request is then made *outside* any transaction (no lock is held while the
receiver answers), and the outcome is written with an UPDATE conditional on the claim still being
ours. Only a worker that dies between the receiver's answer and recording it causes a second
post, after the lease: receivers deduplicate on the `X-Sopcrm-Delivery` id.
"""

import json
import logging
import re
import secrets
import time
import urllib.parse
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import Conflict, FieldProblem, InvalidInput, NotFound
from sopcrm.core.fieldtypes import has_nul, is_record_id
from sopcrm.core.leased import lease_next, record_if_still_leased

from .models import DeliveryStatus, Webhook, WebhookDelivery
from .signing import delivery_body, signed_headers
from .transport import post

logger = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")
# Wait after the 1st, 2nd, ... failed attempt; the attempt after the last wait is the last one.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# How long a claimed row stays invisible to other workers: far longer than a post can take.
# A worker stops taking new deliveries after this long in one call: a receiver that never
# answers costs 10 s a post, and the worker's other jobs (the mail outbox) wait meanwhile.
TICK_SECONDS = 30.0
DEACTIVATED = "The webhook was deactivated before this delivery was sent."


# -- registering receivers -----------------------------------------------------------------------


def _url_problems(url: str) -> list[FieldProblem]:
    def problem(message: str) -> list[FieldProblem]:
        return [FieldProblem("url", "invalid", message)]

    if not url:
        return [FieldProblem("url", "required", _("Give the URL to post to."))]
    if len(url) > 2000 or any(c.isspace() or not c.isprintable() for c in url):
        return problem(_("Enter a URL of at most 2000 characters, without spaces."))
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        return problem(_("Enter a valid URL."))
    if parts.scheme.lower() not in {"http", "https"}:
        return problem(_("Only http:// and https:// URLs can receive webhooks."))
    if not parts.hostname:
        return problem(_("The URL needs a host name."))
    if parts.username is not None or parts.password is not None:
        return problem(
            _("Put no user name or password in the URL: receivers check the signature instead.")
        )
    return []


@transaction.atomic
def webhook_create(*, key: str, url: str, description: str = "") -> tuple[Webhook, str]:
    """Register a receiver; returns it with its secret, which is not shown again."""
    url = url.strip()
    description = description.strip()
    problems: list[FieldProblem] = []
    if not KEY_PATTERN.fullmatch(key):
        problems.append(
            FieldProblem(
                "key",
                "invalid",
                _(
                    "A key is a lowercase letter followed by up to 62 lowercase letters, "
                    "digits and underscores, e.g. erp_orders."
                ),
            )
        )
    elif Webhook.objects.filter(key=key).exists():
        problems.append(FieldProblem("key", "taken", _taken(key)))
    problems += _url_problems(url)
    if len(description) > 200 or has_nul(description):
        problems.append(
            FieldProblem("description", "invalid", _("Keep the description to 200 characters."))
        )
    if problems:
        raise InvalidInput(problems)
    secret = secrets.token_hex(32)
    try:
        with transaction.atomic():
            webhook = Webhook.objects.create(
                key=key, url=url, secret=secret, description=description, created_at=now()
            )
    except IntegrityError:  # created by someone else since the check above
        raise InvalidInput.single("key", "taken", _taken(key)) from None
    logger.info("webhook %s added for %s", key, url)
    return webhook, secret


def _taken(key: str) -> str:
    return _("There is already a webhook %(key)s (deactivated webhooks keep their key).") % {
        "key": key
    }


def _lock(key: str) -> Webhook:
    webhook = Webhook.objects.select_for_update().filter(key=key).first()
    if webhook is None:
        raise NotFound(_("No webhook %(key)s.") % {"key": key})
    return webhook


@transaction.atomic
def webhook_deactivate(key: str) -> Webhook:
    """Stop posting to a receiver, for good: new deliveries are refused, and those still queued
    are marked failed (they would never go out otherwise). Deactivating twice is harmless."""
    webhook = _lock(key)
    if webhook.active:
        webhook.active = False
        webhook.save(update_fields=["active"])
    # A row a worker has claimed already is posted all the same; its outcome is then not
    # recorded (the claim is no longer ours), and the log says it was not sent.
    WebhookDelivery.objects.filter(webhook=webhook, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.FAILED, last_error=DEACTIVATED, next_attempt_at=now()
    )
    logger.info("webhook %s deactivated", key)
    return webhook


@transaction.atomic
def webhook_rotate_secret(key: str) -> tuple[Webhook, str]:
    """Give a receiver a new secret (returned, not shown again). Deliveries are signed when they
    are posted, so every post from now on, retries included, carries the new signature."""
    webhook = _lock(key)
    secret = secrets.token_hex(32)
    webhook.secret = secret
    webhook.save(update_fields=["secret"])
    logger.info("webhook %s: secret rotated", key)
    return webhook, secret


@transaction.atomic
def webhook_delivery_retry(delivery_id: int) -> WebhookDelivery:
    """Put a failed delivery back in the queue, due now, with a fresh set of attempts."""
    row = (
        WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if is_record_id(delivery_id)
        else None
    )
    if row is None:
        raise NotFound(_("No webhook delivery %(id)s.") % {"id": delivery_id})
    if row.status != DeliveryStatus.FAILED:
        raise Conflict(
            _("Delivery %(id)d is %(status)s; only failed deliveries can be retried.")
            % {"id": row.pk, "status": row.status},
            code="not_failed",
        )
    if not Webhook.objects.filter(pk=row.webhook_id, active=True).exists():
        raise Conflict(
            _("The webhook of delivery %(id)d is deactivated.") % {"id": row.pk},
            code="webhook_inactive",
        )
    row.status = DeliveryStatus.QUEUED
    row.attempts = 0
    row.next_attempt_at = now()
    row.save(update_fields=["status", "attempts", "next_attempt_at"])
    return row


# -- queueing ------------------------------------------------------------------------------------


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return has_nul(value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _payload_problem(payload: Any) -> FieldProblem | None:
    if not isinstance(payload, dict):
        return FieldProblem("payload", "invalid", _("The payload must be a JSON object."))
    try:
        json.dumps(payload, cls=DjangoJSONEncoder)
    except (TypeError, ValueError):
        return FieldProblem("payload", "invalid", _("The payload cannot be written as JSON."))
    if _has_nul(payload):
        # PostgreSQL's jsonb refuses NUL characters, SQLite keeps them: refuse them on both.
        return FieldProblem("payload", "invalid", _("Text may not contain NUL characters."))
    return None


def _queue_problems(
    *, event: str, idempotency_key: str, record_type: str, record_id: int | None
) -> list[FieldProblem]:
    problems = []
    # The event goes into a header: printable ASCII only, so nothing can split the header.
    if not event or len(event) > 60 or not all(" " <= c <= "~" for c in event):
        problems.append(
            FieldProblem(
                "event", "invalid", _("An event name is 1 to 60 printable ASCII characters.")
            )
        )
    if not idempotency_key or len(idempotency_key) > 200 or has_nul(idempotency_key):
        problems.append(
            FieldProblem(
                "idempotency_key", "invalid", _("An idempotency key is 1 to 200 characters.")
            )
        )
    if len(record_type) > 32 or has_nul(record_type):
        problems.append(
            FieldProblem("record_type", "invalid", _("A record type is at most 32 characters."))
        )
    if record_id is not None and not is_record_id(record_id):
        problems.append(FieldProblem("record_id", "invalid", _("Enter a record id.")))
    return problems


@transaction.atomic
def webhook_queue(
    *,
    webhook_key: str,
    event: str,
    payload: dict[str, Any],
    idempotency_key: str,
    record_type: str = "",
    record_id: int | None = None,
) -> WebhookDelivery:
    """Queue one delivery inside the caller's transaction; the same idempotency_key returns the
    existing row. An unknown or inactive webhook key is an InvalidInput on `webhook`."""
    existing = WebhookDelivery.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    problems = _queue_problems(
        event=event, idempotency_key=idempotency_key, record_type=record_type, record_id=record_id
    )
    webhook = Webhook.objects.filter(key=webhook_key, active=True).first()
    if webhook is None:
        problems.insert(
            0,
            FieldProblem(
                "webhook",
                "unknown",
                _("There is no active webhook %(key)s.") % {"key": webhook_key},
            ),
        )
    payload_problem = _payload_problem(payload)
    if payload_problem is not None:
        problems.append(payload_problem)
    if problems:
        raise InvalidInput(problems)
    assert webhook is not None
    at = now()
    try:
        # A savepoint: on PostgreSQL a concurrent transaction queueing the same key makes this
        # insert wait and then fail; the row it committed is then the answer.
        with transaction.atomic():
            return WebhookDelivery.objects.create(
                webhook=webhook,
                event=event,
                payload=payload,
                idempotency_key=idempotency_key,
                record_type=record_type,
                record_id=record_id,
                next_attempt_at=at,
                created_at=at,
            )
    except IntegrityError:
        existing = WebhookDelivery.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing


# -- posting -------------------------------------------------------------------------------------


def deliver(row: WebhookDelivery) -> bool:
    """Post one claimed row and record the outcome; True when the receiver took it."""
    webhook = Webhook.objects.get(pk=row.webhook_id)
    if not webhook.active:  # deactivated after this row was claimed
        record_if_still_leased(row, status=DeliveryStatus.FAILED, last_error=DEACTIVATED)
        return False
    body = delivery_body(
        delivery_id=row.pk, event=row.event, created_at=row.created_at, payload=row.payload
    )
    headers = signed_headers(
        secret=webhook.secret,
        event=row.event,
        delivery_id=row.pk,
        timestamp=int(now().timestamp()),
        body=body,
    )
    outcome = post(webhook.url, body, headers)
    at = now()
    log = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "response_excerpt": outcome.excerpt,
    }
    if outcome.sent:
        record_if_still_leased(row, status=DeliveryStatus.SENT, delivered_at=at, **log)
        return True
    if row.attempts >= MAX_ATTEMPTS:
        record_if_still_leased(row, status=DeliveryStatus.FAILED, next_attempt_at=at, **log)
        logger.error(
            "webhooks: giving up on delivery %s to %s after %s attempts: %s",
            row.pk,
            webhook.key,
            row.attempts,
            outcome.error,
        )
        return False
    record_if_still_leased(row, next_attempt_at=at + BACKOFF[row.attempts - 1], **log)
    logger.warning(
        "webhooks: attempt %s of delivery %s to %s failed: %s",
        row.attempts,
        row.pk,
        webhook.key,
        outcome.error,
    )
    return False


def webhooks_deliver_due(*, limit: int = 50) -> int:
    """Post up to `limit` due deliveries, taking no new one after TICK_SECONDS; returns how many
    were attempted. Safe to run in several workers at once (see the module docstring)."""
    attempted = 0
    started = time.monotonic()
    for _slot in range(limit):
        if time.monotonic() - started > TICK_SECONDS:
            break
        row = lease_next(WebhookDelivery)
        if row is None:
            break
        deliver(row)
        attempted += 1
    return attempted
