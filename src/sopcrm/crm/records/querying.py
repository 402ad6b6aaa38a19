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

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db.models import (
    DateField,
    DateTimeField,
    DecimalField,
    Expression,
    F,
    Field,
    FloatField,
    ForeignKey,
    IntegerField,
    Model,
    Q,
    QuerySet,
    TextField,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from sopcrm.core import normalise
from sopcrm.core.errors import InvalidInput
from sopcrm.core.fieldtypes import FieldType
from sopcrm.core.models import RecordType, User
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.fields import field_defs, visible_field_keys
from sopcrm.process.playbooks import active_version, playbook_for_version

from .models import Account, Activity, Contact, Deal, Lead
from .selectors import LIST_SELECTORS

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
DEFAULT_SORT = "-created_at"


class Kind(StrEnum):
    """How a field's filter values are read and compared."""

    TEXT = "text"  # free text: exact or case-insensitive `contains`
    KEY = "key"  # a code (stage, source, choice option): exact
    COUNTRY = "country"  # an ISO code; the filter value may be a name ("China")
    NUMBER = "number"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    ID = "id"  # a record or user id
    LIST = "list"  # a multi_choice list: `contains` one option


OPS: dict[Kind, frozenset[str]] = {
    Kind.TEXT: frozenset({"eq", "ne", "in", "contains", "empty"}),
    Kind.KEY: frozenset({"eq", "ne", "in", "empty"}),
    Kind.COUNTRY: frozenset({"eq", "ne", "in", "empty"}),
    Kind.NUMBER: frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "empty"}),
    Kind.DECIMAL: frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "empty"}),
    Kind.DATE: frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "empty"}),
    Kind.DATETIME: frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "empty"}),
    Kind.BOOL: frozenset({"eq", "ne", "empty"}),
    Kind.ID: frozenset({"eq", "ne", "in", "empty"}),
    Kind.LIST: frozenset({"contains", "empty"}),
}
_COMPARE = {"lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte"}
# Kinds whose empty value may also be "" (text columns are NOT NULL with a blank default).
_BLANKABLE = {Kind.TEXT, Kind.KEY, Kind.COUNTRY}


@dataclass(frozen=True)
class QueryField:
    """One field a list can be filtered or sorted on.

    `expression` is an ORM path for a core column, or a database expression over the custom
    JSON column; `in_json` marks the latter (dates and datetimes there are ISO strings)."""

    name: str
    kind: Kind
    expression: str | Expression
    sortable: bool = True
    in_json: bool = False
    options: tuple[str, ...] = ()


def _kind_of(model_field: Field[Any, Any]) -> Kind:
    if model_field.name == "country":
        return Kind.COUNTRY
    if model_field.primary_key or isinstance(model_field, ForeignKey):
        return Kind.ID
    if isinstance(model_field, DecimalField):
        return Kind.DECIMAL
    if isinstance(model_field, DateTimeField):  # before DateField, its base class
        return Kind.DATETIME
    if isinstance(model_field, DateField):
        return Kind.DATE
    return Kind.KEY if model_field.choices else Kind.TEXT


_COMMON = "id owner created_at updated_at"
_STAGED = "pipeline stage stage_entered_at"
_ORDERED_KINDS = {Kind.ID, Kind.DECIMAL, Kind.DATETIME, Kind.DATE}


def _core_fields(model: type[Model], names: str, *, text_sort: str) -> dict[str, QueryField]:
    """Core columns by name, their kind read from the model. Numbers, amounts, dates and ids
    sort; text columns sort only where listed (ordering by e-mail or phone helps nobody)."""
    fields = {}
    for name in names.split():
        model_field = model._meta.get_field(name)
        assert isinstance(model_field, Field)  # a column, not a reverse relation
        kind = _kind_of(model_field)
        sortable = name in text_sort.split() or (
            kind in _ORDERED_KINDS and not model_field.is_relation
        )
        fields[name] = QueryField(name, kind, model_field.attname, sortable=sortable)
    return fields


