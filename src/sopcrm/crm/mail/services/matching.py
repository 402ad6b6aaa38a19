"""Which record a received message answers, tried in this order:

1. token: a recipient address carries the reply token of a lead or deal (`crm+d12x...@`), which
   is an HMAC of the record's id, so it cannot be guessed or forged;
2. thread: In-Reply-To or References names a message we sent (OutboundEmail.message_id) or an
   earlier reply already on a record;
3. sender: the From address is the e-mail of exactly one *open* lead, or of the contact of
   exactly one open deal (case-insensitive). Two or more candidates is no match: a person can
   be in several deals, and guessing would log the reply on the wrong one.

A reply on a lead that has since been converted goes to the lead's one open deal, where the chase
now runs.
"""

import hmac
import re
from dataclasses import dataclass

from sopcrm.crm.records.models import Contact, Deal, Lead
from sopcrm.crm.records.services.playbook_context import pipeline_of
from sopcrm.playbook.schema import StageKind

from ..models import InboundEmail, InboundStatus, MatchMethod, OutboundEmail
from ..parsing import ParsedEmail
from .outbox import reply_token_for

_TOKEN = re.compile(r"^([ld])(\d{1,18})x([0-9a-f]{16})$")


@dataclass(frozen=True)
class Match:
    method: MatchMethod
    record: Lead | Deal
    contact: Contact | None = None


def is_open(record: Lead | Deal) -> bool:
    try:
        stage = pipeline_of(record).stage(record.stage)
    except LookupError:
        return False
    return stage is not None and stage.kind == StageKind.OPEN


def _where_the_chase_runs(record: Lead | Deal) -> Lead | Deal:
    if isinstance(record, Lead) and not is_open(record):
        deals = [d for d in Deal.objects.filter(lead=record) if is_open(d)]
        if len(deals) == 1:
            return deals[0]
    return record


def _contact_of(record: Lead | Deal) -> Contact | None:
    return record.contact if isinstance(record, Deal) else None


def record_for_token(token: str) -> Lead | Deal | None:
    found = _TOKEN.match(token.lower())
    if found is None:
        return None
    kind, pk = found.group(1), int(found.group(2))
    record: Lead | Deal | None = (
        Lead.objects.filter(pk=pk).first() if kind == "l" else Deal.objects.filter(pk=pk).first()
    )
    if record is None or not hmac.compare_digest(reply_token_for(record), token.lower()):
        return None
    return record


def _by_token(parsed: ParsedEmail) -> Match | None:
    for address in parsed.recipients:
        local = address.rpartition("@")[0]
        if "+" not in local:
            continue
        record = record_for_token(local.partition("+")[2])
        if record is not None:
            record = _where_the_chase_runs(record)
            return Match(MatchMethod.TOKEN, record, _contact_of(record))
    return None


def _by_thread(parsed: ParsedEmail) -> Match | None:
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if not ids:
        return None
    sent = (
        OutboundEmail.objects.filter(message_id__in=ids)
        .exclude(lead=None, deal=None)
        .select_related("lead", "deal", "contact")
        .order_by("-created_at", "-pk")
        .first()
    )
    if sent is not None:
        record: Lead | Deal | None = sent.deal or sent.lead
        assert record is not None
        record = _where_the_chase_runs(record)
        return Match(MatchMethod.THREAD, record, sent.contact or _contact_of(record))
    earlier = (
        InboundEmail.objects.filter(
            message_id__in=ids, status__in=[InboundStatus.MATCHED, InboundStatus.ASSIGNED]
        )
        .exclude(lead=None, deal=None)
        .select_related("lead", "deal", "contact")
        .order_by("-received_at", "-pk")
        .first()
    )
    if earlier is not None:
        record = earlier.deal or earlier.lead
        assert record is not None
        return Match(MatchMethod.THREAD, record, earlier.contact)
    return None


def sender_candidates(address: str) -> list[Lead | Deal]:
    """The open leads and deals whose e-mail (the deal's contact's) is `address`."""
    if not address:
        return []
    leads: list[Lead | Deal] = [
        lead for lead in Lead.objects.filter(email__iexact=address) if is_open(lead)
    ]
    deals: list[Lead | Deal] = [
        deal
        for deal in Deal.objects.filter(contact__email__iexact=address).select_related("contact")
        if is_open(deal)
    ]
    return leads + deals


def _by_sender(parsed: ParsedEmail) -> Match | None:
    candidates = sender_candidates(parsed.from_email)
    if len(candidates) != 1:
        return None
    record = candidates[0]
    return Match(MatchMethod.SENDER, record, _contact_of(record))


def match_inbound(parsed: ParsedEmail) -> Match | None:
    return _by_token(parsed) or _by_thread(parsed) or _by_sender(parsed)


def sender_contact(address: str) -> Contact | None:
    """The one contact with this address, as a hint for whoever reviews an unmatched message."""
    if not address:
        return None
    contacts = list(Contact.objects.filter(email__iexact=address)[:2])
    return contacts[0] if len(contacts) == 1 else None
