"""Inbound mail: the webhook a mail provider or relay posts received messages to, and the review
queue of messages no record claimed (see docs/mail.md).

The webhook is authenticated by a shared secret header, not by a user: it answers to the mail
system, with no session and so no CSRF check. The review queue is for signed-in users, like the
rest of the API.
"""

import hmac
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Status
from ninja.security import APIKeyHeader
from pydantic import BaseModel

from sopcrm.core import normalise
from sopcrm.core.errors import DomainError, InvalidInput
from sopcrm.crm.mail.config import inbound_max_bytes, inbound_secret
from sopcrm.crm.mail.models import InboundEmail, InboundStatus
from sopcrm.crm.mail.selectors import inbound_get, inbound_list
from sopcrm.crm.mail.services.inbound import (
    inbound_assign,
    inbound_ignore,
    inbound_receive_or_get,
)
from sopcrm.crm.records import selectors as record_selectors
from sopcrm.crm.records.models import Deal, Lead

from .auth import actor
from .errors import WRITE, NotAuthenticated, responses
from .inputs import QueryInput, StrictInput
from .records import PageOut, UtcDatetime

router = Router(tags=["mail"])

SECRET_HEADER = "X-Sopcrm-Inbound-Secret"


class NotConfigured(DomainError):
    code = "not_configured"
    http_status = 503


class TooLarge(DomainError):
    code = "too_large"
    http_status = 413


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    http_status = 415


class InboundSecretAuth(APIKeyHeader):
    """The shared secret of SOPCRM_INBOUND_SECRET in the X-Sopcrm-Inbound-Secret header."""

    param_name = SECRET_HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> str:
        secret = inbound_secret()
        if not secret:
            raise NotConfigured(_("The inbound mail webhook is off: set SOPCRM_INBOUND_SECRET."))
        if not key:
            raise NotAuthenticated(
                "unauthenticated",
                _("Send the shared secret in the %(header)s header.") % {"header": SECRET_HEADER},
            )
        if not hmac.compare_digest(key.encode(), secret.encode()):
            raise NotAuthenticated("invalid_secret", _("The inbound secret is wrong."))
        return "webhook"


class ReceivedOut(BaseModel):
    id: int
    status: InboundStatus
    match_method: str = Field(description="token, thread, sender, manual, or empty.")
    lead: int | None
    deal: int | None
    contact: int | None
    activity: int | None = Field(description="The inbound email activity logged on the record.")
    duplicate: bool = Field(description="The message was received before; nothing changed.")


class InboundOut(BaseModel):
    id: int
    status: InboundStatus
    match_method: str = Field(description="token, thread, sender, manual, or empty.")
    ignored_reason: str = Field(description="`automatic` for auto-replies and bounces.")
    lead: int | None
    deal: int | None
    contact: int | None = Field(description="On unmatched mail: the one contact with its sender.")
    activity: int | None
    message_id: str
    from_email: str
    from_name: str
    to: list[str]
    cc: list[str]
    subject: str
    text: str = Field(description="The new text, without quoted history and signature.")
    sent_at: UtcDatetime | None = Field(description="The message's Date header.")
    received_at: UtcDatetime
    handled_by: int | None
    handled_at: UtcDatetime | None


class InboundQuery(QueryInput):
    status: InboundStatus | None = Field(
        None, description="Only mail in this status; `unmatched` is the review queue."
    )
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")


class InboundAssign(StrictInput):
    deal: int | None = Field(None, description="The deal the message is about.")
    lead: int | None = Field(None, description="Or the lead.")


def render_inbound(inbound: InboundEmail) -> dict[str, Any]:
    return {
        "id": inbound.pk,
        "status": inbound.status,
        "match_method": inbound.match_method,
        "ignored_reason": inbound.ignored_reason,
        "lead": inbound.lead_id,
        "deal": inbound.deal_id,
        "contact": inbound.contact_id,
        "activity": inbound.activity_id,
        "message_id": inbound.message_id,
        "from_email": inbound.from_email,
        "from_name": inbound.from_name,
        "to": inbound.to,
        "cc": inbound.cc,
        "subject": inbound.subject,
        "text": inbound.text,
        "sent_at": inbound.sent_at,
        "received_at": inbound.received_at,
        "handled_by": inbound.handled_by_id,
        "handled_at": inbound.handled_at,
    }