CORE_FIELDS: dict[RecordType, dict[str, QueryField]] = {
    RecordType.ACCOUNT: _core_fields(
        Account,
        f"{_COMMON} name website domain country industry phone",
        text_sort="name country industry",
    ),
    RecordType.CONTACT: _core_fields(
        Contact,
        f"{_COMMON} account name job_title email phone country",
        text_sort="name job_title country",
    ),
    RecordType.LEAD: _core_fields(
        Lead,
        f"{_COMMON} {_STAGED} name company email phone country source received_at",
        text_sort="name company country",
    ),
    RecordType.DEAL: _core_fields(
        Deal,
        f"{_COMMON} {_STAGED} title account contact lead amount currency expected_close_on "
        "closed_at",
        text_sort="title",
    ),
    RecordType.ACTIVITY: _core_fields(
        Activity,
        f"{_COMMON} kind status subject channel direction feedback_type due_at occurred_at "
        "completed_at lead deal account contact",
        text_sort="subject",
    ),
}

# What `q` searches, case-insensitively.
SEARCH_FIELDS: dict[RecordType, tuple[str, ...]] = {
    RecordType.ACCOUNT: ("name", "domain", "phone", "industry"),
    RecordType.CONTACT: ("name", "email", "phone", "job_title"),
    RecordType.LEAD: ("name", "company", "email", "phone"),
    RecordType.DEAL: ("title", "account__name"),
    RecordType.ACTIVITY: ("subject", "summary"),
}


def _custom_field(key: str, field_type: FieldType, options: tuple[str, ...]) -> QueryField:
    name = f"custom.{key}"
    # Cast to text so that the plain text lookups apply, not the JSON key ones (which would
    # read the filter value as JSON).
    text = Cast(KeyTextTransform(key, "custom"), TextField())
    match field_type:
        case FieldType.NUMBER:
            number = Cast(KeyTextTransform(key, "custom"), FloatField())
            return QueryField(name, Kind.NUMBER, number, in_json=True)
        case FieldType.MONEY:
            amount = Cast(
                KeyTextTransform("amount", KeyTransform(key, "custom")),
                DecimalField(max_digits=16, decimal_places=2),
            )
            return QueryField(name, Kind.DECIMAL, amount, in_json=True)
        case FieldType.DATE:
            return QueryField(name, Kind.DATE, text, in_json=True)
        case FieldType.DATETIME:
            return QueryField(name, Kind.DATETIME, text, in_json=True)
        case FieldType.BOOL:
            # A JSON key lookup compares JSON true/false the same way on both databases.
            return QueryField(name, Kind.BOOL, f"custom__{key}", sortable=False, in_json=True)
        case FieldType.USER:
            user_id = Cast(KeyTextTransform(key, "custom"), IntegerField())
            return QueryField(name, Kind.ID, user_id, in_json=True)
        case FieldType.COUNTRY:
            return QueryField(name, Kind.COUNTRY, text, in_json=True)
        case FieldType.CHOICE:
            return QueryField(name, Kind.KEY, text, in_json=True, options=options)
        case FieldType.MULTI_CHOICE:
            return QueryField(name, Kind.LIST, text, sortable=False, in_json=True, options=options)
        case _:
            return QueryField(name, Kind.TEXT, text, in_json=True)


@dataclass(frozen=True)
class Queryable:
    """The fields of one record type a user may filter and sort on, and the custom fields that
    exist but are hidden from them (named in the refusal instead of "unknown field")."""

    record_type: RecordType
    fields: Mapping[str, QueryField]
    hidden: frozenset[str] = frozenset()


