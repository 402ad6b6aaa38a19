"""Form fields for a playbook's custom fields, one Django field per custom field type.

The form field turns typed text into a Python value, `to_service` turns that into the input
core/fieldtypes.py accepts, and `initial_value` turns a stored value back into what the form field
shows. The custom field's own rules (options, currency codes, countries) stay in the service.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from sopcrm.core.fieldtypes import FieldType, is_empty
from sopcrm.core.models import User
from sopcrm.playbook.schema import FieldDef

from .base import CUSTOM_PREFIX, DateInput, DateTimeInput, MoneyField, WebForm


def form_field_name(definition: FieldDef) -> str:
    return f"{CUSTOM_PREFIX}{definition.key}"


def custom_form_field(definition: FieldDef, language: str) -> forms.Field:
    common: dict[str, Any] = {
        "label": definition.label.for_language(language),
        "required": False,  # the playbook decides when a field is required, not this form
        "help_text": definition.help.for_language(language) if definition.help else "",
    }
    options = [(o.key, o.label.for_language(language)) for o in definition.options]
    match definition.type:
        case FieldType.NUMBER:
            return forms.DecimalField(**common)
        case FieldType.MONEY:
            return MoneyField(**common)
        case FieldType.DATE:
            return forms.DateField(widget=DateInput(), **common)
        case FieldType.DATETIME:
            return forms.DateTimeField(widget=DateTimeInput(), **common)
        case FieldType.BOOL:
            # Three states: a custom yes/no can also be not answered yet.
            return forms.NullBooleanField(widget=forms.NullBooleanSelect(), **common)
        case FieldType.CHOICE:
            return forms.ChoiceField(choices=[("", "—"), *options], **common)
        case FieldType.MULTI_CHOICE:
            return forms.MultipleChoiceField(
                choices=options, widget=forms.CheckboxSelectMultiple(), **common
            )
        case FieldType.USER:
            users = User.objects.filter(is_active=True).order_by("username")
            return forms.TypedChoiceField(
                choices=[("", "—"), *((u.pk, str(u)) for u in users)],
                coerce=int,
                empty_value=None,
                **common,
            )
        case FieldType.TEXT | FieldType.COUNTRY:
            return forms.CharField(**common)
    raise ValueError(definition.type)


def initial_value(definition: FieldDef, stored: Any) -> Any:
    """What the form field shows for a stored value."""
    if is_empty(stored):
        return [] if definition.type == FieldType.MULTI_CHOICE else None
    match definition.type:
        case FieldType.NUMBER:
            return Decimal(str(stored))
        case FieldType.DATE:
            return date.fromisoformat(stored)
        case FieldType.DATETIME:
            # The form edits to the minute; seconds dropped here must not count as a change.
            shown = timezone.localtime(datetime.fromisoformat(stored))
            return shown.replace(second=0, microsecond=0)
    return stored


def to_service(definition: FieldDef, cleaned: Any) -> Any:
    """The service input for a cleaned form value (None or [] clears the field)."""
    if cleaned in (None, "", []):
        return None
    if definition.type == FieldType.DATETIME:
        return cleaned.isoformat()
    return cleaned


def add_custom_fields(
    form: WebForm, definitions: list[FieldDef], stored: dict[str, Any], language: str
) -> None:
    for definition in definitions:
        name = form_field_name(definition)
        form.fields[name] = custom_form_field(definition, language)
        form.initial[name] = initial_value(definition, stored.get(definition.key))


def custom_changes(
    form: WebForm, definitions: list[FieldDef], *, only_changed: bool
) -> dict[str, Any]:
    """The custom part of a service's input: changed fields on edit, filled-in ones on create."""
    result: dict[str, Any] = {}
    for definition in definitions:
        name = form_field_name(definition)
        if name not in form.fields:
            continue
        value = to_service(definition, form.cleaned_data.get(name))
        if only_changed and name not in form.changed_data:
            continue
        if not only_changed and value is None:
            continue
        result[definition.key] = value
    return result
