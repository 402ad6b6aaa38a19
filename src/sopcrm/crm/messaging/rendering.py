"""Rendering a template into an email: HTML and plain text, sandboxed.

Merge fields are plain substitutions of `{{ name }}` (no template engine runs): every value is
HTML-escaped, a rep's free text is escaped and split into paragraphs, and the assembled HTML is
sanitised with nh3 to the basic formatting templates may use. The plain-text part is derived from
the sanitised HTML, so both parts say the same thing.

Rendering never raises on content: it reports problems (a missing merge value, an empty required
section, no next step) for the caller to show in a preview or to refuse sending with.
"""

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nh3
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from sopcrm.core.errors import FieldProblem
from sopcrm.core.fieldtypes import has_nul
from sopcrm.playbook.schema import (
    TEMPLATE_TAGS,
    TEMPLATE_URL_SCHEMES,
    EmailTemplateDef,
    SectionKind,
    SectionRole,
    TemplateSection,
)
from sopcrm.playbook.template_checks import PLACEHOLDER

from .merge_fields import MERGE_FIELD_INFO

FREE_TEXT_MAX = 20_000
SUBJECT_MAX = 300
_BLOCK_START = re.compile(r"^\s*<(p|ul|ol)[\s>]", re.I)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str
    problems: list[FieldProblem] = field(default_factory=list)
    # The rendered text of each section that has any, by key (the CTA feeds the summary).
    sections: dict[str, str] = field(default_factory=dict)


def sanitise(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=set(TEMPLATE_TAGS),
        clean_content_tags={"script", "style"},
        attributes={"a": {"href"}},
        url_schemes=set(TEMPLATE_URL_SCHEMES),
    )


def _substitute(text: str, values: Mapping[str, str | None], *, as_html: bool) -> str:
    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        if found is None:
            shown = f"[{match.group(1)}]"  # only ever seen in a preview: sending refuses
            return html.escape(shown) if as_html else shown
        if not as_html:
            return " ".join(found.split())  # a subject is one line
        return html.escape(found).replace("\n", "<br>")

    return PLACEHOLDER.sub(value, text)


def _paragraphs(blocks: list[str]) -> str:
    return "".join(f"<p>{b.strip().replace(chr(10), '<br>')}</p>" for b in blocks if b.strip())


def _fixed_html(text: str, values: Mapping[str, str | None]) -> str:
    """A fixed section: blocks separated by blank lines; a block that starts with <p>, <ul> or
    <ol> is the author's HTML, any other is a paragraph whose line breaks are kept."""
    out = []
    for block in _PARAGRAPH_BREAK.split(text.strip()):
        if _BLOCK_START.match(block):
            out.append(_substitute(block, values, as_html=True))
        else:
            out.append(_paragraphs([_substitute(block, values, as_html=True)]))
    return "".join(out)


def free_html(text: str) -> str:
    """A rep's text: plain text, escaped, paragraphs from blank lines."""
    return _paragraphs(_PARAGRAPH_BREAK.split(html.escape(text.strip())))


