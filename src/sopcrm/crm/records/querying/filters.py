"""Parsing `field:op:value` filters and sort keys, and applying them and the search box."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.db.models import (
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from sopcrm.core import normalise
from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import RecordType

from .fields import DEFAULT_SORT, OPS, Kind, Queryable, QueryField
from .matching import search_condition

_COMPARE = {"lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte"}
_BLANKABLE = {Kind.TEXT, Kind.KEY, Kind.COUNTRY}


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
                # isdigit() alone lets "²" through, which int() refuses.
                if not (text.isascii() and text.isdigit()) or int(text) >= 2**63:
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
    return qs.filter(search_condition(record_type, text))


# Cursors -------------------------------------------------------------------------------------
