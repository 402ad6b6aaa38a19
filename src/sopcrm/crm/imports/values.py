"""From one spreadsheet row and a column mapping to the `data` of `lead_intake`, and the row's
import fingerprint.

Cells are text; the services want typed values (custom fields are strict: "12" is not a number,
see core/fieldtypes.py). This reads what spreadsheets hold: dates in the usual export formats,
"yes"/"是" for true, option labels for choices, "12.50 USD" for money, usernames for owners. A
cell that cannot be read is a problem of the row, reported with the others `lead_intake` finds.
"""

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from sopcrm.core.errors import FieldProblem
from sopcrm.core.fieldtypes import FieldType
from sopcrm.core.models import User
from sopcrm.playbook.schema import FieldDef, ObjectType
from sopcrm.process.fields import field_defs
from sopcrm.process.playbooks import active_version, playbook_for_version

from .presets import CORE_TARGETS, CUSTOM_PREFIX, source_key

# Tried in order after ISO 8601. Slashed dates with the year last are read month first, as the
# US-locale exports of Salesforce and Zoho write them; give day-first dates as YYYY-MM-DD.
_DATETIME_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%b %d, %Y %I:%M:%S %p",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)
_TRUE = {"true", "yes", "y", "1", "x", "✓", "是", "对", "有"}
_FALSE = {"false", "no", "n", "0", "否", "不", "无"}
_CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY", "￥": "CNY", "元": "CNY"}
_SPLIT = re.compile(r"\s*[;,、|；，]\s*")


@dataclass(frozen=True)
class ImportFields:
    """What rows are read against, looked up once per file: the active playbook's lead custom
    fields, the time zone of times without one, and the users an owner column may name."""

    custom: Mapping[str, FieldDef]
    time_zone: tzinfo
    users: Mapping[str, int]  # lower-cased username or email -> user id

    @property
    def targets(self) -> list[str]:
        return [*CORE_TARGETS, *(f"{CUSTOM_PREFIX}{key}" for key in self.custom)]

    def custom_labels(self) -> dict[str, list[str]]:
        return {
            f"{CUSTOM_PREFIX}{key}": [d.label.en, d.label.zh or d.label.en]
            for key, d in self.custom.items()
        }

    def target_label(self, target: str, language: str | None) -> str:
        if target in CORE_TARGETS:
            return str(CORE_TARGETS[target])
        definition = self.custom.get(target.removeprefix(CUSTOM_PREFIX))
        return definition.label.for_language(language) if definition else target


def import_fields() -> ImportFields:
    playbook = playbook_for_version(active_version().pk)
    users: dict[str, int] = {}
    active = User.objects.filter(is_active=True).annotate(
        lower_name=Lower("username"), lower_email=Lower("email")
    )
    for user_id, name, email in active.values_list("pk", "lower_name", "lower_email"):
        users.setdefault(name, user_id)
        if email:
            users.setdefault(email, user_id)
    return ImportFields(
        custom={d.key: d for d in field_defs(playbook, ObjectType.LEAD)},
        time_zone=timezone.get_default_timezone(),
        users=users,
    )


@dataclass
class RowData:
    data: dict[str, Any]
    problems: list[FieldProblem] = field(default_factory=list)

    @property
    def import_key(self) -> str:
        return import_key(self.data)


def parse_datetime(text: str, time_zone: tzinfo) -> datetime:
    """An aware datetime from the formats exports use; a time without a zone is read in
    `time_zone`. Raises ValueError."""
    text = " ".join(text.split())
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for pattern in _DATETIME_FORMATS:
            try:
                parsed = datetime.strptime(text, pattern)  # noqa: DTZ007 (zone set below)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ValueError(text)
    if parsed.tzinfo is None:
        parsed = timezone.make_aware(parsed, time_zone)
    return parsed


def _parse_date(text: str, time_zone: tzinfo) -> date:
    parsed = parse_datetime(text, time_zone)
    if parsed.time() != datetime.min.time():
        raise ValueError(text)
    return parsed.date()


