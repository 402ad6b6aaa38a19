"""Editing an email template: where it fits and its subject, then its sections as a formset (one
form per section: title, kind, text or hint, required, call to action, preset paragraphs).

The forms turn what was typed into the shape of a playbook `email_templates` entry; the template
services check it by the playbook's rules and name each problem by its field
(`sections.<key>.text`), which `add_service_errors` puts beside the right input.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from sopcrm.core.errors import InvalidInput
from sopcrm.crm.messaging.models import TemplateCategory, TemplatePurpose

from .base import WebForm

_SEPARATORS = re.compile(r"[\s,;]+")
_BLOCKS = re.compile(r"\n\s*\n")


def _label(en: str, zh: str) -> dict[str, str]:
    label = {"en": en.strip()}
    if zh.strip():
        label["zh"] = zh.strip()
    return label


class TemplateForm(WebForm):
    required_css_class = "required"

    name = forms.CharField(label=_("Name"), max_length=200)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=TemplateCategory.choices)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=TemplatePurpose.choices)
    language = forms.CharField(
        label=_("Language of the email"),
        max_length=3,
        help_text=_("ISO 639 code: en, es, fr, pt, ar, zh …"),
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    product_line = forms.ChoiceField(label=_("Product line"), required=False)
    stages = forms.CharField(
        label=_("Suggested in stages"),
        required=False,
        max_length=1000,
        help_text=_(
            "Stage keys, or stage.step for a step (quoted.pending_2nd), separated by commas; "
            "empty: any stage."
        ),
    )
    when = forms.CharField(
        label=_("Condition"),
        required=False,
        max_length=1000,
        help_text=_(
            'Suggested only where this holds, e.g. reactivation_likelihood == "within_3_months".'
        ),
    )
    subject = forms.CharField(label=_("Subject"), max_length=300)

    def __init__(
        self,
        *args: Any,
        regions: Sequence[tuple[str, str]],
        product_lines: Sequence[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "id_tpl_%s")
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        product_line = self.fields["product_line"]
        assert isinstance(region, forms.ChoiceField)
        assert isinstance(product_line, forms.ChoiceField)
        region.choices = [("", _("Any region")), *regions]
        product_line.choices = [("", _("Any product line")), *product_lines]

    @staticmethod
    def initial_for(template: Any) -> dict[str, Any]:
        return {
            "name": template.name,
            "name_zh": template.name_zh,
            "category": template.category,
            "purpose": template.purpose,
            "language": template.language,
            "region": template.region,
            "product_line": template.product_line,
            "stages": ", ".join(template.stages),
            "when": template.when,
            "subject": template.subject,
        }

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": _label(data["name"], data["name_zh"]),
            "category": data["category"],
            "purpose": data["purpose"],
            "language": data["language"].strip().lower(),
            "region": data["region"],
            "product_line": data["product_line"],
            "stages": [s for s in _SEPARATORS.split(data["stages"]) if s],
            "when": data["when"].strip() or None,
            "subject": data["subject"],
        }


KIND_CHOICES = [
    ("", "—"),
    ("fixed", _("Fixed: written here, with merge fields")),
    ("free", _("Free: the rep writes it")),
]


class SectionForm(WebForm):
    required_css_class = "required"

    key = forms.CharField(
        label=_("Key"),
        max_length=63,
        help_text=_("Lowercase letters, digits and _, e.g. next_step."),
    )
    title_en = forms.CharField(label=_("Title"), max_length=200)
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES)
    text = forms.CharField(
        label=_("Text (fixed sections)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Merge fields as {{ contact_first_name }}; a blank line starts a new paragraph; "
            "p, br, strong, em, ul, ol, li and a links are allowed."
        ),
    )
    hint_en = forms.CharField(label=_("Hint for the rep (free sections)"), required=False)
    hint_zh = forms.CharField(label=_("Hint (Chinese)"), required=False)
    required = forms.BooleanField(label=_("Required (free sections)"), required=False)
    cta = forms.BooleanField(label=_("The call to action (next step)"), required=False)
    presets = forms.CharField(
        label=_("Preset paragraphs (free sections)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One preset per block, blocks separated by a blank line: the first line is the "
            "button's label, the lines under it the paragraph (plain text)."
        ),
    )

    def clean_presets(self) -> list[tuple[str, str]]:
        found = []
        for block in _BLOCKS.split(self.cleaned_data.get("presets", "").strip()):
            if not block.strip():
                continue
            label, _newline, text = block.strip().partition("\n")
            if not text.strip():
                raise ValidationError(
                    _("“%(label)s” has no paragraph: write it on the lines under the label."),
                    params={"label": label.strip()},
                )
            found.append((label.strip(), text.strip()))
        return found

    @staticmethod
    def initial_for(section: Mapping[str, Any], order: int) -> dict[str, Any]:
        title = section.get("title") or {}
        hint = section.get("hint") or {}
        presets = section.get("presets") or []
        return {
            "key": section.get("key", ""),
            "title_en": title.get("en", ""),
            "title_zh": title.get("zh") or "",
            "kind": section.get("kind", ""),
            "text": section.get("text", ""),
            "hint_en": hint.get("en", ""),
            "hint_zh": hint.get("zh") or "",
            "required": bool(section.get("required")),
            "cta": section.get("role") == "cta",
            "presets": "\n\n".join(
                f"{(p.get('label') or {}).get('en', '')}\n{p.get('text', '')}" for p in presets
            ),
            "ORDER": order,
        }

    def section_data(self, before: Mapping[str, Any] | None) -> dict[str, Any]:
        """The section as the template services take it. Presets keep the key and Chinese label
        they had when their label is unchanged."""
        data = self.cleaned_data
        section: dict[str, Any] = {
            "key": data["key"].strip(),
            "title": _label(data["title_en"], data["title_zh"]),
            "kind": data["kind"],
        }
        if data["text"].strip() or data["kind"] == "fixed":
            section["text"] = data["text"].strip()
        if data["hint_en"].strip():
            section["hint"] = _label(data["hint_en"], data["hint_zh"])
        if data["required"]:
            section["required"] = True
        if data["cta"]:
            section["role"] = "cta"
        if data["presets"]:
            section["presets"] = _presets(data["presets"], (before or {}).get("presets") or [])
        return section

    def add_section_error(self, attribute: str, part: str, message: str) -> None:
        name = {
            "title": "title_zh" if part == "zh" else "title_en",
            "hint": "hint_zh" if part == "zh" else "hint_en",
            "role": "cta",
        }.get(attribute, attribute)
        self.add_error(name if name in self.fields else None, message)


def _presets(
    typed: list[tuple[str, str]], before: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    earlier = {(p.get("label") or {}).get("en"): p for p in before}
    used: set[str] = set()
    presets = []
    for label, text in typed:
        old = earlier.get(label)
        key = str(old["key"]) if old and old.get("key") not in used else _preset_key(label, used)
        used.add(key)
        zh = ((old or {}).get("label") or {}).get("zh") or ""
        presets.append({"key": key, "label": _label(label, zh), "text": text})
    return presets


def _preset_key(label: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:50]
    if not re.match(r"^[a-z]", base):
        base = f"preset_{base}".rstrip("_")
    key, number = base, 2
    while key in used:
        key, number = f"{base}_{number}", number + 1
    return key


def ordered_sections(formset: BaseFormSet[SectionForm]) -> list[tuple[SectionForm, dict[str, Any]]]:
    """The sections of a valid formset in their new order (deleted and untouched blank ones left
    out), each with its form, to put the services' problems back beside the inputs."""
    return [(form, form.cleaned_data) for form in formset.ordered_forms]


