"""What a search box matches in each type of record: the one condition the top-bar search, the
lists' search box and the API's `q` share.

It matches the record's own text fields (fields.SEARCH_FIELDS), a deal's contact and a contact's
company, and phone numbers and e-mail addresses in the forms they are stored in
(core/normalise.py): phones are stored as E.164 (+8613800138000), so "138-0013-8000" or
"(0)20 7946 0958" is matched by its digits; an address's domain is stored lower-case and every
text match ignores case.

A field of a related record (a deal's account name) is matched through a join. (Matching it as
"the account is one of the accounts whose name matches" was tried: each such subquery reads the
whole related table, which made a rep's search twice as slow at 100,000 deals.)
"""

import re

from django.db.models import Q

from sopcrm.core import normalise
from sopcrm.core.models import RecordType

from .fields import SEARCH_FIELDS

# Besides SEARCH_FIELDS: the contact of a deal and the company of a contact.
EXTRA_FIELDS: dict[RecordType, tuple[str, ...]] = {
    RecordType.DEAL: ("contact__name", "contact__email"),
    RecordType.CONTACT: ("account__name",),
}
PHONE_FIELDS: dict[RecordType, str] = {
    RecordType.LEAD: "phone",
    RecordType.DEAL: "contact__phone",
    RecordType.ACCOUNT: "phone",
    RecordType.CONTACT: "phone",
}
_PHONE_LIKE = re.compile(r"[\d\s()+./-]+")
# Fewer digits than this match too much to be a phone number (a year, a quantity).
_MIN_PHONE_DIGITS = 6


def phone_digits(text: str) -> str:
    """The digits of a phone number as typed, without the trunk or international prefix zeros
    ("0138 0013 8000", "0086 138…"), which the stored E.164 form does not have; "" if the text
    is not a phone number."""
    if not _PHONE_LIKE.fullmatch(text):
        return ""
    digits = re.sub(r"\D", "", text).lstrip("0")
    return digits if len(digits) >= _MIN_PHONE_DIGITS else ""


def _email_domain(text: str) -> str:
    """The lower-case domain of a whole e-mail address typed in, else ""."""
    if "@" not in text:
        return ""
    try:
        return normalise.web_domain(normalise.email_address(text))
    except ValueError:
        return ""


def search_condition(record_type: RecordType, text: str) -> Q:
    """What matches `text` in one type of record (case-insensitive)."""
    condition = Q()
    for path in SEARCH_FIELDS[record_type] + EXTRA_FIELDS.get(record_type, ()):
        condition |= Q(**{f"{path}__icontains": text})
    digits = phone_digits(text)
    if digits and record_type in PHONE_FIELDS:
        condition |= Q(**{f"{PHONE_FIELDS[record_type]}__contains": digits})
    domain = _email_domain(text)
    if domain and record_type == RecordType.ACCOUNT:
        condition |= Q(domain=domain)  # the customer's address finds their company
    return condition
