"""Outbound webhooks and their delivery log, for administrators (others get 403). Read-only:
receivers are added, deactivated and given new secrets with `sopcrm webhook` (docs/webhooks.md).
"""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router
from pydantic import BaseModel

from sopcrm.core import normalise
from sopcrm.core.errors import InvalidInput
from sopcrm.crm.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from sopcrm.crm.webhooks.selectors import delivery_list, webhook_list

from .auth import actor
from .errors import responses
from .inputs import QueryInput
from .records import PageOut, UtcDatetime

router = Router(tags=["webhooks"])


class WebhookOut(BaseModel):
    key: str = Field(description="The name automation uses for this receiver.")
    url: str
    description: str
    active: bool
    created_at: UtcDatetime


class WebhookListOut(BaseModel):
    items: list[WebhookOut]


class DeliveryOut(BaseModel):
    id: int = Field(description="Also sent as `X-Sopcrm-Delivery` and as `id` in the body.")
    webhook: str = Field(description="The webhook's key.")
    event: str
    payload: dict[str, Any] = Field(description="Sent as `data` in the body.")
    idempotency_key: str
    record_type: str
    record_id: int | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: UtcDatetime = Field(description="When a queued delivery is tried next.")
    last_status_code: int | None = Field(
        description="The HTTP status of the latest attempt; null when no answer came."
    )
    last_error: str = Field(description="Why the latest attempt failed; empty once sent.")
    response_excerpt: str = Field(description="The first 500 characters of the latest answer.")
    created_at: UtcDatetime
    delivered_at: UtcDatetime | None


class DeliveryQuery(QueryInput):
    status: DeliveryStatus | None = Field(None, description="Only deliveries in this status.")
    webhook: str | None = Field(None, description="Only deliveries to the webhook with this key.")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")


def render_webhook(webhook: Webhook) -> dict[str, Any]:
    # Never the secret: it is shown once, by the command that creates or rotates it.
    return {
        "key": webhook.key,
        "url": webhook.url,
        "description": webhook.description,
        "active": webhook.active,
        "created_at": webhook.created_at,
    }


def render_delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "webhook": delivery.webhook.key,
        "event": delivery.event,
        "payload": delivery.payload,
        "idempotency_key": delivery.idempotency_key,
        "record_type": delivery.record_type,
        "record_id": delivery.record_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "response_excerpt": delivery.response_excerpt,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
    }


def _before(cursor: str) -> int:
    before = normalise.record_id(cursor)
    if before is None:
        raise InvalidInput.single(
            "cursor", "invalid", _("This cursor is not valid; start from the first page.")
        )
    return before


@router.get("", response={200: WebhookListOut, **responses(401, 403)})
def list_webhooks(request: HttpRequest) -> dict[str, Any]:
    """Every registered webhook, by key (without its secret). Administrators only."""
    return {"items": [render_webhook(w) for w in webhook_list(actor(request))]}


@router.get("/deliveries", response={200: PageOut[DeliveryOut], **responses(401, 403, 422)})
def list_deliveries(request: HttpRequest, params: Query[DeliveryQuery]) -> dict[str, Any]:
    """The delivery log, newest first: each delivery with the outcome of its latest attempt.
    `?status=failed` lists the ones that gave up (put one back with `sopcrm webhook retry ID`).
    Administrators only."""
    deliveries = delivery_list(actor(request), status=params.status, webhook_key=params.webhook)
    if params.cursor:
        deliveries = deliveries.filter(pk__lt=_before(params.cursor))
    rows = list(deliveries[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return {
        "items": [render_delivery(d) for d in rows],
        "next_cursor": str(rows[-1].pk) if more and rows else None,
    }
