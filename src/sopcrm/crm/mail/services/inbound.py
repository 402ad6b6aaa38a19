"""Receiving mail (webhook, IMAP) and the review queue of mail no record claimed.

A message is stored once (by Message-ID) and never dropped. A reply matched to a lead or deal
(see matching.py) is logged on it as an inbound email activity (S-03) and stops the chase (S-21):
the open tasks whose template says `stop_on_reply` are cancelled. Auto-replies and bounces are
kept as ignored: an out-of-office message is no answer and must not stop the chase.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import Conflict
from sopcrm.core.models import Role, User
from sopcrm.crm.records import selectors as record_selectors
from sopcrm.crm.records.models import Activity, Contact, Deal, Lead
from sopcrm.crm.records.services.activities import ACTIVITY_BODY_MAX, activity_create
from sopcrm.crm.records.services.process_tasks import tasks_stop_on_reply

from ..models import InboundEmail, InboundStatus, MatchMethod
from ..parsing import ParsedEmail, parse_email
from ..quoting import reply_text, summary_of
from ..selectors import inbound_lock_visible
from .matching import Match, match_inbound, sender_contact

# A Date header older than this (or in the future) is not believed: the activity then happened
# when the message arrived.
_MAX_AGE = timedelta(days=30)


def _occurred_at(date: datetime | None, received_at: datetime) -> datetime:
    if date is None or date > received_at or date < received_at - _MAX_AGE:
        return received_at
    return date


def _system_actor(record: Lead | Deal) -> User | None:
    """Who a reply is logged as when no one is signed in: the record's owner, else (unassigned
    record, owner gone) the first active administrator."""
    owner = record.owner
    if owner is not None and owner.is_active:
        return owner
    return (
        User.objects.filter(is_active=True, role=Role.ADMIN).order_by("pk").first()
        or User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
    )


def _lock(record: Lead | Deal) -> Lead | Deal:
    # The record before its tasks, in the order transitions take them (no deadlock).
    if isinstance(record, Deal):
        return Deal.objects.select_for_update().get(pk=record.pk)
    return Lead.objects.select_for_update().get(pk=record.pk)


def _log_reply(
    inbound: InboundEmail, record: Lead | Deal, *, actor: User, occurred_at: datetime
) -> Activity:
    """The reply as an inbound email activity on the record, owned by the record's owner."""
    link = "deal" if isinstance(record, Deal) else "lead"
    subject = inbound.subject or _("Email from %(sender)s") % {"sender": inbound.from_email}
    data: dict[str, object] = {
        "kind": "email",
        "channel": "email",
        "direction": "inbound",
        "subject": subject[:200],
        "summary": summary_of(inbound.text) or inbound.subject or _("(no text)"),
        "occurred_at": occurred_at,
        link: record.pk,
    }
    owner = record.owner
    if owner is not None and owner.is_active and owner.pk != actor.pk:
        data["owner"] = owner.pk
    contact = inbound.contact
    if contact is not None and record_selectors.contact_list(actor).filter(pk=contact.pk).exists():
        data["contact"] = contact.pk
    # The timeline keeps the reply's text up to the activity body's limit; the whole message
    # stays on the InboundEmail row (raw MIME and text).
    data["body"] = inbound.text[:ACTIVITY_BODY_MAX]
    return activity_create(actor=actor, data=data)


def _attach(
    inbound: InboundEmail,
    record: Lead | Deal,
    *,
    actor: User,
    stopped_by: User | None,
    occurred_at: datetime,
) -> None:
    record = _lock(record)
    # The chase stops first, as noticed by the system (an email reply), before the reply is
    # logged (logging an inbound contact would stop it too, as the logging user).
    tasks_stop_on_reply(record, actor=stopped_by)
    inbound.activity = _log_reply(inbound, record, actor=actor, occurred_at=occurred_at)


