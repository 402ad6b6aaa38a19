"""The merge fields: a fixed, declared set (playbook.schema.MERGE_FIELDS), each computed by plain
code from the record and the sender. Templates name them as `{{ name }}` and can do nothing else,
so a template cannot reach data it was not meant to show.

A field without a value is None, never "": rendering for sending refuses it by name, so an empty
salutation never reaches a customer. Custom values count only when the sender may see the field.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sopcrm.core.models import User
from sopcrm.crm.records.models import Deal, Lead
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.fields import visible_field_keys
from sopcrm.process.playbooks import playbook_for_version


@dataclass(frozen=True)
class MergeField:
    description: Promise
    source: Promise  # where the value comes from: shown when it is missing


MERGE_FIELD_INFO: dict[str, MergeField] = {
    "contact_name": MergeField(
        _("The customer's full name"), _("the deal's contact, or the lead's contact name")
    ),
    "contact_first_name": MergeField(
        _("The first word of the customer's name, for “Dear …”"),
        _("the deal's contact, or the lead's contact name"),
    ),
    "contact_title": MergeField(_("The contact's job title"), _("the contact's job title")),
    "company": MergeField(
        _("The customer's company"), _("the deal's account, or the lead's company")
    ),
    "country": MergeField(
        _("The customer's country, by name"), _("the country of the contact, lead or account")
    ),
    "product": MergeField(
        _("What the customer asked for"),
        _("the “Product of interest” field (of the deal or its lead), else the deal's title"),
    ),
    "specifications": MergeField(
        _("The core specifications"), _("the deal's “Core specifications” field")
    ),
    "quantity": MergeField(_("The quantity"), _("the “Quantity” field (of the deal or its lead)")),
    "target_price": MergeField(
        _("The customer's target price"), _("the “Target price” field (of the deal or its lead)")
    ),
    "lead_time": MergeField(
        _("The lead time the customer needs"), _("the deal's “Lead-time requirement” field")
    ),
    "certifications": MergeField(
        _("The target market and certifications"), _("the deal's “Certifications” field")
    ),
    "quote_date": MergeField(_("The quote date"), _("the deal's “Quote date” field")),
    "quote_valid_until": MergeField(
        _("The date the quote is valid until"), _("the deal's “Quote valid until” field")
    ),
    "amount": MergeField(_("The deal's amount, e.g. 12,500.00"), _("the deal's amount")),
    "currency": MergeField(_("The deal's currency, e.g. USD"), _("the deal's currency")),
    "deal_title": MergeField(_("The deal's title"), _("the deal's title")),
    "rep_name": MergeField(_("The sender's name"), _("the sender's display name")),
    "rep_email": MergeField(_("The sender's email address"), _("the sender's email address")),
    "rep_signature": MergeField(
        _("The sender's signature (the one for the template's language, else the default)"),
        _("the sender's email signatures: add one"),
    ),
}

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _visible_custom(record: Lead | Deal, sender: User) -> dict[str, Any]:
    object_type = ObjectType.LEAD if isinstance(record, Lead) else ObjectType.DEAL
    playbook = playbook_for_version(record.playbook_version_id)
    keys = visible_field_keys(sender, playbook, object_type)
    return {k: v for k, v in (record.custom or {}).items() if k in keys}


def format_date(text: Any, language: str) -> str | None:
    """A stored date ('2026-03-12') as '12 March 2026' in English, else as ISO 8601 (the one
    form every reader understands without a month name in their language)."""
    try:
        day = date.fromisoformat(str(text)[:10])
    except ValueError:
        return None
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}" if language == "en" else day.isoformat()


def format_number(value: Any, places: int | None = None) -> str | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if places is None:
        places = 0 if number == number.to_integral_value() else 2
    return f"{number:,.{places}f}"


def _money(value: Any) -> str | None:
    if not isinstance(value, dict) or value.get("amount") in (None, ""):
        return None
    amount = format_number(value["amount"], 2)
    return f"{value.get('currency', '')} {amount}".strip() if amount else None


def _country(code: str) -> str | None:
    found = pycountry.countries.get(alpha_2=code) if code else None
    return getattr(found, "common_name", None) or getattr(found, "name", None)


def merge_values(
    record: Lead | Deal, sender: User, *, language: str, signature: str | None
) -> dict[str, str | None]:
    """Every merge field's value for this record and sender; None where there is none."""
    deal = record if isinstance(record, Deal) else None
    lead = record if isinstance(record, Lead) else (deal.lead if deal else None)
    contact = deal.contact if deal else None
    account = deal.account if deal and deal.account else (contact.account if contact else None)
    custom = _visible_custom(lead, sender) if lead is not None else {}
    if deal is not None:
        custom.update(
            {k: v for k, v in _visible_custom(deal, sender).items() if v not in ("", None)}
        )

    name = contact.name if contact else (lead.name if lead else "")
    countries = [contact.country if contact else "", lead.country if lead else ""]
    values: dict[str, Any] = {
        "contact_name": name,
        "contact_first_name": name.split()[0] if name.split() else None,
        "contact_title": contact.job_title if contact else None,
        "company": account.name if account else (lead.company if lead else None),
        "country": _country(next((c for c in countries if c), account.country if account else "")),
        "product": custom.get("product_interest") or (deal.title if deal else None),
        "specifications": custom.get("core_specifications"),
        "quantity": format_number(custom["quantity"]) if "quantity" in custom else None,
        "target_price": _money(custom.get("target_price")),
        "lead_time": custom.get("lead_time_requirement"),
        "certifications": custom.get("certifications"),
        "quote_date": format_date(custom.get("quote_date"), language),
        "quote_valid_until": format_date(custom.get("quote_valid_until"), language),
        "amount": format_number(deal.amount, 2) if deal and deal.amount is not None else None,
        "currency": deal.currency if deal else None,
        "deal_title": deal.title if deal else None,
        "rep_name": str(sender),
        "rep_email": sender.email,
        "rep_signature": signature,
    }
    return {
        key: (str(value).strip() or None) if value not in (None, "") else None
        for key, value in values.items()
    }