SectionFormSet = formset_factory(
    SectionForm,
    extra=1,
    can_order=True,
    can_delete=True,
    max_num=20,
    validate_max=True,
)


def add_service_errors(
    error: InvalidInput,
    form: TemplateForm,
    sections: list[SectionForm],
) -> None:
    """Each problem beside its input: `sections.<key>.<attribute>` on that section's form (by
    key, or by position when the key itself was the problem), the rest on the template form."""
    for problem in error.problems:
        parts = problem.field.split(".")
        if parts[0] == "sections" and len(parts) > 1:
            target = _section_form(parts[1], sections, last=problem.code == "duplicate_section")
            if target is not None:
                attribute = parts[2] if len(parts) > 2 else ""
                part = parts[3] if len(parts) > 3 else ""
                target.add_section_error(attribute, part, problem.message)
                continue
        name = "name_zh" if parts[:2] == ["name", "zh"] else parts[0]
        form.add_error(name if name in form.fields else None, problem.message)


def _section_form(ident: str, sections: list[SectionForm], *, last: bool) -> SectionForm | None:
    if ident.isascii() and ident.isdigit():
        index = int(ident)
        return sections[index] if index < len(sections) else None
    matching = [f for f in sections if f.cleaned_data.get("key", "").strip() == ident]
    if not matching:
        return None
    return matching[-1] if last else matching[0]
