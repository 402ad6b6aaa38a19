"""The search box of the top bar: leads, deals, accounts and contacts the user may see whose
name, company, e-mail or phone matches, grouped by type. What matches is the condition the lists
and the API's `q` use too (querying/matching.py).
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Window

from sopcrm.core.models import RecordType, User

from . import selectors
from .querying.matching import search_condition

SEARCH_LIMIT = 20
# The order of the groups on the page: the records people look up most first.
SEARCH_TYPES = (RecordType.LEAD, RecordType.DEAL, RecordType.ACCOUNT, RecordType.CONTACT)


@dataclass(frozen=True)
class SearchGroup:
    record_type: RecordType
    items: list[Any]
    total: int


def record_search_in(user: User, record_type: RecordType, q: str) -> QuerySet[Any]:
    """The records of one type `user` may see that match `q`, most recently changed first."""
    rows = selectors.LIST_SELECTORS[record_type](user)
    return rows.filter(search_condition(record_type, q)).order_by("-updated_at", "-pk")


def record_search(user: User, q: str, *, limit: int = SEARCH_LIMIT) -> list[SearchGroup]:
    """The first `limit` matches of each type, with how many match in all; types without a
    match are left out. One query per type, whatever the number of matches: the count is a
    window over the same matches, which the sort has read anyway (a second `COUNT` query
    searched everything again: docs/performance.md, "Pages")."""
    text = q.strip()
    if not text or "\x00" in text:  # PostgreSQL refuses NUL in text
        return []
    groups = []
    for record_type in SEARCH_TYPES:
        rows = record_search_in(user, record_type, text)
        items = list(rows.annotate(search_total=Window(Count("pk")))[:limit])
        if items:
            groups.append(SearchGroup(record_type, items, items[0].search_total))
    return groups