def queryable_fields(user: User, record_type: RecordType) -> Queryable:
    """Core fields plus the custom fields of the active playbook visible to `user`.

    Custom fields are read by the active version's definitions: leads and deals started under an
    older version keep their values under the same keys, and a list mixes both.
    """
    fields = dict(CORE_FIELDS[record_type])
    if record_type.value not in {o.value for o in ObjectType}:
        return Queryable(record_type, fields)
    playbook = playbook_for_version(active_version().pk)
    visible = visible_field_keys(user, playbook, record_type.value)
    hidden: set[str] = set()
    for definition in field_defs(playbook, record_type.value):
        if definition.key in visible:
            custom = _custom_field(definition.key, definition.type, definition.option_keys)
            fields[custom.name] = custom
        else:
            hidden.add(f"custom.{definition.key}")
    return Queryable(record_type, fields, frozenset(hidden))


@dataclass(frozen=True)
class Filter:
    field: QueryField
    op: str
    value: Any


@dataclass(frozen=True)
class Sort:
    field: QueryField
    descending: bool

    @property
    def key(self) -> str:
        return f"-{self.field.name}" if self.descending else self.field.name


@dataclass
class Page[T]:
    items: list[T]
    next_cursor: str | None


def _field_for(queryable: Queryable, name: str, param: str) -> QueryField:
    found = queryable.fields.get(name)
    if found is not None:
        return found
    if name in queryable.hidden:
        raise InvalidInput.single(
            param,
            "not_visible",
            _("%(field)s: you may not see this field, so you cannot filter or sort on it.")
            % {"field": name},
        )
    raise InvalidInput.single(
        param,
        "unknown_field",
        _("%(field)s: no such field; use one of: %(fields)s.")
        % {"field": name, "fields": ", ".join(sorted(queryable.fields))},
    )


def _bad_value(field_name: str, message: str) -> InvalidInput:
    return InvalidInput.single(
        "filter",
        "invalid_value",
        _("%(field)s: %(message)s") % {"field": field_name, "message": message},
    )


def _parse_value(qf: QueryField, text: str) -> Any:
    """The database value a filter compares with, read from the text after `field:op:`."""
    text = text.strip()
    try:
        match qf.kind:
            case Kind.TEXT:
                return text
            case Kind.KEY | Kind.LIST:
                if qf.options and text not in qf.options:
                    raise ValueError(
                        _("choose one of: %(options)s.") % {"options": ", ".join(qf.options)}
                    )
                return text
            case Kind.COUNTRY:
                return normalise.country_code(text)
            case Kind.NUMBER:
                number = float(text)
                if number != number or number in (float("inf"), float("-inf")):
                    raise ValueError
                return number
            case Kind.DECIMAL:
                return normalise.decimal_amount(text)
            case Kind.DATE:
                day = date.fromisoformat(text)
                return day.isoformat() if qf.in_json else day
            case Kind.DATETIME:
                moment = _parse_datetime(text)
                # Custom datetimes are stored as UTC ISO strings without microseconds.
                if qf.in_json:
                    return moment.astimezone(UTC).replace(microsecond=0).isoformat()
                return moment
            case Kind.BOOL:
                if text not in ("true", "false"):
                    raise ValueError(_("use true or false."))
                return text == "true"
            case Kind.ID:
                if not text.isdigit() or int(text) >= 2**63:
                    raise ValueError(_("use a numeric id."))
                return int(text)
    except ValueError as exc:
        message = str(exc) or _("%(value)s is not a valid %(kind)s.") % {
            "value": text,
            "kind": qf.kind.value,
        }
        raise _bad_value(qf.name, message) from None
    raise AssertionError(qf.kind)  # pragma: no cover


def _parse_datetime(text: str) -> datetime:
    """An ISO datetime with its offset, or a date meaning midnight in the site's time zone."""
    if len(text) == 10:
        moment = timezone.make_aware(datetime.combine(date.fromisoformat(text), time()))
    else:
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(_("give the time zone, e.g. 2025-03-01T09:00:00+08:00."))
    try:
        moment.astimezone(UTC)  # year 1 or 9999 with an offset may not fit once in UTC
    except OverflowError:
        raise ValueError(_("the date is out of range.")) from None
    return moment


