"""A signature (S-39): its name, its text, and what it suits (product lines, regions served,
languages), offered as the playbook's options."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .base import WebForm


def _checkboxes(label: Any, help_text: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class SignatureForm(WebForm):
    required_css_class = "required"

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("For you, e.g. “English, EU customers”."),
    )
    body = forms.CharField(
        label=_("Signature"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Plain text, as it ends the email: your name, title, company, phone."),
    )
    languages = _checkboxes(
        _("Languages"),
        _("An email in one of these languages is signed with this signature."),
    )
    regions = _checkboxes(_("Regions served"), _("Preferred for customers in these regions."))
    product_lines = _checkboxes(_("Product lines"), _("Preferred for these product lines."))
    is_default = forms.BooleanField(
        label=_("Default signature"),
        required=False,
        help_text=_("Used when no signature lists the email's language."),
    )

    def __init__(
        self,
        *args: Any,
        languages: Sequence[tuple[str, str]],
        regions: Sequence[tuple[str, str]],
        product_lines: Sequence[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "id_sig_%s")
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("languages", languages),
            ("regions", regions),
            ("product_lines", product_lines),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = list(choices)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "body": data["body"],
            "languages": list(data["languages"]),
            "regions": list(data["regions"]),
            "product_lines": list(data["product_lines"]),
            "is_default": bool(data["is_default"]),
        }
