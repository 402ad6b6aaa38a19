"""The types of custom fields and how a value of each is checked and stored.

Custom values live in a JSON column. Each type has one stored form chosen so that it filters,
sorts and aggregates the same way on SQLite and PostgreSQL:

| type         | input                                   | stored as                              |
|--------------|-----------------------------------------|----------------------------------------|
| text         | string                                  | string                                 |
| number       | JSON number                             | number                                 |
| money        | {"amount": "12.50", "currency": "USD"}  | same, amount a 2-decimal string        |
| date         | "YYYY-MM-DD"                            | same string (sorts as it reads)        |
| datetime     | ISO 8601 with offset                    | UTC "YYYY-MM-DDTHH:MM:SS+00:00"        |
| bool         | true / false                            | boolean                                |
| choice       | an option key                           | the key                                |
| multi_choice | a list of option keys                   | list in the options' order, no repeats |
| user         | a user id                               | the id (existence checked by services) |
| country      | code or name                            | ISO 3166 alpha-2 code                  |

Values are strict: "12" is not a number and 1 is not true. Empty (None, "" or []) clears a field.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from . import normalise


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    USER = "user"
    COUNTRY = "country"


class FieldValueError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


MAX_TEXT = 10_000
# Database ids are signed 64-bit integers; a larger number would make SQLite raise.
MAX_ID = 2**63 - 1


def is_record_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def has_nul(text: str) -> bool:
    """PostgreSQL cannot store NUL characters in text; refuse them everywhere alike."""
    return "\x00" in text


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def clean_value(field_type: FieldType | str, value: Any, options: Sequence[str] = ()) -> Any:
    """The stored form of `value`, or FieldValueError naming the rule it breaks."""
    if is_empty(value):
        return None
    ftype = FieldType(field_type)
    cleaner = _CLEANERS[ftype]
    return cleaner(value, options)


def _text(value: Any, _options: Sequence[str]) -> str | None:
    if not isinstance(value, str):
        raise FieldValueError("type", _("Enter text."))
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise FieldValueError("max_length", _("At most %(n)d characters.") % {"n": MAX_TEXT})
    if has_nul(value):
        raise FieldValueError("invalid", _("Text may not contain NUL characters."))
    return value or None


def _number(value: Any, _options: Sequence[str]) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise FieldValueError("type", _("Enter a number."))
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise FieldValueError("type", _("Enter a finite number."))
    return value


def _money(value: Any, _options: Sequence[str]) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise FieldValueError("type", _('Enter money as {"amount": "12.50", "currency": "USD"}.'))
    try:
        amount = normalise.decimal_amount(value["amount"])
        if not isinstance(value["currency"], str):
            raise ValueError(_("Enter a currency code such as USD."))
        currency = normalise.currency_code(value["currency"])
    except ValueError as exc:
        raise FieldValueError("invalid", str(exc)) from None
    return {"amount": str(amount), "currency": currency}


def _date(value: Any, _options: Sequence[str]) -> str:
    if isinstance(value, datetime):
        raise FieldValueError("type", _("Enter a date, not a date and time."))
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise FieldValueError("type", _("Enter a date as YYYY-MM-DD."))
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise FieldValueError("invalid", _("Enter a date as YYYY-MM-DD.")) from None


def _datetime(value: Any, _options: Sequence[str]) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise FieldValueError(
                "invalid", _("Enter a date and time in ISO 8601 with a time zone.")
            ) from None
    if not isinstance(value, datetime):
        raise FieldValueError("type", _("Enter a date and time in ISO 8601 with a time zone."))
    if value.tzinfo is None:
        raise FieldValueError("timezone", _("Give the time zone, e.g. +08:00 or Z."))
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _bool(value: Any, _options: Sequence[str]) -> bool:
    if not isinstance(value, bool):
        raise FieldValueError("type", _("Enter true or false."))
    return value


def _choice(value: Any, options: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in options:
        raise FieldValueError(
            "choice", _("Choose one of: %(options)s.") % {"options": ", ".join(options)}
        )
    return value


def _multi_choice(value: Any, options: Sequence[str]) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise FieldValueError("type", _("Enter a list of options."))
    unknown = [v for v in value if v not in options]
    if unknown:
        raise FieldValueError(
            "choice",
            _("Unknown options %(unknown)s; choose from: %(options)s.")
            % {"unknown": ", ".join(unknown), "options": ", ".join(options)},
        )
    chosen = set(value)
    return [o for o in options if o in chosen]


def _user(value: Any, _options: Sequence[str]) -> int:
    if not is_record_id(value):
        raise FieldValueError("type", _("Enter a user id."))
    return int(value)


def _country(value: Any, _options: Sequence[str]) -> str:
    if not isinstance(value, str):
        raise FieldValueError("type", _("Enter a country code or name."))
    try:
        return normalise.country_code(value)
    except ValueError as exc:
        raise FieldValueError("invalid", str(exc)) from None


_CLEANERS = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: _number,
    FieldType.MONEY: _money,
    FieldType.DATE: _date,
    FieldType.DATETIME: _datetime,
    FieldType.BOOL: _bool,
    FieldType.CHOICE: _choice,
    FieldType.MULTI_CHOICE: _multi_choice,
    FieldType.USER: _user,
    FieldType.COUNTRY: _country,
}
