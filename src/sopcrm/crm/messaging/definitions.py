"""A template's content as a playbook definition (`EmailTemplateDef`) and back, and checking it.

The team library, personal variants and the playbook's `email_templates` share one shape and one
set of rules (`email_template_issues` in playbook/template_checks.py), so a template that can be
saved here can be written in a playbook file and the other way round. Problems are worded here,
through gettext; the playbook check words the same problems in English for its file report.
"""

import json
from collections.abc import Mapping
from difflib import get_close_matches
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError

from sopcrm.core.errors import FieldProblem, InvalidInput
from sopcrm.playbook.schema import MERGE_FIELDS, EmailTemplateDef, Playbook
from sopcrm.playbook.template_checks import TemplateIssue, email_template_issues

from .models import EmailTemplate

# The keys of a definition, in the order a template is shown; the model keeps the same values.
DEFINITION_KEYS = (
    "key",
    "name",
    "category",
    "language",
    "region",
    "product_line",
    "purpose",
    "stages",
    "when",
    "subject",
    "sections",
)

_ISSUE_TEXT = {
    "unknown_merge_field": gettext_lazy("%(where)s: there is no merge field {{ %(name)s }}."),
    "bad_placeholder": gettext_lazy(
        "%(where)s: “%(text)s” is not a merge field; write {{ name }}, without expressions, "
        "filters or attribute access."
    ),
    "tag_not_allowed": gettext_lazy(
        "%(where)s: <%(tag)s> is not allowed; use p, br, strong, em, ul, ol, li or a."
    ),
    "attribute_not_allowed": gettext_lazy(
        "%(where)s: the attribute “%(attribute)s” on <%(tag)s> is not allowed; only a link's "
        "href is kept."
    ),
    "link_not_allowed": gettext_lazy(
        "%(where)s: the link “%(url)s” is not allowed; use http, https or mailto."
    ),
    "duplicate_section": gettext_lazy("The section “%(section)s” appears twice."),
    "duplicate_preset": gettext_lazy("%(where)s: the preset “%(preset)s” appears twice."),
    "no_cta": gettext_lazy(
        "The template has no call-to-action section: mark the next-step section with the role cta."
    ),
    "several_cta": gettext_lazy("%(where)s: only one section may be the call to action."),
    "fixed_without_text": gettext_lazy("%(where)s: a fixed section needs its text."),
    "free_only": gettext_lazy("%(where)s: “%(key)s” is for free sections only."),
    "preset_merge_field": gettext_lazy(
        "%(where)s: the preset “%(preset)s” is plain text; merge fields are not filled in there."
    ),
    "unknown_stage": gettext_lazy("There is no stage “%(stage)s” in the playbook."),
    "unknown_region": gettext_lazy("There is no region “%(region)s” in the playbook."),
    "unknown_product_line": gettext_lazy(
        "There is no product line “%(product_line)s” in the playbook."
    ),
    "condition": gettext_lazy("The condition is not valid: %(message)s"),
}


def definition_of(template: EmailTemplate) -> EmailTemplateDef:
    """The stored template as a checked definition (stored content was checked when saved)."""
    return EmailTemplateDef.model_validate_json(json.dumps(definition_data(template)))


def definition_data(template: EmailTemplate) -> dict[str, Any]:
    name: dict[str, str] = {"en": template.name}
    if template.name_zh:
        name["zh"] = template.name_zh
    return {
        "key": template.key,
        "name": name,
        "category": template.category,
        "language": template.language,
        "region": template.region,
        "product_line": template.product_line,
        "purpose": template.purpose,
        "stages": list(template.stages),
        "when": template.when or None,
        "subject": template.subject,
        "sections": list(template.sections),
    }


def apply_definition(template: EmailTemplate, definition: EmailTemplateDef) -> None:
    data = definition.model_dump(mode="json", exclude_none=True)
    template.key = definition.key
    template.name = definition.name.en
    template.name_zh = definition.name.zh or ""
    template.category = definition.category.value
    template.language = definition.language
    template.region = definition.region
    template.product_line = definition.product_line
    template.purpose = definition.purpose.value
    template.stages = list(definition.stages)
    template.when = definition.when or ""
    template.subject = definition.subject
    template.sections = data["sections"]


def checked_definition(data: Mapping[str, Any], playbook: Playbook | None) -> EmailTemplateDef:
    """`data` (the shape of a playbook `email_templates` entry) as a definition, or InvalidInput
    naming every problem: the field (`sections.<key>.text` for a section) and the rule."""
    try:
        definition = EmailTemplateDef.model_validate_json(json.dumps(dict(data), default=str))
    except ValidationError as exc:
        raise InvalidInput(_schema_problems(exc, data)) from None
    problems = [
        _problem(definition, issue) for issue in email_template_issues(definition, playbook)
    ]
    if problems:
        raise InvalidInput(problems)
    return definition


def _field_name(path: tuple[Any, ...], sections: Any) -> str:
    """`sections.2.text` -> `sections.recap.text`, naming a section by its key when it has one."""
    parts = [str(p) for p in path]
    if len(path) >= 2 and path[0] == "sections" and isinstance(path[1], int):
        try:
            key = sections[path[1]]["key"]
        except (IndexError, KeyError, TypeError):
            key = None
        if isinstance(key, str) and key:
            parts[1] = key
    return ".".join(parts)


def _problem(definition: EmailTemplateDef, issue: TemplateIssue) -> FieldProblem:
    sections = [{"key": s.key} for s in definition.sections]
    section = issue.params.get("section", "")
    where = _("Section “%(key)s”") % {"key": section} if section else _("Subject")
    message = str(_ISSUE_TEXT[issue.code]) % {**issue.params, "where": where}
    if issue.code == "unknown_merge_field":
        close = get_close_matches(issue.params["name"], sorted(MERGE_FIELDS), n=1, cutoff=0.6)
        if close:
            message += " " + _("Did you mean {{ %(name)s }}?") % {"name": close[0]}
    return FieldProblem(_field_name(issue.path, sections), issue.code, message)


def _schema_problems(error: ValidationError, data: Mapping[str, Any]) -> list[FieldProblem]:
    problems = []
    for item in error.errors(include_url=False):
        field = _field_name(tuple(item["loc"]), data.get("sections")) or "template"
        kind = item["type"]
        if kind == "missing":
            message = _("This field is required.")
        elif kind == "extra_forbidden":
            message = _("Unknown field.")
        elif kind == "string_pattern_mismatch":
            message = _("Use lowercase letters, digits and _, starting with a letter.")
        elif kind in ("enum", "literal_error"):
            expected = item.get("ctx", {}).get("expected", "")
            message = _("Choose one of: %(options)s.") % {"options": expected}
        elif kind in ("string_too_short", "too_short"):
            message = _("This may not be empty.")
        elif kind in ("string_too_long", "too_long"):
            message = _("This is too long.")
        else:
            message = _("Not a valid value (%(detail)s).") % {"detail": item["msg"]}
        problems.append(FieldProblem(field, kind, message))
    return problems