def _raw_body(request: HttpRequest) -> bytes:
    if request.content_type != "message/rfc822":
        raise UnsupportedMediaType(_("Send the raw message as Content-Type: message/rfc822."))
    limit = inbound_max_bytes()
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise TooLarge(_("The message is larger than %(limit)d bytes.") % {"limit": limit})
    # Read the stream rather than request.body: Django caps request.body at 2.5 MB, less than
    # many messages with attachments.
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise TooLarge(_("The message is larger than %(limit)d bytes.") % {"limit": limit})
    if not raw.strip():
        raise InvalidInput.single("body", "required", _("The message is empty."))
    return raw


_RAW_MIME_BODY = {
    "requestBody": {
        "required": True,
        "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/inbound",
    auth=[InboundSecretAuth()],
    response={200: ReceivedOut, 201: ReceivedOut, **responses(401, 413, 415, 422, 503)},
    openapi_extra=_RAW_MIME_BODY,
)
def receive_inbound(request: HttpRequest) -> Status[dict[str, Any]]:
    """Receive one message as raw MIME (`Content-Type: message/rfc822`), authenticated by the
    shared secret in `X-Sopcrm-Inbound-Secret`. `201` when stored (matched to a record, or kept
    for review), `200` when the same Message-ID was received before (a retry changes nothing).
    `503 not_configured` while SOPCRM_INBOUND_SECRET is not set."""
    inbound, created = inbound_receive_or_get(_raw_body(request), source="webhook")
    body = {
        "id": inbound.pk,
        "status": inbound.status,
        "match_method": inbound.match_method,
        "lead": inbound.lead_id,
        "deal": inbound.deal_id,
        "contact": inbound.contact_id,
        "activity": inbound.activity_id,
        "duplicate": not created,
    }
    return Status(201 if created else 200, body)


def _before(cursor: str) -> int:
    before = normalise.record_id(cursor)
    if before is None:
        raise InvalidInput.single(
            "cursor", "invalid", _("This cursor is not valid; start from the first page.")
        )
    return before


@router.get("/inbound", response={200: PageOut[InboundOut], **responses(401, 422)})
def list_inbound(request: HttpRequest, params: Query[InboundQuery]) -> dict[str, Any]:
    """Received mail you may see, newest first. The review queue is `?status=unmatched`:
    managers and admins see all of it, a rep the messages whose sender is one of their own
    customers."""
    emails = inbound_list(actor(request))
    if params.status is not None:
        emails = emails.filter(status=params.status)
    if params.cursor:
        emails = emails.filter(pk__lt=_before(params.cursor))
    rows = list(emails.order_by("-pk")[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return {
        "items": [render_inbound(e) for e in rows],
        "next_cursor": str(rows[-1].pk) if more and rows else None,
    }


@router.get("/inbound/{inbound_id}", response={200: InboundOut, **responses(401, 404, 422)})
def get_inbound(request: HttpRequest, inbound_id: int) -> dict[str, Any]:
    return render_inbound(inbound_get(actor(request), inbound_id))


@router.post("/inbound/{inbound_id}/assign", response={200: InboundOut, **responses(*WRITE, 409)})
def assign_inbound(request: HttpRequest, inbound_id: int, payload: InboundAssign) -> dict[str, Any]:
    """Attach an unmatched (or ignored) message to a deal or a lead you can see: it is logged
    there as an inbound email and stops the chase. Send exactly one of `deal` and `lead`. `409
    already_assigned` if the message is on a record already."""
    user = actor(request)
    if (payload.deal is None) == (payload.lead is None):
        raise InvalidInput.single("deal", "required", _("Give either a deal or a lead."))
    record: Lead | Deal
    if payload.deal is not None:
        record = record_selectors.deal_get(user, payload.deal)
    else:
        assert payload.lead is not None
        record = record_selectors.lead_get(user, payload.lead)
    inbound = inbound_assign(inbound_get(user, inbound_id), record=record, actor=user)
    return render_inbound(inbound_get(user, inbound.pk))


@router.post(
    "/inbound/{inbound_id}/ignore", response={200: InboundOut, **responses(401, 403, 404, 409, 422)}
)
def ignore_inbound(request: HttpRequest, inbound_id: int) -> dict[str, Any]:
    """Take an unmatched message out of the review queue (spam, not about a customer). It stays
    stored and may be assigned later. `409 not_unmatched` for mail that is not unmatched."""
    user = actor(request)
    inbound = inbound_ignore(inbound_get(user, inbound_id), actor=user)
    return render_inbound(inbound_get(user, inbound.pk))
