"""The search box of the top bar: leads, deals, accounts and contacts the user may see whose
name, company, e-mail or phone matches, grouped by type.

It searches what the API's `q` searches (querying.fields.SEARCH_FIELDS) plus what a person types
into a global search: a deal's contact, a contact's company, and phone numbers and e-mail
addresses in the forms they are stored in (core/normalise.py): phones are stored as E.164
(+8613800138000), so "138-0013-8000" or "(0)20 7946 0958" is matched by its digits; an address's
domain is stored lower-case and every text match ignores case.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from sopcrm.core import normalise
from sopcrm.core.models import RecordType, User

from . import selectors
from .querying.fields import SEARCH_FIELDS

SEARCH_LIMIT = 20
# The order of the groups on the page: the records people look up most first.
SEARCH_TYPES = (RecordType.LEAD, RecordType.DEAL, RecordType.ACCOUNT, RecordType.CONTACT)

# Besides SEARCH_FIELDS: the company of a contact and the contact of a deal.
EXTRA_FIELDS: dict[RecordType, tuple[str, ...]] = {
    RecordType.LEAD: (),
    RecordType.DEAL: ("contact__name", "contact__email"),
    RecordType.ACCOUNT: (),
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


@dataclass(frozen=True)
class SearchGroup:
    record_type: RecordType
    items: list[Any]
    total: int


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
    for path in SEARCH_FIELDS[record_type] + EXTRA_FIELDS[record_type]:
        condition |= Q(**{f"{path}__icontains": text})
    digits = phone_digits(text)
    if digits:
        condition |= Q(**{f"{PHONE_FIELDS[record_type]}__contains": digits})
    domain = _email_domain(text)
    if domain and record_type == RecordType.ACCOUNT:
        condition |= Q(domain=domain)  # the customer's address finds their company
    return condition


def record_search_in(user: User, record_type: RecordType, q: str) -> QuerySet[Any]:
    """The records of one type `user` may see that match `q`, most recently changed first."""
    rows = selectors.LIST_SELECTORS[record_type](user)
    return rows.filter(search_condition(record_type, q)).order_by("-updated_at", "-pk")


def record_search(user: User, q: str, *, limit: int = SEARCH_LIMIT) -> list[SearchGroup]:
    """The first `limit` matches of each type, with how many match in all; types without a
    match are left out. Two queries per type at most, whatever the number of matches."""
    text = q.strip()
    if not text or "\x00" in text:  # PostgreSQL refuses NUL in text
        return []
    groups = []
    for record_type in SEARCH_TYPES:
        rows = record_search_in(user, record_type, text)
        items = list(rows[:limit])
        total = len(items) if len(items) < limit else rows.count()
        if items:
            groups.append(SearchGroup(record_type, items, total))
    return groups
