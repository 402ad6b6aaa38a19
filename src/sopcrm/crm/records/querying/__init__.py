"""Filtering, searching, sorting and cursor pagination of record lists, for the API and the web UI.

Everything starts from a selector's queryset, so visibility is applied before anything else. What a
caller may filter or sort on is a whitelist per record type: the core columns below plus the custom
fields of the active playbook that the user may see. Filtering or sorting on a hidden field is
refused rather than ignored, because either would reveal its values (sorting by a floor price
orders the deals by it).

Filters are written `field:op:value` (see OPS); custom fields as `custom.<key>`. Custom values live
in a JSON column in the stored forms of core/fieldtypes.py, which were chosen so that one
expression per type compares the same on SQLite and PostgreSQL: numbers are cast to floats, money
amounts to decimals, and dates and UTC datetimes compare as the ISO strings they are stored as.

Pages are keyset pages on (sort value, id): a cursor holds the last row's sort value and id, so
rows inserted while a client walks the list neither repeat nor shift the pages. Rows without a
value in the sort column come last in both directions.
"""

from .fields import (
    DEFAULT_LIMIT,
    DEFAULT_SORT,
    MAX_LIMIT,
    Kind,
    Queryable,
    QueryField,
    queryable_fields,
)
from .filters import Filter, Sort, apply_filters, apply_search, parse_filter, parse_sort
from .pages import Page, check_limit, decode_cursor, encode_cursor, paginate, record_page

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_SORT",
    "MAX_LIMIT",
    "Filter",
    "Kind",
    "Page",
    "QueryField",
    "Queryable",
    "Sort",
    "apply_filters",
    "apply_search",
    "check_limit",
    "decode_cursor",
    "encode_cursor",
    "paginate",
    "parse_filter",
    "parse_sort",
    "queryable_fields",
    "record_page",
]
