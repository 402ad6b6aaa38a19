"""What a caller may filter and sort on, per record type: the core columns and the custom fields
the user may see, each with one database expression that behaves the same on SQLite and
PostgreSQL."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import (
    DateField,
    DateTimeField,
    DecimalField,
    Expression,
    Field,
    FloatField,
    ForeignKey,
    IntegerField,
    Model,
    TextField,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast

from sopcrm.core.fieldtypes import FieldType
from sopcrm.core.models import RecordType, User
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.fields import field_defs, visible_field_keys
from sopcrm.process.playbooks import active_version, playbook_for_version

from ..models import Account, Activity, Contact, Deal, Lead

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
# Kinds whose empty value may also be "" (text columns are NOT NULL with a blank default).


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

# What `q` searches, case-insensitively, in the record's own columns (a deal's account and
# contact and a contact's account: matching.RELATED).
SEARCH_FIELDS: dict[RecordType, tuple[str, ...]] = {
    RecordType.ACCOUNT: ("name", "domain", "phone", "industry"),
    RecordType.CONTACT: ("name", "email", "phone", "job_title"),
    RecordType.LEAD: ("name", "company", "email", "phone"),
    RecordType.DEAL: ("title",),
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
