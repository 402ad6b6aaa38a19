"""Strict request bodies.

Plain pydantic models, not ninja.Schema: a Schema reads attributes from any object, so a JSON
string body could turn into a record. `strict=True` refuses coercion ("12" is not a number, 1 is
not true) and `extra="forbid"` refuses unknown fields.

ninja validates a body as Python objects (json.loads, then model_validate), and in strict Python
mode pydantic takes no string for a date, a datetime or a Decimal. The annotated types below read
those from the ISO strings and decimal strings JSON carries, and nothing else.
"""

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _without_nul(value: Any) -> Any:
    # PostgreSQL cannot store NUL in text, SQLite can: refuse it here so both behave alike
    # (a 422 naming the field, not a database error).
    if _has_nul(value):
        raise ValueError(_("Text may not contain NUL characters."))
    return value


class QueryInput(Schema):
    """Query-string parameters, NUL refused as in bodies."""

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        return _without_nul(value)


class StrictInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        return _without_nul(value)

    def sent(self) -> dict[str, Any]:
        """The fields the client sent (PATCH changes only these), as a service's `data`."""
        return self.model_dump(exclude_unset=True)


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                moment.astimezone(UTC)  # year 1 or 9999 may not fit once in UTC
            return moment
        except (ValueError, OverflowError):
            raise ValueError(
                _("Enter an ISO 8601 date and time, e.g. 2025-03-01T09:00:00+08:00.")
            ) from None
    raise ValueError(_("Enter an ISO 8601 date and time as a string."))


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    raise ValueError(_("Enter a date as a YYYY-MM-DD string."))


def _amount(value: Any) -> Any:
    # bool is an int in Python, and true is not one dollar.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(_("Enter an amount as a number or a decimal string."))
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(_("Enter an amount as a number or a decimal string.")) from None
    if not amount.is_finite():
        raise ValueError(_("Enter a finite amount."))
    return amount


IsoDatetime = Annotated[datetime, BeforeValidator(_iso_datetime)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Amount = Annotated[Decimal, BeforeValidator(_amount)]
