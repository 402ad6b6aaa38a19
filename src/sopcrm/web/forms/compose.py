"""The compose form: the recipients and one text box per free section of the chosen template.

The form checks only what a browser could send wrong (an unknown template, a missing key); the
email's own rules (a required section left empty, no next step, a merge field without a value)
are the compose service's, which names each problem by its field (`sections.<key>`, `to`,
`merge_fields.<name>`) so the page shows it beside the right input.
"""

import re
import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sopcrm.playbook.schema import EmailTemplateDef, SectionKind

from .base import WebForm

SECTION_PREFIX = "section_"
_ADDRESS_SEPARATORS = re.compile(r"[\s,;]+")


def section_field_name(key: str) -> str:
    return f"{SECTION_PREFIX}{key}"


def new_idempotency_key() -> str:
    """Made when the form is first shown and sent back with it, so a form submitted twice (a
    double click, the browser resending) sends one email."""
    return uuid.uuid4().hex


class ComposeForm(WebForm):
    template = forms.IntegerField(widget=forms.HiddenInput)
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)
    to = forms.CharField(
        label=_("To"),
        required=False,
        max_length=2000,
        help_text=_("The customer's address; separate several with commas."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )

    def __init__(self, *args: Any, definition: EmailTemplateDef, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_compose_%s")
        super().__init__(*args, **kwargs)
        self.definition = definition
        for section in definition.sections:
            if section.kind != SectionKind.FREE:
                continue
            attrs: dict[str, Any] = {"rows": 4}
            if section.required:
                attrs["aria-required"] = "true"
            # Not required here: an empty required section is the service's problem to name,
            # and a preview must still render while it is empty.
            self.fields[section_field_name(section.key)] = forms.CharField(
                label=section.title.en,
                required=False,
                strip=False,
                max_length=20_000,
                widget=forms.Textarea(attrs=attrs),
            )

    def free_sections(self) -> dict[str, str]:
        return {
            name.removeprefix(SECTION_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(SECTION_PREFIX)
        }

    def recipients(self) -> list[str]:
        return [a for a in _ADDRESS_SEPARATORS.split(self.cleaned_data.get("to") or "") if a]
