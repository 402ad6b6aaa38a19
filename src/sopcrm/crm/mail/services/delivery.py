"""Delivering the outbox: several workers may run at once, and each message goes out once.

A worker claims one due row at a time in a short transaction: on PostgreSQL the row is picked
with `SELECT ... FOR UPDATE SKIP LOCKED` (two workers never pick the same row), on SQLite the
IMMEDIATE transaction serialises the claimers. The claim counts the attempt and moves
`next_attempt_at` a lease ahead, so the row is no longer due for anyone else; the message is then
sent *outside* any transaction (no lock or SQLite write lock is held while the SMTP server
talks), and the outcome is written with an UPDATE conditional on the claim still being ours.

A worker that dies between sending and recording the outcome leaves the row claimed until the
lease runs out; it is then sent again. That window (milliseconds) is the only way a message goes
out twice: no mail protocol lets a client know whether a lost connection delivered or not.
"""

import logging
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from sopcrm.core.clock import now
from sopcrm.core.events import event_record
from sopcrm.core.leased import lease_next, record_if_still_leased
from sopcrm.core.models import EventKind, RecordType

from ..config import mail_setting
from ..models import OutboundEmail, OutboundStatus

logger = logging.getLogger(__name__)

# Wait after the 1st, 2nd, ... failed attempt; the attempt after the last wait is the last one.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# How long a claimed row stays invisible to other workers: far longer than a send can take
# (the SMTP backend times out after 30 s).


def mailer_name() -> str:
    """The MAILERS alias the outbox sends with: SOPCRM_MAILER, else `default`."""
    return mail_setting("SOPCRM_MAILER").strip() or "default"


def reply_address(token: str) -> str:
    """`<local>+<token>@<domain>` of SOPCRM_REPLY_ADDRESS (else of DEFAULT_FROM_EMAIL)."""
    base = mail_setting("SOPCRM_REPLY_ADDRESS").strip() or settings.DEFAULT_FROM_EMAIL
    local, _at, domain = parseaddr(base)[1].rpartition("@")
    local = local.partition("+")[0] or "crm"
    return f"{local}+{token}@{domain or 'localhost'}"


def message_for(row: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.text_body,
        from_email=row.from_email,
        to=list(row.to),
        cc=list(row.cc),
        reply_to=[reply_address(row.reply_token)] if row.reply_token else None,
        headers={"Message-ID": row.message_id},
    )
    if row.html_body:
        message.attach_alternative(row.html_body, "text/html")
    return message


def _log_failure(row: OutboundEmail, error: str) -> None:
    records: set[tuple[RecordType, int]] = set()
    for holder in (row, row.activity):
        if holder is None:
            continue
        for name, record_type in (
            ("lead", RecordType.LEAD),
            ("deal", RecordType.DEAL),
            ("contact", RecordType.CONTACT),
            ("account", RecordType.ACCOUNT),
        ):
            record_id = getattr(holder, f"{name}_id", None)
            if record_id is not None:
                records.add((record_type, record_id))
    for record_type, record_id in sorted(records):
        event_record(
            record_type=record_type,
            record_id=record_id,
            kind=EventKind.EMAIL_FAILED,
            actor=None,
            data={
                "email": row.pk,
                "activity": row.activity_id,
                "subject": row.subject,
                "to": row.to,
                "attempts": row.attempts,
                "reason": error,
            },
        )


def _failed(row: OutboundEmail, error: str, at: datetime) -> None:
    if row.attempts >= MAX_ATTEMPTS:
        with transaction.atomic():
            if record_if_still_leased(
                row, status=OutboundStatus.FAILED, last_error=error, next_attempt_at=at
            ):
                _log_failure(row, error)
        logger.error("outbox: giving up on %s after %s attempts: %s", row.pk, row.attempts, error)
        return
    retry_at = at + BACKOFF[row.attempts - 1]
    record_if_still_leased(row, last_error=error, next_attempt_at=retry_at)
    logger.warning("outbox: attempt %s of %s failed: %s", row.attempts, row.pk, error)


def deliver(row: OutboundEmail) -> bool:
    """Send one claimed row and record the outcome; True when it was sent."""
    try:
        message_for(row).send(using=mailer_name())
    except Exception as exc:  # any failure of any backend (SMTP, anymail) is a failed attempt
        _failed(row, f"{type(exc).__name__}: {exc}"[:2000], now())
        return False
    record_if_still_leased(row, status=OutboundStatus.SENT, sent_at=now(), last_error="")
    return True


def outbox_deliver_due(*, limit: int = 50) -> int:
    """Send up to `limit` due messages; returns how many were sent. Safe to run in several
    workers at once (see the module docstring)."""
    sent = 0
    for _ in range(limit):
        row = lease_next(OutboundEmail)
        if row is None:
            break
        sent += deliver(row)
    return sent
