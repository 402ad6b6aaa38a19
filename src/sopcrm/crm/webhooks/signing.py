"""What a delivery looks like on the wire: the JSON body and the signed headers.

The signature is `sha256=` + the hex HMAC-SHA256 of `<timestamp>.<body>` under the webhook's
secret (its text, UTF-8 encoded, is the key). Signing the timestamp with the body lets a receiver
refuse a captured request replayed later; docs/webhooks.md shows the check.
"""

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

SIGNATURE_PREFIX = "sha256="
USER_AGENT = "sopcrm-webhooks"


def delivery_body(
    *, delivery_id: int, event: str, created_at: datetime, payload: dict[str, Any]
) -> bytes:
    """The body, serialised once: compact, keys sorted, so every attempt sends the same bytes."""
    document = {"id": delivery_id, "event": event, "created_at": created_at, "data": payload}
    return json.dumps(
        document,
        cls=DjangoJSONEncoder,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signed_headers(
    *, secret: str, event: str, delivery_id: int, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Sopcrm-Event": event,
        "X-Sopcrm-Delivery": str(delivery_id),
        "X-Sopcrm-Timestamp": str(timestamp),
        "X-Sopcrm-Signature": signature(secret, timestamp, body),
    }