def render_email(
    definition: EmailTemplateDef,
    values: Mapping[str, str | None],
    free_sections: Mapping[str, str],
) -> RenderedEmail:
    problems: list[FieldProblem] = []
    for key in free_sections:
        section = definition.section(key)
        if section is None or section.kind != SectionKind.FREE:
            problems.append(
                FieldProblem(
                    f"sections.{key}",
                    "not_free",
                    _("The template has no free section “%(key)s”.") % {"key": key},
                )
            )
    used: dict[str, list[str]] = {}
    for name in PLACEHOLDER.findall(definition.subject):
        used.setdefault(name, []).append(_("the subject"))

    parts: list[str] = []
    rendered_sections: dict[str, str] = {}
    for section in definition.sections:
        if section.kind == SectionKind.FIXED:
            for name in PLACEHOLDER.findall(section.text):
                used.setdefault(name, []).append(_section_name(section))
            chunk = _fixed_html(section.text, values)
        else:
            text = free_sections.get(section.key) or ""
            problems += _free_problems(section, text)
            chunk = free_html(text) if not has_nul(text) else ""
        text_of_chunk = html_to_text(sanitise(chunk))
        if text_of_chunk:
            rendered_sections[section.key] = text_of_chunk
            parts.append(chunk)
        elif section.role == SectionRole.CTA:
            problems.append(
                FieldProblem(
                    f"sections.{section.key}",
                    "no_call_to_action",
                    _(
                        "The email has no next step: write the call to action in %(section)s "
                        "(the customer must know what to do next)."
                    )
                    % {"section": _section_name(section)},
                )
            )
    for name, places in used.items():
        if values.get(name) is None:
            problems.append(_missing(name, places))
    body = sanitise("".join(parts))
    subject = _substitute(definition.subject, values, as_html=False).strip()
    if len(subject) > SUBJECT_MAX:
        message = _("The subject is %(length)d characters long; at most %(n)d fit.") % {
            "length": len(subject),
            "n": SUBJECT_MAX,
        }
        problems.append(FieldProblem("subject", "max_length", message))
    return RenderedEmail(subject, body, html_to_text(body), problems, rendered_sections)


def _section_name(section: TemplateSection) -> str:
    return _("the section “%(title)s” (%(key)s)") % {
        # The reader's language: problems are shown to the rep composing the email.
        "title": section.title.for_language(get_language()),
        "key": section.key,
    }


def _free_problems(section: TemplateSection, text: str) -> list[FieldProblem]:
    name = f"sections.{section.key}"
    if has_nul(text):
        return [FieldProblem(name, "invalid", _("Text may not contain NUL characters."))]
    if len(text) > FREE_TEXT_MAX:
        return [
            FieldProblem(name, "max_length", _("At most %(n)d characters.") % {"n": FREE_TEXT_MAX})
        ]
    # An empty call to action is reported once, as the missing next step.
    if section.required and not text.strip() and section.role != SectionRole.CTA:
        return [
            FieldProblem(
                name,
                "required",
                _("Write %(section)s: this template requires it.")
                % {"section": _section_name(section)},
            )
        ]
    return []


def _missing(name: str, places: list[str]) -> FieldProblem:
    info = MERGE_FIELD_INFO.get(name)
    return FieldProblem(
        f"merge_fields.{name}",
        "missing_value",
        _("No value for {{ %(name)s }} (used in %(places)s); it comes from %(source)s.")
        % {
            "name": name,
            "places": ", ".join(dict.fromkeys(places)),
            "source": info.source if info else name,
        },
    )


class _TextWriter(HTMLParser):
    """Plain text from sanitised HTML: paragraphs apart, line breaks kept, list items as
    "- item" (or "1. item"), a link's address after its words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [ordered?, counter]
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self.out.append("\n\n")
        elif tag == "br":
            self.out.append("\n")
        elif tag in ("ul", "ol"):
            self.out.append("\n\n" if not self.lists else "")
            self.lists.append([int(tag == "ol"), 0])
        elif tag == "li":
            marker = "- "
            if self.lists and self.lists[-1][0]:
                self.lists[-1][1] += 1
                marker = f"{self.lists[-1][1]}. "
            self.out.append(f"\n{marker}")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.out.append("\n\n")
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self.out.append("\n\n" if not self.lists else "")
        elif tag == "a" and self.href:
            words = "".join(self.link_text).strip()
            href = self.href.removeprefix("mailto:")
            if href != words:
                self.out.append(f" ({href})")
            self.href = None

    def handle_data(self, data: str) -> None:
        text = re.sub(r"\s+", " ", data)
        if self.href is not None:
            self.link_text.append(text)
        self.out.append(text)


def html_to_text(markup: str) -> str:
    writer = _TextWriter()
    writer.feed(markup)
    writer.close()
    text = "\n".join(line.strip() for line in "".join(writer.out).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()
