"""Converting a qualified lead into an account, a contact and a deal (S-05), through the
playbook's explicit field mapping: each target field names the lead field it comes from, and
nothing else is copied (no blind copying of every field with the same name)."""

from dataclasses import dataclass
from typing import Any

from sopcrm.core.models import EventKind, RecordType, User
from sopcrm.playbook.schema import ConversionDef, ObjectType

from ..models import Account, Contact, Deal, Lead
from .accounts import ACCOUNT_FIELDS, account_create
from .contacts import CONTACT_FIELDS, contact_create
from .deals import DEAL_FIELDS, deal_create
from .logging import event_log
from .playbook_context import field_values


@dataclass(frozen=True)
class Conversion:
    account: Account | None
    contact: Contact | None
    deal: Deal


def _mapped(mapping: dict[str, str], values: dict[str, Any], core: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for target, source in mapping.items():
        value = values.get(source)
        if value in (None, "", []):
            continue
        (data if target in core else custom)[target] = value
    if custom:
        data["custom"] = custom
    return data


def lead_convert(lead: Lead, conversion: ConversionDef, *, actor: User) -> Conversion:
    """Create the account (when the mapping gives it a name), the contact (likewise) and the
    deal (titled by the mapping, else by the lead's name), owned by the lead's owner."""
    values = field_values(lead, ObjectType.LEAD)
    account_data = _mapped(conversion.account, values, set(ACCOUNT_FIELDS))
    account = account_create(actor=actor, data=account_data) if account_data.get("name") else None
    contact_data = _mapped(conversion.contact, values, set(CONTACT_FIELDS))
    if account is not None:
        contact_data["account"] = account.pk
    contact = contact_create(actor=actor, data=contact_data) if contact_data.get("name") else None
    deal_data = _mapped(conversion.deal, values, set(DEAL_FIELDS))
    deal_data.setdefault("title", lead.name)
    deal_data["lead"] = lead.pk
    deal_data["account"] = account.pk if account else None
    deal_data["contact"] = contact.pk if contact else None
    if lead.owner_id is not None:
        deal_data["owner"] = lead.owner_id
    deal = deal_create(actor=actor, data=deal_data)
    event_log(
        record_type=RecordType.LEAD,
        record_id=lead.pk,
        kind=EventKind.CONVERTED,
        actor=actor,
        data={
            "account": account.pk if account else None,
            "contact": contact.pk if contact else None,
            "deal": deal.pk,
        },
    )
    return Conversion(account, contact, deal)
