"""What a search box matches in each type of record: the one condition the top-bar search, the
lists' search box and the API's `q` share.

It matches the record's own text fields (fields.SEARCH_FIELDS), a deal's account and contact and
a contact's company, and phone numbers and e-mail addresses in the forms they are stored in
(core/normalise.py): phones are stored as E.164 (+8613800138000), so "138-0013-8000" or
"(0)20 7946 0958" is matched by its digits; an address's domain is stored lower-case and every
text match ignores case.

The condition is built so that an index can serve each part (docs/performance.md, "Pages"): a
record's own columns are matched with `icontains`, which PostgreSQL answers from the trigram
indexes of migration 0008 (`UPPER(column) LIKE UPPER('%word%')` is the indexed expression) and
SQLite from the FTS5 trigram tables of migration 0010 (a phrase query); a
related record's fields as "the account is one of the accounts that match", a subquery that
uses the account table's own indexes, rather than a join that tests every visible deal's account
and contact. (Without the trigram indexes each such subquery read the whole related table, which
made a rep's search twice as slow as the join.)
"""

import re

from django.db import connection
from django.db.models import Model, Q
from django.db.models.expressions import RawSQL

from sopcrm.core import normalise
from sopcrm.core.models import RecordType

from ..models import Account, Contact
from .fields import SEARCH_FIELDS

# The related records a search also looks into: (foreign key, related type, its fields, whether
# its phone is matched by digits).
RELATED: dict[RecordType, tuple[tuple[str, RecordType, tuple[str, ...], bool], ...]] = {
    RecordType.DEAL: (
        ("account", RecordType.ACCOUNT, ("name",), False),
        ("contact", RecordType.CONTACT, ("name", "email"), True),
    ),
    RecordType.CONTACT: (("account", RecordType.ACCOUNT, ("name",), False),),
}
PHONE_FIELD: dict[RecordType, str] = {
    RecordType.LEAD: "phone",
    RecordType.ACCOUNT: "phone",
    RecordType.CONTACT: "phone",
}
_MODELS: dict[RecordType, type[Model]] = {RecordType.ACCOUNT: Account, RecordType.CONTACT: Contact}
# SQLite: the FTS5 trigram table of each record table (migration 0010), which holds exactly
# fields.SEARCH_FIELDS of its type.
FTS_TABLE: dict[RecordType, str] = {
    RecordType.ACCOUNT: "records_account_search",
    RecordType.CONTACT: "records_contact_search",
    RecordType.LEAD: "records_lead_search",
    RecordType.DEAL: "records_deal_search",
}
# A trigram index finds only words of three characters or more; shorter ones are looked for
# row by row.
_MIN_INDEXED = 3
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


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts_match(record_type: RecordType, fields: tuple[str, ...], text: str, digits: str) -> Q:
    """SQLite: the rows whose `fields` contain `text` (or whose phone contains `digits`), from
    the FTS5 trigram table: a phrase of the trigram tokenizer matches any substring, ignoring
    case."""
    table = FTS_TABLE[record_type]
    query = f"{{{' '.join(fields)}}} : {_phrase(text)}"
    if digits and record_type in PHONE_FIELD:
        query += f" OR {PHONE_FIELD[record_type]} : {_phrase(digits)}"
    # The table's name is one of FTS_TABLE's; the words go in as a parameter.
    sql = f'SELECT rowid FROM "{table}" WHERE "{table}" MATCH %s'  # noqa: S608
    rowids = RawSQL(sql, [query])  # noqa: S611
    return Q(pk__in=rowids)


def _columns_match(
    record_type: RecordType, fields: tuple[str, ...], text: str, digits: str, domain: str
) -> Q:
    """`text` in the record's own `fields`; the phone by its digits, the account by the domain
    of an address. Digits are matched with `icontains` too (they have no case) so that the
    phone column's index serves them."""
    if connection.vendor == "sqlite" and record_type in FTS_TABLE and len(text) >= _MIN_INDEXED:
        condition = _fts_match(record_type, fields, text, digits)
        if domain and record_type == RecordType.ACCOUNT:
            condition |= Q(domain=domain)
        return condition
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": text})
    if digits and record_type in PHONE_FIELD:
        condition |= Q(**{f"{PHONE_FIELD[record_type]}__icontains": digits})
    if domain and record_type == RecordType.ACCOUNT:
        condition |= Q(domain=domain)  # the customer's address finds their company
    return condition


def search_condition(record_type: RecordType, text: str) -> Q:
    """What matches `text` in one type of record (case-insensitive)."""
    if "\x00" in text:  # no stored text holds NUL (PostgreSQL refuses it)
        return Q(pk__in=[])
    digits = phone_digits(text)
    domain = _email_domain(text)
    condition = _columns_match(record_type, SEARCH_FIELDS[record_type], text, digits, domain)
    for key, related_type, fields, by_phone in RELATED.get(record_type, ()):
        related = _columns_match(related_type, fields, text, digits if by_phone else "", "")
        matching = _MODELS[related_type]._default_manager.filter(related)
        condition |= Q(**{f"{key}_id__in": matching.values("pk")})
    return condition
