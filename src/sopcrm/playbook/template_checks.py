"""Checks of a playbook's email templates: merge fields that exist, formatting within the
allowed tags, the structure of S-37/S-38 (one call to action), and references (stages, regions,
product lines, the condition) that resolve. The messaging app applies the same rules when a
template is saved, so a template valid here is valid there."""

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

from sopcrm.core.fieldtypes import FieldType

from .core_fields import CORE_FIELDS
from .hints import did_you_mean, duplicates
from .loader import PathKey, Problem, SourceMap
from .schema import (
    MERGE_FIELD_PATTERN,
    MERGE_FIELDS,
    TEMPLATE_TAGS,
    TEMPLATE_URL_SCHEMES,
    EmailTemplateDef,
    ObjectType,
    Playbook,
    SectionKind,
    SectionRole,
)

PLACEHOLDER = re.compile(MERGE_FIELD_PATTERN)
_BRACES = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{\{|\}\}|\{%|%\}", re.S)


@dataclass(frozen=True)
class TemplateIssue:
    """A problem in one email template at `path` inside it. `code` and `params` let each
    interface word it: in English here for playbook files, translated by the CRM's services."""

    path: PathKey
    code: str
    params: dict[str, str] = dataclasses.field(default_factory=dict)


# code -> (message, hint); `where` is "subject" or "section '<key>'".
TEMPLATE_ISSUE_TEXT: dict[str, tuple[str, str]] = {
    "unknown_merge_field": ("%(where)s: unknown merge field '%(name)s'", "%(hint)s"),
    "bad_placeholder": (
        "%(where)s: '%(text)s' is not a merge field",
        "write {{ name }}: no expressions, filters or attribute access",
    ),
    "tag_not_allowed": (
        "%(where)s: <%(tag)s> is not allowed",
        "allowed: " + ", ".join(sorted(TEMPLATE_TAGS)),
    ),
    "attribute_not_allowed": (
        "%(where)s: attribute '%(attribute)s' on <%(tag)s> is not allowed",
        "only a link's href is kept",
    ),
    "link_not_allowed": ("%(where)s: link '%(url)s' is not allowed", "use http, https or mailto"),
    "duplicate_section": ("section '%(section)s' twice", ""),
    "duplicate_preset": ("%(where)s: preset '%(preset)s' twice", ""),
    "no_cta": ("no call-to-action section", "give the next-step section 'role: cta' (S-38)"),
    "several_cta": ("%(where)s: only one section may be the call to action", ""),
    "fixed_without_text": ("%(where)s: a fixed section needs text", "add 'text'"),
    "free_only": ("%(where)s: '%(key)s' is for free sections only", "remove it"),
    "preset_merge_field": (
        "%(where)s: preset '%(preset)s' is plain text; merge fields are not filled in there",
        "write the words themselves",
    ),
    "unknown_stage": ("unknown stage '%(stage)s'", "%(hint)s"),
    "unknown_region": ("unknown region '%(region)s'", "%(hint)s"),
    "unknown_product_line": ("unknown product line '%(product_line)s'", "%(hint)s"),
    "condition": ("condition: %(message)s", ""),
}


def template_issue_text(issue: TemplateIssue) -> tuple[str, str]:
    """The English message and hint of an issue (for `sopcrm playbook check`)."""
    message, hint = TEMPLATE_ISSUE_TEXT[issue.code]
    section = issue.params.get("section", "")
    params = {**issue.params, "where": f"section '{section}'" if section else "subject"}
    return message % params, hint % params


