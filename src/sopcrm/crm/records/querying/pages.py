"""Keyset pages on (sort value, id) with opaque cursors, and the one call lists use."""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    F,
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _

from sopcrm.core import normalise
from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import RecordType, User

from ..selectors import LIST_SELECTORS
from .fields import DEFAULT_LIMIT, MAX_LIMIT, Kind, QueryField, queryable_fields
from .filters import Sort, apply_filters, apply_search, parse_filter, parse_sort


@dataclass
class Page[T]:
    items: list[T]
    next_cursor: str | None


def _cursor_value(qf: QueryField, value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _value_from_cursor(qf: QueryField, raw: Any) -> Any:
    # Cursors come back from clients: anything the database could choke on is refused here.
    if raw is None:
        return None
    if qf.kind == Kind.DATETIME and not qf.in_json:
        return datetime.fromisoformat(raw)
    if qf.kind == Kind.DATE and not qf.in_json:
        return date.fromisoformat(raw)
    if qf.kind == Kind.DECIMAL:
        return normalise.decimal_amount(raw)
    if qf.kind == Kind.NUMBER:
        number = float(raw)
        if number != number or abs(number) == float("inf"):
            raise ValueError(raw)
        return number
    if qf.kind == Kind.ID:
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < 2**63:
            raise ValueError(raw)
        return raw
    if not isinstance(raw, str):
        raise ValueError(raw)
    return raw


def encode_cursor(sort: Sort, value: Any, row_id: int) -> str:
    payload = json.dumps(
        {"s": sort.key, "v": _cursor_value(sort.field, value), "id": row_id},
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[Any, int]:
    """The (sort value, id) a cursor points after; InvalidInput if it is not one of ours or was
    made for another sort order."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        row_id = data.get("id") if isinstance(data, dict) else None
        if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 <= row_id < 2**63:
            raise ValueError(cursor)
        if data.get("s") != sort.key:
            raise InvalidInput.single(
                "cursor", "sort_mismatch", _("This cursor belongs to another sort order.")
            )
        value = _value_from_cursor(sort.field, data.get("v"))
    except (ValueError, TypeError, binascii.Error, ArithmeticError):
        raise InvalidInput.single(
            "cursor", "invalid", _("This cursor is not valid; start again without one.")
        ) from None
    return value, row_id


def _after(sort: Sort, value: Any, row_id: int) -> Q:
    """The rows after (value, id) in the order `value` (nulls last), then `id`."""
    beyond = "lt" if sort.descending else "gt"
    if value is None:
        return Q(_sort_value__isnull=True, **{f"id__{beyond}": row_id})
    return (
        Q(**{f"_sort_value__{beyond}": value})
        | Q(_sort_value=value, **{f"id__{beyond}": row_id})
        | Q(_sort_value__isnull=True)
    )


def paginate(qs: QuerySet[Any], sort: Sort, *, limit: int, cursor: str | None) -> Page[Any]:
    expression = sort.field.expression
    qs = qs.annotate(_sort_value=F(expression) if isinstance(expression, str) else expression)
    if sort.descending:
        qs = qs.order_by(F("_sort_value").desc(nulls_last=True), "-id")
    else:
        qs = qs.order_by(F("_sort_value").asc(nulls_last=True), "id")
    if cursor:
        value, row_id = decode_cursor(sort, cursor)
        qs = qs.filter(_after(sort, value, row_id))
    rows = list(qs[: limit + 1])
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    last = rows[-1]
    return Page(rows, encode_cursor(sort, last._sort_value, last.pk))


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.single(
            "limit", "range", _("Give a limit from 1 to %(max)d.") % {"max": MAX_LIMIT}
        )
    return limit


def record_page(
    user: User,
    record_type: RecordType,
    *,
    filters: Sequence[str] = (),
    sort: str | None = None,
    q: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    queryset: QuerySet[Any] | None = None,
) -> Page[Any]:
    """One page of the records `user` may see, filtered, searched and sorted.

    `queryset` narrows the selector's list further (e.g. a record's activities); it must come
    from a selector. Bad parameters raise InvalidInput naming the parameter.
    """
    check_limit(limit)
    for name, values in (("filter", filters), ("sort", [sort]), ("q", [q]), ("cursor", [cursor])):
        if any(v and "\x00" in v for v in values):
            # PostgreSQL refuses NUL in text outright; refuse it on SQLite too.
            raise InvalidInput.single(name, "invalid", _("NUL characters are not allowed."))
    queryable = queryable_fields(user, record_type)
    parsed = [parse_filter(queryable, raw) for raw in filters]
    order = parse_sort(queryable, sort)
    qs = queryset if queryset is not None else LIST_SELECTORS[record_type](user)
    qs = apply_search(apply_filters(qs, parsed), record_type, q)
    return paginate(qs, order, limit=limit, cursor=cursor)
