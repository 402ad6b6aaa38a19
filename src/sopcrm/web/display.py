"""Turning stored values into text for people: money, countries, custom fields, stages.

Templates only print what these functions return, so every page formats a value the same way.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sopcrm.core.fieldtypes import FieldType, is_empty
from sopcrm.core.models import User
from sopcrm.playbook.schema import FieldDef, Pipeline, Playbook, StageKind
from sopcrm.process.fields import visible_fields

EMPTY = "—"


def format_amount(amount: Any) -> str:
    """'1200' -> '1,200.00'; anything that is not a number is shown as it is."""
    if is_empty(amount):
        return ""
    try:
        return f"{Decimal(str(amount)):,.2f}"
    except InvalidOperation:
        return str(amount)


def format_money(amount: Any, currency: str) -> str:
    """'USD 1,200.00': the currency code first, as export teams write prices."""
    if is_empty(amount):
        return ""
    return f"{currency} {format_amount(amount)}".strip()


def format_datetime(value: datetime | str | None) -> str:
    """In the site's time zone, to the minute: '2025-03-01 14:30'."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, "Y-m-d H:i")


def format_date(value: date | str | None) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        return value
    return value.isoformat()


def country_name(code: str) -> str:
    """'CN' -> 'CN · China' (the code stays visible: it is what people type and filter by)."""
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code)
    return f"{code} · {country.name}" if country else code


def user_label(user: User | None) -> str:
    return str(user) if user is not None else _("Unassigned")


def custom_value_text(
    definition: FieldDef, value: Any, language: str, users: dict[int, str] | None = None
) -> str:
    """A stored custom value as text: option labels instead of keys, money with its currency."""
    if is_empty(value):
        return ""
    try:
        match definition.type:
            case FieldType.MONEY:
                return format_money(value["amount"], value["currency"])
            case FieldType.CHOICE:
                return definition.option_label(value, language)
            case FieldType.MULTI_CHOICE:
                return ", ".join(definition.option_label(v, language) for v in value)
            case FieldType.BOOL:
                return _("Yes") if value else _("No")
            case FieldType.DATETIME:
                return format_datetime(value)
            case FieldType.COUNTRY:
                return country_name(value)
            case FieldType.USER:
                return (users or {}).get(value, f"#{value}")
            case FieldType.NUMBER:
                return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    except (KeyError, TypeError, ValueError):
        # A value stored under an older playbook version may not fit today's type; show it raw
        # rather than fail the whole page.
        pass
    return str(value)


def user_names(ids: set[int]) -> dict[int, str]:
    """Display names for user ids (one query), e.g. for `user` custom fields and owner changes."""
    if not ids:
        return {}
    return {u.pk: str(u) for u in User.objects.filter(pk__in=ids)}


def user_ids_in_custom(playbook: Playbook, object_type: str, custom: dict[str, Any]) -> set[int]:
    keys = {f.key for f in playbook.object(object_type).fields if f.type == FieldType.USER}
    return {v for k, v in custom.items() if k in keys and isinstance(v, int)}


@dataclass(frozen=True)
class Row:
    """One labelled value on a record page; `href` makes the value a link."""

    label: str
    value: str
    href: str = ""
    help: str = ""


def custom_rows(
    user: User, playbook: Playbook, object_type: str, custom: dict[str, Any], language: str
) -> list[Row]:
    """The custom fields `user` may see, labelled in `language`, in the playbook's order."""
    fields = visible_fields(user, playbook, object_type)
    users = user_names(user_ids_in_custom(playbook, object_type, custom))
    return [
        Row(
            label=f.label.for_language(language),
            value=custom_value_text(f, custom.get(f.key), language, users),
            help=f.help.for_language(language) if f.help else "",
        )
        for f in fields
    ]


@dataclass(frozen=True)
class PathStep:
    label: str
    state: str  # "past", "current" or "future"
    kind: str  # StageKind: open, won, lost


def stage_path(pipeline: Pipeline | None, current: str, language: str) -> list[PathStep]:
    """The pipeline's stages around the current one. Open stages before the current one are
    past; a closing stage (won, lost) the record is not in is never past, only possible."""
    if pipeline is None:
        return []
    keys = [s.key for s in pipeline.stages]
    position = keys.index(current) if current in keys else -1
    steps = []
    for index, stage in enumerate(pipeline.stages):
        if stage.key == current:
            state = "current"
        elif index < position and stage.kind == StageKind.OPEN:
            state = "past"
        else:
            state = "future"
        steps.append(PathStep(stage.label.for_language(language), state, stage.kind.value))
    return steps


def substate_path(
    pipeline: Pipeline | None, stage_key: str, current: str, language: str
) -> list[PathStep]:
    """The steps inside the current stage (S-15: pending 1st / 2nd / 3rd follow-up): those
    before the current one are past. Empty for a stage without steps."""
    stage = pipeline.stage(stage_key) if pipeline else None
    if stage is None:
        return []
    keys = [s.key for s in stage.substates]
    position = keys.index(current) if current in keys else -1
    return [
        PathStep(
            sub.label.for_language(language),
            "current" if index == position else "past" if index < position else "future",
            StageKind.OPEN.value,
        )
        for index, sub in enumerate(stage.substates)
    ]


def stage_label(playbook: Playbook, object_type: str, pipeline: str, stage: str, lang: str) -> str:
    found = playbook.object(object_type).pipeline(pipeline)
    step = found.stage(stage) if found else None
    return step.label.for_language(lang) if step else stage
