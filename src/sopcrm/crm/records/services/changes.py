"""Applying a set of field changes to a record: check every value first (all problems reported
together), then assign, and return what changed so the caller can log it.

Each record type declares its editable core fields as a dict of cleaners; custom fields are
checked against the record's playbook version and the actor's field permissions.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from sopcrm.core import normalise
from sopcrm.core.errors import FieldProblem, InvalidInput
from sopcrm.core.fieldtypes import FieldValueError, clean_value, has_nul, is_record_id
from sopcrm.core.models import User
from sopcrm.core.visibility import assignable_owners
from sopcrm.playbook.schema import FieldDef, ObjectType, Playbook
from sopcrm.process.fields import editable_field_keys, field_defs

# A cleaner turns an input value into the stored one or raises FieldValueError. It gets the
# values being applied (cleaned so far, e.g. the country a phone number is read in) and the actor.
Cleaner = Callable[[Any, "CleanContext"], Any]


@dataclass
class CleanContext:
    actor: User
    record: models.Model
    cleaned: dict[str, Any]

    def current(self, name: str) -> Any:
        return self.cleaned[name] if name in self.cleaned else getattr(self.record, name, None)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


def text(max_length: int, *, required: bool = False) -> Cleaner:
    def clean(value: Any, _ctx: CleanContext) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise FieldValueError("type", _("Enter text."))
        value = value.strip()
        if required and not value:
            raise FieldValueError("required", _("This field is required."))
        if len(value) > max_length:
            raise FieldValueError("max_length", _("At most %(n)d characters.") % {"n": max_length})
        if has_nul(value):
            raise FieldValueError("invalid", _("Text may not contain NUL characters."))
        return value

    return clean


def choice(choices: type[models.TextChoices], *, blank: bool = False) -> Cleaner:
    def clean(value: Any, _ctx: CleanContext) -> str:
        if blank and value in (None, ""):
            return ""
        if not isinstance(value, str) or value not in choices.values:
            raise FieldValueError(
                "choice", _("Choose one of: %(options)s.") % {"options": ", ".join(choices.values)}
            )
        return value

    return clean


def _normalised(fn: Callable[[str], str]) -> Cleaner:
    def clean(value: Any, _ctx: CleanContext) -> str:
        if value in (None, ""):
            return ""
        if not isinstance(value, str):
            raise FieldValueError("type", _("Enter text."))
        try:
            return fn(value)
        except ValueError as exc:
            raise FieldValueError("invalid", str(exc)) from None

    return clean


country = _normalised(normalise.country_code)
email = _normalised(normalise.email_address)
website = _normalised(lambda v: v.strip())


def phone(value: Any, ctx: CleanContext) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise FieldValueError("type", _("Enter a phone number as text."))
    try:
        return normalise.phone_e164(value, ctx.current("country") or None)
    except ValueError as exc:
        raise FieldValueError("invalid", str(exc)) from None


def currency(value: Any, _ctx: CleanContext) -> str:
    if not isinstance(value, str):
        raise FieldValueError("type", _("Enter a currency code such as USD."))
    try:
        return normalise.currency_code(value)
    except ValueError as exc:
        raise FieldValueError("invalid", str(exc)) from None


def amount(value: Any, _ctx: CleanContext) -> Decimal | None:
    if value is None:
        return None
    try:
        return normalise.decimal_amount(value)
    except ValueError as exc:
        raise FieldValueError("invalid", str(exc)) from None


def aware_datetime(*, required: bool = False, not_future: bool = False) -> Cleaner:
    def clean(value: Any, _ctx: CleanContext) -> datetime | None:
        if value is None:
            if required:
                raise FieldValueError("required", _("This field is required."))
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise FieldValueError("invalid", _("Enter an ISO 8601 date and time.")) from None
        if not isinstance(value, datetime):
            raise FieldValueError("type", _("Enter an ISO 8601 date and time."))
        if value.tzinfo is None:
            raise FieldValueError("timezone", _("Give the time zone, e.g. +08:00 or Z."))
        if not_future:
            from sopcrm.core.clock import now

            if value > now():
                raise FieldValueError("in_future", _("This time is in the future."))
        try:
            # Stored in UTC anyway; PostgreSQL refuses offsets beyond ±15:59, Python has ±23:59.
            return value.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 may not fit once in UTC
            raise FieldValueError("invalid", _("Enter an ISO 8601 date and time.")) from None

    return clean


def plain_date(value: Any, _ctx: CleanContext) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise FieldValueError("invalid", _("Enter a date as YYYY-MM-DD.")) from None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise FieldValueError("type", _("Enter a date as YYYY-MM-DD."))
    return value


def owner(value: Any, ctx: CleanContext) -> User | None:
    user_id = value.pk if isinstance(value, User) else value
    if not is_record_id(user_id):
        raise FieldValueError("type", _("Enter a user id."))
    found = User.objects.filter(assignable_owners(ctx.actor), pk=user_id).first()
    if found is None:
        raise FieldValueError("not_assignable", _("You cannot assign records to this user."))
    return found


def related(selector: Callable[[User], models.QuerySet[Any]]) -> Cleaner:
    """A foreign key to another record, which the actor must be able to see."""

    def clean(value: Any, ctx: CleanContext) -> models.Model | None:
        if value is None:
            return None
        record_id = value.pk if isinstance(value, models.Model) else value
        if not is_record_id(record_id):
            raise FieldValueError("type", _("Enter a record id."))
        found = selector(ctx.actor).filter(pk=record_id).first()
        if found is None:
            raise FieldValueError("not_found", _("No such record."))
        return found

    return clean


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    return value


def _custom_changes(
    record: models.Model,
    raw: Any,
    *,
    actor: User,
    playbook: Playbook,
    object_type: ObjectType,
    problems: list[FieldProblem],
) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        problems.append(FieldProblem("custom", "type", _("Custom fields are an object.")))
        return None
    defs: dict[str, FieldDef] = {f.key: f for f in field_defs(playbook, object_type)}
    editable = editable_field_keys(actor, playbook, object_type)
    current: dict[str, Any] = dict(getattr(record, "custom", None) or {})
    merged = dict(current)
    user_refs: dict[str, int] = {}
    for key, value in raw.items():
        name = f"custom.{key}"
        definition = defs.get(key)
        if definition is None:
            problems.append(FieldProblem(name, "unknown_field", _("No such field.")))
            continue
        if key not in editable:
            problems.append(FieldProblem(name, "not_editable", _("You may not edit this field.")))
            continue
        try:
            cleaned = clean_value(definition.type, value, definition.option_keys)
        except FieldValueError as exc:
            problems.append(FieldProblem(name, exc.code, exc.message))
            continue
        if cleaned is None:
            merged.pop(key, None)
        else:
            merged[key] = cleaned
            if definition.type == "user":
                user_refs[name] = cleaned
    if user_refs:
        known = set(
            User.objects.filter(pk__in=user_refs.values(), is_active=True).values_list(
                "pk", flat=True
            )
        )
        for name, user_id in user_refs.items():
            if user_id not in known:
                problems.append(FieldProblem(name, "not_found", _("No such active user.")))
    return merged


def apply_changes(
    record: models.Model,
    changes: Mapping[str, Any],
    *,
    cleaners: Mapping[str, Cleaner],
    actor: User,
    playbook: Playbook | None,
    object_type: ObjectType | None,
) -> list[FieldChange]:
    """Validate `changes` against `cleaners` and the custom fields, then set them on `record`.

    Raises InvalidInput with every problem (and changes nothing) if any value is bad. Returns
    one FieldChange per field whose value really changed; custom fields are reported one by one
    as `custom.<key>`.
    """
    problems: list[FieldProblem] = []
    ctx = CleanContext(actor=actor, record=record, cleaned={})
    # Country first: a phone number without a country code is read in the record's country.
    ordered = sorted(changes, key=lambda name: name != "country")
    custom_after: dict[str, Any] | None = None
    for name in ordered:
        value = changes[name]
        if name == "custom" and playbook is not None and object_type is not None:
            custom_after = _custom_changes(
                record,
                value,
                actor=actor,
                playbook=playbook,
                object_type=object_type,
                problems=problems,
            )
            continue
        cleaner = cleaners.get(name)
        if cleaner is None:
            problems.append(FieldProblem(name, "unknown_field", _("This field cannot be set.")))
            continue
        try:
            ctx.cleaned[name] = cleaner(value, ctx)
        except FieldValueError as exc:
            problems.append(FieldProblem(name, exc.code, exc.message))
    if problems:
        raise InvalidInput(problems)

    result: list[FieldChange] = []
    for name, new in ctx.cleaned.items():
        old = getattr(record, name)
        if _plain(old) != _plain(new):
            result.append(FieldChange(name, _plain(old), _plain(new)))
            setattr(record, name, new)
    if custom_after is not None:
        before: dict[str, Any] = getattr(record, "custom", None) or {}
        for key in sorted(set(before) | set(custom_after)):
            if before.get(key) != custom_after.get(key):
                result.append(FieldChange(f"custom.{key}", before.get(key), custom_after.get(key)))
        record.custom = custom_after  # type: ignore[attr-defined]
    return result