def parse_filter(queryable: Queryable, raw: str) -> Filter:
    """One `field:op:value` filter. The value may itself contain colons (times)."""
    parts = raw.split(":", 2)
    if len(parts) < 2:
        raise InvalidInput.single(
            "filter",
            "syntax",
            _("%(filter)s: write filters as field:op:value, e.g. stage:eq:quoted.")
            % {"filter": raw},
        )
    name, op = parts[0].strip(), parts[1].strip()
    qf = _field_for(queryable, name, "filter")
    if op not in OPS[qf.kind]:
        raise InvalidInput.single(
            "filter",
            "unknown_op",
            _("%(field)s: use one of the operators %(ops)s.")
            % {"field": name, "ops": ", ".join(sorted(OPS[qf.kind]))},
        )
    value_text = parts[2] if len(parts) == 3 else ""
    if op == "empty":
        if value_text not in ("", "true", "false"):
            raise _bad_value(name, _("use empty, empty:true or empty:false."))
        return Filter(qf, op, value_text != "false")
    if op == "in":
        values = [_parse_value(qf, v) for v in value_text.split(",") if v.strip()]
        if not values:
            raise _bad_value(name, _("give one or more values separated by commas."))
        return Filter(qf, op, values)
    if len(parts) < 3:
        raise _bad_value(name, _("give a value after the operator."))
    return Filter(qf, op, _parse_value(qf, value_text))


def parse_sort(queryable: Queryable, raw: str | None) -> Sort:
    text = (raw or DEFAULT_SORT).strip()
    descending = text.startswith("-")
    qf = _field_for(queryable, text.removeprefix("-"), "sort")
    if not qf.sortable:
        sortable = sorted(name for name, f in queryable.fields.items() if f.sortable)
        raise InvalidInput.single(
            "sort",
            "not_sortable",
            _("%(field)s: cannot sort on this field; use one of: %(fields)s.")
            % {"field": qf.name, "fields": ", ".join(sortable)},
        )
    return Sort(qf, descending)


def _condition(path: str, f: Filter) -> Q:
    if f.op == "empty":
        empty = Q(**{f"{path}__isnull": True})
        if f.field.kind in _BLANKABLE:
            empty |= Q(**{path: ""})
        return empty if f.value else ~empty
    if f.op == "eq":
        return Q(**{path: f.value})
    if f.op == "ne":
        # "Not equal" keeps the rows without a value, as a person reading the filter expects.
        return ~Q(**{path: f.value}) | Q(**{f"{path}__isnull": True})
    if f.op == "in":
        return Q(**{f"{path}__in": f.value})
    if f.op == "contains" and f.field.kind == Kind.LIST:
        # A multi_choice list is stored as JSON text such as ["a", "b"]; option keys are
        # [a-z0-9_] words, so the quoted key matches exactly one element on both databases.
        return Q(**{f"{path}__contains": f'"{f.value}"'})
    if f.op == "contains":
        return Q(**{f"{path}__icontains": f.value})
    return Q(**{f"{path}__{_COMPARE[f.op]}": f.value})


def apply_filters(qs: QuerySet[Any], filters: Sequence[Filter]) -> QuerySet[Any]:
    for number, f in enumerate(filters):
        path = f.field.expression
        if not isinstance(path, str):
            alias = f"_filter_{number}"
            qs = qs.alias(**{alias: path})
            path = alias
        qs = qs.filter(_condition(path, f))
    return qs


def apply_search(qs: QuerySet[Any], record_type: RecordType, q: str | None) -> QuerySet[Any]:
    text = (q or "").strip()
    if not text:
        return qs
    match = Q()
    for path in SEARCH_FIELDS[record_type]:
        match |= Q(**{f"{path}__icontains": text})
    return qs.filter(match)


# Cursors -------------------------------------------------------------------------------------


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