def _number(text: str) -> int | float:
    cleaned = text.replace(",", "").replace(" ", "").replace("\u00a0", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _money(text: str) -> dict[str, str]:
    rest, currency = text.strip(), ""
    for sign, sign_code in _CURRENCY_SIGNS.items():
        if sign in rest:
            rest, currency = rest.replace(sign, " "), sign_code
    found = re.search(r"\b([A-Za-z]{3})\b", rest)
    if found:
        currency, rest = found.group(1).upper(), rest.replace(found.group(0), " ")
    if not currency:
        raise ValueError("currency")
    return {"amount": rest.replace(",", "").strip(), "currency": currency}


def _option(text: str, definition: FieldDef) -> str:
    folded = text.casefold()
    for option in definition.options:
        names = {option.key.casefold(), option.label.en.casefold()}
        if option.label.zh:
            names.add(option.label.zh.casefold())
        if folded in names:
            return option.key
    return text  # the service names the options


def _user(text: str, users: Mapping[str, int]) -> int:
    found = users.get(text.strip().lower())
    if found is None:
        raise LookupError(text)
    return found


def _custom_value(text: str, definition: FieldDef, fields: ImportFields) -> Any:
    """The input form `clean_value` takes for this type; ValueError if the cell cannot be read."""
    kind = definition.type
    if kind == FieldType.NUMBER:
        return _number(text)
    if kind == FieldType.MONEY:
        return _money(text)
    if kind == FieldType.BOOL:
        folded = text.strip().casefold()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise ValueError(text)
    if kind == FieldType.CHOICE:
        return _option(text, definition)
    if kind == FieldType.MULTI_CHOICE:
        return [_option(part, definition) for part in _SPLIT.split(text.strip()) if part]
    if kind == FieldType.DATE:
        return _parse_date(text, fields.time_zone).isoformat()
    if kind == FieldType.DATETIME:
        return parse_datetime(text, fields.time_zone).isoformat()
    if kind == FieldType.USER:
        return _user(text, fields.users)
    return text


def _unreadable(kind: str) -> str:
    messages: dict[str, str] = {
        FieldType.NUMBER: _("Not a number."),
        FieldType.MONEY: _("Give an amount and a currency, e.g. 12.50 USD."),
        FieldType.BOOL: _("Enter yes or no."),
        FieldType.DATE: _("Not a date: write YYYY-MM-DD."),
        FieldType.DATETIME: _("Not a date and time: write YYYY-MM-DD HH:MM."),
        FieldType.USER: _("No active user with this username or email."),
    }
    return messages.get(kind, _("This value cannot be read."))


def row_data(
    headers: Sequence[str],
    cells: Sequence[str],
    mapping: Mapping[str, str],
    fields: ImportFields,
) -> RowData:
    """The lead data of one row, and the problems of the cells that could not be read."""
    values: dict[str, list[str]] = {}
    for header, cell in zip(headers, cells, strict=True):
        target = mapping.get(header)
        text = cell.strip()
        if target and text:
            values.setdefault(target, []).append(text)
    data: dict[str, Any] = {}
    problems: list[FieldProblem] = []

    def first(target: str) -> str:
        return values.get(target, [""])[0]

    names = values.get("name") or [
        " ".join(p for p in (first("first_name"), first("last_name")) if p)
    ]
    data["name"] = names[0]
    if not data["name"]:
        # Found here rather than by the service, which stops at a missing name: the row's other
        # problems are then checked too (services._intake), and all go to the error file.
        problems.append(FieldProblem("name", "required", _("This field is required.")))
    for name in ("company", "email", "phone", "country", "pipeline"):
        if name in values:
            data[name] = first(name)
    if "message" in values:
        data["message"] = "\n\n".join(values["message"])
    data["source"] = source_key(first("source"))
    if "received_at" in values:
        try:
            data["received_at"] = parse_datetime(first("received_at"), fields.time_zone)
        except ValueError:
            problems.append(
                FieldProblem(
                    "received_at",
                    "invalid",
                    _("Not a date and time: write YYYY-MM-DD HH:MM (%(value)s).")
                    % {"value": first("received_at")},
                )
            )
    if "owner" in values:
        try:
            data["owner"] = _user(first("owner"), fields.users)
        except LookupError:
            problems.append(
                FieldProblem(
                    "owner",
                    "not_found",
                    _("No active user %(value)s (give a username or email).")
                    % {"value": first("owner")},
                )
            )
    custom: dict[str, Any] = {}
    for target in values:
        if not target.startswith(CUSTOM_PREFIX):
            continue
        key = target.removeprefix(CUSTOM_PREFIX)
        definition = fields.custom.get(key)
        if definition is None:
            problems.append(FieldProblem(target, "unknown_field", _("No such field.")))
            continue
        try:
            custom[key] = _custom_value(first(target), definition, fields)
        except (ValueError, LookupError):
            problems.append(FieldProblem(target, "invalid", _unreadable(definition.type)))
    if custom:
        data["custom"] = custom
    return RowData(data=data, problems=problems)


def _normalised(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Mapping):
        return {str(k): _normalised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalised(v) for v in value]
    return value


def import_key(data: Mapping[str, Any]) -> str:
    """The row's fingerprint: SHA-256 of its mapped values, normalised (spacing and case, times
    in UTC), so the same lead imported again from the same or a re-exported file, whatever the
    column order or file name, is recognised and not added twice."""
    text = json.dumps(_normalised(data), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def columns_for(problem_field: str, mapping: Mapping[str, str]) -> list[str]:
    """The columns a problem's field was read from, to name them in the error file."""
    targets = {problem_field}
    if problem_field == "name":
        targets |= {"first_name", "last_name"}
    return [column for column, target in mapping.items() if target in targets]