def _store(raw: bytes, parsed: ParsedEmail, source: str) -> InboundEmail:
    at = now()
    match: Match | None = match_inbound(parsed)
    inbound = InboundEmail(
        source=source[:32],
        raw=raw,
        message_id=parsed.message_id,
        from_email=parsed.from_email,
        from_name=parsed.from_name,
        to=parsed.to,
        cc=parsed.cc,
        subject=parsed.subject,
        in_reply_to=" ".join(parsed.in_reply_to),
        references=" ".join(parsed.references),
        sent_at=parsed.date,
        received_at=at,
        text=reply_text(parsed.text),
        status=InboundStatus.UNMATCHED,
    )
    if match is not None:
        inbound.lead = match.record if isinstance(match.record, Lead) else None
        inbound.deal = match.record if isinstance(match.record, Deal) else None
        inbound.contact = match.contact
        inbound.match_method = match.method
    else:
        inbound.contact = sender_contact(parsed.from_email)
    actor = _system_actor(match.record) if match is not None else None
    if parsed.automatic:
        inbound.status = InboundStatus.IGNORED
        inbound.ignored_reason = "automatic"
    elif match is not None and actor is not None:
        inbound.status = InboundStatus.MATCHED
    inbound.save()
    if inbound.status == InboundStatus.MATCHED and match is not None and actor is not None:
        _attach(
            inbound,
            match.record,
            actor=actor,
            stopped_by=None,
            occurred_at=_occurred_at(parsed.date, at),
        )
        inbound.save(update_fields=["activity"])
    return inbound


def inbound_receive_or_get(raw: bytes, *, source: str) -> tuple[InboundEmail, bool]:
    """Store a received message (matching it, logging it, stopping the chase), or return the
    one stored before under the same Message-ID. The flag says whether it was new."""
    parsed = parse_email(raw)
    existing = InboundEmail.objects.filter(message_id=parsed.message_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return _store(raw, parsed, source), True
    except IntegrityError:
        # The same message arrived at the same moment by another path (webhook and IMAP).
        existing = InboundEmail.objects.filter(message_id=parsed.message_id).first()
        if existing is None:
            raise
        return existing, False


def inbound_receive(raw: bytes, *, source: str) -> InboundEmail:
    return inbound_receive_or_get(raw, source=source)[0]


@transaction.atomic
def inbound_assign(inbound: InboundEmail, *, record: Lead | Deal, actor: User) -> InboundEmail:
    """Attach a message from the review queue (or an ignored one) to a lead or deal: it is
    logged there and stops the chase, as if it had been matched on arrival."""
    inbound = inbound_lock_visible(actor, inbound.pk)
    if inbound.status not in (InboundStatus.UNMATCHED, InboundStatus.IGNORED):
        raise Conflict(_("This email is already on a record."), code="already_assigned")
    if isinstance(record, Deal):
        record = record_selectors.deal_get(actor, record.pk)
    else:
        record = record_selectors.lead_get(actor, record.pk)
    inbound.lead = record if isinstance(record, Lead) else None
    inbound.deal = record if isinstance(record, Deal) else None
    contact: Contact | None = record.contact if isinstance(record, Deal) else None
    inbound.contact = contact or inbound.contact
    _attach(
        inbound,
        record,
        actor=actor,
        stopped_by=actor,
        occurred_at=_occurred_at(inbound.sent_at, inbound.received_at),
    )
    inbound.status = InboundStatus.ASSIGNED
    inbound.match_method = MatchMethod.MANUAL
    inbound.ignored_reason = ""
    inbound.handled_by = actor
    inbound.handled_at = now()
    inbound.save()
    return inbound


@transaction.atomic
def inbound_ignore(inbound: InboundEmail, *, actor: User) -> InboundEmail:
    """Take a message out of the review queue without logging it anywhere (spam, a newsletter,
    mail for someone else). It stays stored, and may still be assigned later."""
    inbound = inbound_lock_visible(actor, inbound.pk)
    if inbound.status != InboundStatus.UNMATCHED:
        raise Conflict(_("Only unmatched email can be ignored."), code="not_unmatched")
    inbound.status = InboundStatus.IGNORED
    inbound.ignored_reason = ""
    inbound.handled_by = actor
    inbound.handled_at = now()
    inbound.save(
        update_fields=["status", "ignored_reason", "handled_by", "handled_at"],
    )
    return inbound
