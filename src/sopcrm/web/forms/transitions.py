"""Forms for moving a lead or deal through its playbook: one form per transition with exactly
the fields it asks for (S-09..S-12), the manager's exception (S-16) and approval decisions (S-33).

A transition form is built from the `FormField`s of `transition_options`, prefilled with the
record's current values. It sends only what the person changed: an untouched value is already on
the record (and a field the person may not see or edit is never sent back blank).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sopcrm.core.errors import DomainError, InvalidInput
from sopcrm.core.fieldtypes import FieldType, is_empty
from sopcrm.core.models import User
from sopcrm.crm.records.transition_options import FormField, TransitionOption

from .base import DateInput, DateTimeInput, MoneyField, WebForm

# A yes/no answer: "No" is an answer (it fills a required field), nothing chosen is not.
YES_NO = [("true", _("Yes")), ("false", _("No"))]


def _yes_no(value: str) -> bool:
    return value == "true"


def _form_field(spec: FormField) -> forms.Field:
    common: dict[str, Any] = {"label": spec.label, "required": spec.required}
    if spec.help:
        common["help_text"] = spec.help
    match spec.type:
        case FieldType.NUMBER:
            return forms.DecimalField(max_digits=20, **common)
        case FieldType.MONEY:
            return MoneyField(**common)
        case FieldType.DATE:
            return forms.DateField(widget=DateInput(), **common)
        case FieldType.DATETIME:
            return forms.DateTimeField(widget=DateTimeInput(), **common)
        case FieldType.BOOL:
            return forms.TypedChoiceField(
                choices=YES_NO,
                coerce=_yes_no,
                empty_value=None,
                widget=forms.RadioSelect,
                **common,
            )
        case FieldType.CHOICE:
            return forms.ChoiceField(choices=[("", "—"), *spec.options], **common)
        case FieldType.MULTI_CHOICE:
            return forms.MultipleChoiceField(
                choices=spec.options, widget=forms.CheckboxSelectMultiple(), **common
            )
        case FieldType.USER:
            users = User.objects.filter(is_active=True).order_by("username")
            return forms.TypedChoiceField(
                choices=[("", "—"), *((u.pk, str(u)) for u in users)],
                coerce=int,
                empty_value=None,
                **common,
            )
        case FieldType.COUNTRY:
            common.setdefault("help_text", _("Code or name, e.g. DE."))
            return forms.CharField(max_length=100, **common)
        case FieldType.TEXT:
            return forms.CharField(**common)
    raise ValueError(spec.type)


def _initial(spec: FormField) -> Any:
    """What the form field shows for the record's current value."""
    value = spec.value
    if is_empty(value):
        return [] if spec.type == FieldType.MULTI_CHOICE else None
    match spec.type:
        case FieldType.BOOL:
            return "true" if value else "false"
        case FieldType.NUMBER:
            return Decimal(str(value))
        case FieldType.DATE:
            return date.fromisoformat(value) if isinstance(value, str) else value
        case FieldType.DATETIME:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else value
            # The form edits to the minute; dropped seconds must not count as a change.
            return timezone.localtime(moment).replace(second=0, microsecond=0)
    return value


def _service_value(spec: FormField, cleaned: Any, core: bool) -> Any:
    """The value record_transition takes (JSON-like, as it is also stored with an approval
    request and replayed when the manager approves). None clears the field."""
    if cleaned in (None, "", []):
        return None
    match spec.type:
        case FieldType.NUMBER:
            assert isinstance(cleaned, Decimal)
            if core:  # a built-in amount takes a decimal string
                return str(cleaned)
            return int(cleaned) if cleaned == cleaned.to_integral_value() else float(cleaned)
        case FieldType.DATE | FieldType.DATETIME:
            return cleaned.isoformat()
    return cleaned


class TransitionForm(WebForm):
    required_css_class = "required"

    def __init__(
        self, *args: Any, option: TransitionOption, core_keys: frozenset[str], **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "id_tr_%s")
        super().__init__(*args, **kwargs)
        self.option = option
        self.core_keys = core_keys
        for spec in option.fields:
            self.fields[spec.key] = _form_field(spec)
            self.initial[spec.key] = _initial(spec)

    @property
    def has_required(self) -> bool:
        return any(field.required for field in self.fields.values())

    def focus_first(self) -> None:
        for field in self.fields.values():
            field.widget.attrs["autofocus"] = True
            break

    def service_data(self) -> dict[str, Any]:
        changed = set(self.changed_data)
        return {
            spec.key: _service_value(
                spec, self.cleaned_data.get(spec.key), spec.key in self.core_keys
            )
            for spec in self.option.fields
            if spec.key in changed
        }

    def add_service_error(self, error: DomainError) -> None:
        """Problems name the transition's fields by key ("quote_date"; "custom.quote_date" when a
        value was refused); a broken rule names the transition and is shown above the form."""
        if not isinstance(error, InvalidInput):
            self.add_error(None, error.message)
            return
        for problem in error.problems:
            name = problem.field.removeprefix("custom.")
            if name in self.fields:
                self.add_error(name, problem.message)
            else:
                self.add_error(None, problem.message)


class ExceptionForm(WebForm):
    """A manager's documented exception: move the record to any stage, with a reason."""

    stage = forms.ChoiceField(label=_("Move to stage"))
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the standard path is left (recorded on the timeline)."),
    )

    def __init__(self, *args: Any, stages: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_exc_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["stage"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *stages]


class ApprovalDecisionForm(WebForm):
    """Approve or reject a held transition; a rejection needs a comment (checked by the
    service, which says why)."""

    comment = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required when you reject."),
    )
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, approval_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_ap{approval_id}_%s")
        super().__init__(*args, **kwargs)