class _TagScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def merge_fields_in(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def _text_issues(text: str, path: PathKey, section: str, *, html: bool) -> Iterator[TemplateIssue]:
    for name in merge_fields_in(text):
        if name not in MERGE_FIELDS:
            hint = did_you_mean(name, sorted(MERGE_FIELDS))
            yield TemplateIssue(
                path, "unknown_merge_field", {"section": section, "name": name, "hint": hint}
            )
    for stray in _BRACES.findall(PLACEHOLDER.sub("", text)):
        yield TemplateIssue(path, "bad_placeholder", {"section": section, "text": stray[:60]})
    if not html:
        return
    scanner = _TagScanner()
    scanner.feed(text)
    scanner.close()
    for tag, attrs in scanner.tags:
        if tag not in TEMPLATE_TAGS:
            yield TemplateIssue(path, "tag_not_allowed", {"section": section, "tag": tag})
            continue
        for name, value in attrs:
            if tag != "a" or name != "href":
                params = {"section": section, "tag": tag, "attribute": name}
                yield TemplateIssue(path, "attribute_not_allowed", params)
            elif not _link_allowed(value or ""):
                params = {"section": section, "url": (value or "")[:60]}
                yield TemplateIssue(path, "link_not_allowed", params)


def _link_allowed(url: str) -> bool:
    url = url.strip()
    if PLACEHOLDER.fullmatch(url):
        return True
    scheme, colon, _rest = url.partition(":")
    return bool(colon) and scheme.lower() in TEMPLATE_URL_SCHEMES


def _structure_issues(template: EmailTemplateDef) -> Iterator[TemplateIssue]:
    yield from _text_issues(template.subject, ("subject",), "", html=False)
    for index, key in duplicates([s.key for s in template.sections]):
        yield TemplateIssue(("sections", index, "key"), "duplicate_section", {"section": key})
    ctas = [i for i, s in enumerate(template.sections) if s.role == SectionRole.CTA]
    if not ctas:
        yield TemplateIssue(("sections",), "no_cta")
    for index in ctas[1:]:
        key = template.sections[index].key
        yield TemplateIssue(("sections", index, "role"), "several_cta", {"section": key})
    for index, section in enumerate(template.sections):
        at: PathKey = ("sections", index)
        params = {"section": section.key}
        if section.kind == SectionKind.FIXED:
            if not section.text.strip():
                yield TemplateIssue((*at, "text"), "fixed_without_text", params)
            yield from _text_issues(section.text, (*at, "text"), section.key, html=True)
            for name in ("hint", "required", "presets"):
                if getattr(section, name):
                    yield TemplateIssue((*at, name), "free_only", {**params, "key": name})
            continue
        if section.text:
            yield TemplateIssue((*at, "text"), "free_only", {**params, "key": "text"})
        for p_index, key in duplicates([p.key for p in section.presets]):
            path = (*at, "presets", p_index, "key")
            yield TemplateIssue(path, "duplicate_preset", {**params, "preset": key})
        for p_index, preset in enumerate(section.presets):
            if _BRACES.search(preset.text):
                path = (*at, "presets", p_index, "text")
                yield TemplateIssue(path, "preset_merge_field", {**params, "preset": preset.key})


def _option_keys(playbook: Playbook, key: str) -> list[str] | None:
    """The options of the lead's and the deal's field `key`; None when neither has it."""
    found = [d for t in (ObjectType.LEAD, ObjectType.DEAL) if (d := playbook.object(t).field(key))]
    return sorted({o for d in found for o in d.option_keys}) if found else None


def _context_issues(template: EmailTemplateDef, playbook: Playbook) -> Iterator[TemplateIssue]:
    objects = [playbook.object(t) for t in (ObjectType.LEAD, ObjectType.DEAL)]
    positions = {
        position
        for obj in objects
        for pipeline in obj.pipelines
        for stage in pipeline.stages
        for position in (stage.key, *(f"{stage.key}.{sub.key}" for sub in stage.substates))
    }
    for index, stage in enumerate(template.stages):
        if stage not in positions:
            hint = did_you_mean(stage, sorted(positions))
            yield TemplateIssue(("stages", index), "unknown_stage", {"stage": stage, "hint": hint})
    for name in ("region", "product_line"):
        value = getattr(template, name)
        options = _option_keys(playbook, name)
        if value and (options is None or value not in options):
            hint = did_you_mean(value, options) if options else f"no '{name}' field has options"
            yield TemplateIssue((name,), f"unknown_{name}", {name: value, "hint": hint})
    if template.when is not None:
        from .conditions import ConditionError, parse_condition

        types: dict[str, FieldType] = {}
        for object_type in (ObjectType.DEAL, ObjectType.LEAD):
            custom = {f.key: f.type for f in playbook.object(object_type).fields}
            types = {**CORE_FIELDS[object_type], **custom, **types}
        try:
            errors = parse_condition(template.when).check(types)
        except ConditionError as exc:
            errors = [exc]
        for error in errors:  # the message names the column
            yield TemplateIssue(("when",), "condition", {"message": error.message})


def email_template_issues(
    template: EmailTemplateDef, playbook: Playbook | None = None
) -> Iterator[TemplateIssue]:
    """Every problem of one template; with `playbook`, also its references into it."""
    yield from _structure_issues(template)
    if playbook is not None:
        yield from _context_issues(template, playbook)


def email_template_problems(playbook: Playbook, source: SourceMap) -> Iterator[Problem]:
    at: PathKey = ("email_templates",)
    for index, key in duplicates([t.key for t in playbook.email_templates]):
        yield source.problem((*at, index, "key"), f"email template '{key}' twice")
    for index, template in enumerate(playbook.email_templates):
        for issue in email_template_issues(template, playbook):
            message, hint = template_issue_text(issue)
            yield source.problem((*at, index, *issue.path), message, hint)
