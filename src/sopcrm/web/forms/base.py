"""What every web form shares: the field template, money input, and mapping service errors back
onto the fields they are about."""

from decimal import Decimal
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy as _

from sopcrm.core.errors import DomainError, InvalidInput

CUSTOM_PREFIX = "custom__"


class WebFormRenderer(DjangoTemplates):
    """Renders each field as label, input, then its error and help beside it (Django's own
    template puts errors above the input)."""

    field_template_name = "web/forms/field.html"


# One instance: a renderer builds its template engine once and keeps it.
RENDERER = WebFormRenderer()


class WebForm(forms.Form):
    default_renderer = RENDERER

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels sit above their inputs: no colon
        super().__init__(*args, **kwargs)

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Groups of visible fields with a heading ("" for none), as the form page shows them."""
        return [("", self.visible_fields())]

    def add_service_error(self, error: DomainError) -> None:
        """Show a service's error: each problem beside the field it names ("country",
        "custom.region"), or above the form when no field of this form matches."""
        if not isinstance(error, InvalidInput):
            self.add_error(None, error.message)
            return
        for problem in error.problems:
            name = problem.field.replace("custom.", CUSTOM_PREFIX, 1)
            if name in self.fields:
                self.add_error(name, problem.message)
            else:
                self.add_error(None, f"{problem.field}: {problem.message}")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class MoneyWidget(forms.MultiWidget):
    template_name = "web/forms/money_widget.html"

    def __init__(self) -> None:
        super().__init__(
            widgets={
                "amount": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
                "currency": forms.TextInput(
                    attrs={"size": 3, "maxlength": 3, "autocapitalize": "characters"}
                ),
            }
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [value.get("amount"), value.get("currency")]
        return [None, "USD"]


class MoneyField(forms.MultiValueField):
    """An amount and a currency code, cleaned to the service input {"amount", "currency"}."""

    widget = MoneyWidget

    def __init__(self, **kwargs: Any) -> None:
        fields = (
            forms.DecimalField(max_digits=16, decimal_places=2, required=False, label=_("Amount")),
            forms.CharField(max_length=3, required=False, label=_("Currency")),
        )
        super().__init__(fields, require_all_fields=False, **kwargs)

    def compress(self, data_list: list[Any]) -> dict[str, str] | None:
        if not data_list or data_list[0] in (None, ""):
            return None  # no amount clears the field, whatever the currency says
        amount: Decimal = data_list[0]
        currency = (data_list[1] or "").strip().upper()
        return {"amount": str(amount), "currency": currency}
