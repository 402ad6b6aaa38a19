"""Queueing email. Callers queue inside their own transaction, so a message exists exactly when
the change that sends it was committed; the worker delivers it (see `outbox_deliver_due`)."""

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import make_msgid
from django.db import transaction

from sopcrm.core.clock import now
from sopcrm.core.models import User
from sopcrm.crm.records.models import Activity, Contact, Deal, Lead

from ..models import OutboundEmail


def reply_token_for(record: Lead | Deal) -> str:
    """A short token naming the record, for the Reply-To address (`crm+<token>@domain`).

    Lowercase hex of an HMAC (no ':' or other characters a mail server might rewrite), so a
    reply can be matched to its record without trusting anything the sender could forge.
    """
    kind = "lead" if isinstance(record, Lead) else "deal"
    message = f"{kind}:{record.pk}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:16]
    return f"{kind[0]}{record.pk}x{digest}"


@transaction.atomic
def email_queue(
    *,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str = "",
    sender: User | None,
    idempotency_key: str,
    lead: Lead | None = None,
    deal: Deal | None = None,
    contact: Contact | None = None,
    activity: Activity | None = None,
    cc: Sequence[str] = (),
) -> OutboundEmail:
    """Put a message in the outbox (or return the one already queued under the same key)."""
    existing = OutboundEmail.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    record = deal or lead
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    at = now()
    return OutboundEmail.objects.create(
        idempotency_key=idempotency_key,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        cc=list(cc),
        subject=subject,
        text_body=text,
        html_body=html,
        message_id=make_msgid(idstring=secrets.token_hex(8), domain=domain),
        reply_token=reply_token_for(record) if record is not None else "",
        lead=lead,
        deal=deal,
        contact=contact,
        activity=activity,
        sender=sender,
        next_attempt_at=at,
        created_at=at,
    )
