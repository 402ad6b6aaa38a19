"""Writing an email to the customer of a lead or deal from a template (S-37, S-38).

First the template: the ones that fit the record (its stage and step, region, product line, the
customer's language) first, then the rest of the library. Then the email, section by section:
fixed sections read-only with the merge fields filled in, free sections as text boxes with the
section's preset paragraphs one click away. *Preview* renders the email (htmx swaps the form and
the preview) and shows every problem beside its input; *Send* logs the email on the record and
queues it in the outbox. The idempotency key made when the form was first shown goes back with
every submit, so a form sent twice sends one email.

Everything about the email itself is the compose service's (crm/messaging/services/compose.py);
these views only parse, place its problems and show.
"""

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import BoundField
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sopcrm.core import normalise
from sopcrm.core.errors import DomainError, FieldProblem, InvalidInput, NotFound
from sopcrm.core.models import User
from sopcrm.crm.messaging import selectors as messaging
from sopcrm.crm.messaging.definitions import definition_of
from sopcrm.crm.messaging.merge_fields import merge_values
from sopcrm.crm.messaging.models import EmailTemplate, TemplateStatus
from sopcrm.crm.messaging.rendering import RenderedEmail, render_email, sanitise
from sopcrm.crm.messaging.services.compose import (
    EmailDraft,
    default_recipient,
    email_compose,
    email_preview,
)
from sopcrm.crm.records.models import Deal, Lead
from sopcrm.playbook.schema import EmailTemplateDef, SectionKind, SectionRole
from sopcrm.playbook.template_checks import PLACEHOLDER

from ..forms.compose import ComposeForm, new_idempotency_key, section_field_name
from ..http import WebRequest, wants_partial
from ..library_display import (
    active_playbook,
    language_name,
    option_label,
    purpose_label,
    template_name,
)
from .common import language, record_or_404, record_type_of, record_url, redirect_to


@dataclass(frozen=True)
class TemplateChoice:
    """A template in the picker."""

    name: str
    purpose: str
    language: str
    region: str
    product_line: str
    personal: bool
    url: str


@dataclass(frozen=True)
class Preset:
    label: str
    text: str
    value: str  # "<section>:<preset>": the button's value when there is no JavaScript


@dataclass
class SectionBlock:
    """One section of the email as the form shows it."""

    key: str
    title: str
    fixed: bool
    required: bool
    is_cta: bool
    text: str  # a fixed section's text with the merge fields filled in
    hint: str
    presets: list[Preset]
    field: BoundField | None
    anchor: str  # the element a problem in the list links to
    problems: list[str] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    message: str
    anchor: str


def _staged_or_404(user: User, record_type: str, pk: int) -> Lead | Deal:
    record = record_or_404(user, record_type, pk)
    if not isinstance(record, Lead | Deal):
        raise Http404
    return record


def compose_url(record: Lead | Deal) -> str:
    return reverse(f"{record_type_of(record).value}_compose", args=[record.pk])


def _head(record: Lead | Deal) -> dict[str, Any]:
    """What the page's header says: the record and whom the email is for."""
    record_type = record_type_of(record)
    customer = record.contact if isinstance(record, Deal) else None
    return {
        "title": _("Email: %(record)s") % {"record": record},
        "record": record,
        "record_type_label": record_type.label,
        "recipient_name": customer.name if customer else "",
        "record_url": record_url(record_type, record.pk),
    }


def _choices(
    templates: list[EmailTemplate], record: Lead | Deal, user: User
) -> list[TemplateChoice]:
    lang = language()
    playbook = active_playbook()
    base = compose_url(record)
    return [
        TemplateChoice(
            name=template_name(t, lang),
            purpose=purpose_label(t.purpose),
            language=language_name(t.language, playbook, lang),
            region=option_label(playbook, "region", t.region, lang) if t.region else "",
            product_line=(
                option_label(playbook, "product_line", t.product_line, lang)
                if t.product_line
                else ""
            ),
            personal=t.owner_id == user.pk,
            url=f"{base}?template={t.pk}",
        )
        for t in templates
    ]


def _picker(request: WebRequest, record: Lead | Deal) -> HttpResponse:
    user = request.user
    suggested = messaging.template_suggestions(user, record)
    shown = {t.pk for t in suggested}
    rest = [t for t in messaging.template_library(user) if t.pk not in shown]
    return render(
        request,
        "web/compose.html",
        {
            **_head(record),
            "suggested": _choices(suggested, record, user),
            "library": _choices(rest, record, user),
        },
    )


def _template_or_none(user: User, raw: str) -> EmailTemplate | None:
    pk = normalise.record_id(raw)
    if pk is None:
        return None
    try:
        template = messaging.template_get(user, pk)
    except NotFound:
        return None
    return None if template.status == TemplateStatus.ARCHIVED else template


def _fixed_parts(record: Lead | Deal, definition: EmailTemplateDef, user: User) -> RenderedEmail:
    """The subject and the fixed sections with the merge fields filled in, as the compose
    service fills them (the same signature, the same values); a missing value shows as [name]."""
    custom = record.custom or {}
    signature = messaging.signature_for(
        user,
        language=definition.language,
        region=str(custom.get("region") or ""),
        product_line=str(custom.get("product_line") or ""),
    )
    values = merge_values(
        record,
        user,
        language=definition.language,
        signature=signature.body if signature else None,
    )
    return render_email(definition, values, {})


def _blocks(
    definition: EmailTemplateDef, form: ComposeForm, fixed: RenderedEmail
) -> list[SectionBlock]:
    lang = language()
    blocks = []
    for section in definition.sections:
        is_free = section.kind == SectionKind.FREE
        name = section_field_name(section.key)
        blocks.append(
            SectionBlock(
                key=section.key,
                title=section.title.for_language(lang),
                fixed=not is_free,
                required=section.required or (is_free and section.role == SectionRole.CTA),
                is_cta=section.role == SectionRole.CTA,
                text="" if is_free else fixed.sections.get(section.key, ""),
                hint=section.hint.for_language(lang) if section.hint else "",
                presets=[
                    Preset(p.label.for_language(lang), p.text, f"{section.key}:{p.key}")
                    for p in section.presets
                ],
                field=form[name] if is_free else None,
                anchor=form[name].auto_id if is_free else f"section-{section.key}",
            )
        )
    return blocks


def _place(
    problems: list[FieldProblem], definition: EmailTemplateDef, blocks: list[SectionBlock]
) -> tuple[dict[str, list[str]], list[Problem]]:
    """Each problem beside the input it is about: a section by its key, a missing merge value
    beside every fixed section (and the subject) that uses it, the recipients; the list of all
    of them links to each place."""
    by_key = {b.key: b for b in blocks}
    beside: dict[str, list[str]] = {"to": [], "subject": [], "other": []}
    listed: list[Problem] = []
    subject_names = set(PLACEHOLDER.findall(definition.subject))
    for problem in problems:
        kind, _dot, name = problem.field.partition(".")
        anchors: list[str] = []
        if kind == "sections" and name in by_key:
            by_key[name].problems.append(problem.message)
            anchors.append(by_key[name].anchor)
        elif kind == "merge_fields":
            if name in subject_names:
                beside["subject"].append(problem.message)
                anchors.append("compose-subject")
            for section in definition.sections:
                if section.kind == SectionKind.FIXED and name in PLACEHOLDER.findall(section.text):
                    by_key[section.key].problems.append(problem.message)
                    anchors.append(by_key[section.key].anchor)
        elif problem.field in ("to", "subject"):
            beside[problem.field].append(problem.message)
            anchors.append("id_compose_to" if problem.field == "to" else "compose-subject")
        if not anchors:
            beside["other"].append(problem.message)
        listed.append(Problem(problem.message, anchors[0] if anchors else "compose-problems"))
    return beside, listed


def _describe(form: ComposeForm, blocks: list[SectionBlock], *, invalid_to: bool) -> None:
    """Tie each text box to its hint and its problems for screen readers."""
    for block in blocks:
        if block.field is None:
            continue
        attrs = block.field.field.widget.attrs
        ids = [f"{block.anchor}_hint"] if block.hint else []
        if block.problems:
            ids.append(f"{block.anchor}_error")
            attrs["aria-invalid"] = "true"
        if ids:
            attrs["aria-describedby"] = " ".join(ids)
    to_attrs = form.fields["to"].widget.attrs
    to_attrs["aria-describedby"] = f"{form['to'].auto_id}_helptext"
    if invalid_to:
        to_attrs["aria-invalid"] = "true"
        to_attrs["aria-describedby"] = f"{form['to'].auto_id}_error {form['to'].auto_id}_helptext"


def _sent_message(activity_subject: str, to: list[str]) -> str:
    return _("Email “%(subject)s” to %(to)s is queued for sending; it is on the timeline.") % {
        "subject": activity_subject,
        "to": ", ".join(to),
    }


def _render(
    request: WebRequest,
    record: Lead | Deal,
    template: EmailTemplate,
    form: ComposeForm,
    *,
    problems: list[FieldProblem],
    draft: EmailDraft | None,
    partial: bool,
) -> HttpResponse:
    definition = form.definition
    fixed = _fixed_parts(record, definition, request.user)
    blocks = _blocks(definition, form, fixed)
    beside, listed = _place(problems, definition, blocks)
    _describe(form, blocks, invalid_to=bool(beside["to"] or form["to"].errors))
    lang = language()
    context: dict[str, Any] = {
        **_head(record),
        "template": template,
        "template_name": template_name(template, lang),
        "template_language": language_name(definition.language, active_playbook(), lang),
        "picker_url": compose_url(record),
        "action": compose_url(record),
        "form": form,
        "subject": fixed.subject,
        "blocks": blocks,
        "beside": beside,
        "problems": listed,
        "draft": draft,
        "needs_signature": any(p.field == "merge_fields.rep_signature" for p in problems),
        # The service sanitised it already (nh3); sanitising again costs nothing and keeps this
        # page safe whatever changes there.
        "draft_html": mark_safe(sanitise(draft.html)) if draft else SafeString(""),  # noqa: S308
        "checked": draft is not None,
    }
    name = "web/includes/compose_form.html" if partial else "web/compose.html"
    response = render(request, name, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _with_preset(data: Any, definition: EmailTemplateDef, choice: str) -> Any:
    """The submitted data with a preset paragraph added to its section (the preset buttons
    without JavaScript; web/compose.js does the same in the browser)."""
    section_key, _colon, preset_key = choice.partition(":")
    section = definition.section(section_key)
    preset = next((p for p in section.presets if p.key == preset_key), None) if section else None
    if preset is None:
        return data
    data = data.copy()
    name = section_field_name(section_key)
    current = (data.get(name) or "").rstrip()
    data[name] = f"{current}\n\n{preset.text}" if current else preset.text
    return data


@login_required
@require_http_methods(["GET", "POST"])
def compose_view(request: WebRequest, record_type: str, pk: int) -> HttpResponse:
    """GET without a template: the picker. GET with `?template=`: the form, with the merge
    values the record lacks already listed. POST: a preset, a preview or sending."""
    user = request.user
    record = _staged_or_404(user, record_type, pk)
    source = request.POST if request.method == "POST" else request.GET
    raw_template = source.get("template", "")
    if not raw_template:
        return _picker(request, record)
    template = _template_or_none(user, raw_template)
    if template is None:
        messages.error(request, _("That template is not available; choose another one."))
        return redirect_to(compose_url(record))
    definition = definition_of(template)

    if request.method == "GET":
        form = ComposeForm(
            definition=definition,
            initial={
                "template": template.pk,
                "idempotency_key": new_idempotency_key(),
                "to": default_recipient(record),
            },
        )
        draft = email_preview(record, template=template, free_sections={}, actor=user)
        # Before anything is written, only what the rep cannot write is a problem: a merge
        # value the record lacks, no address.
        early = [p for p in draft.problems if not p.field.startswith("sections.")]
        return _render(request, record, template, form, problems=early, draft=None, partial=False)

    data = request.POST
    preset = data.get("preset", "")
    if preset:
        data = _with_preset(data, definition, preset)
    form = ComposeForm(data, definition=definition)
    if preset or not form.is_valid():
        partial = not preset and wants_partial(request)
        return _render(request, record, template, form, problems=[], draft=None, partial=partial)

    free_sections = form.free_sections()
    if data.get("action") == "send":
        try:
            activity = email_compose(
                record,
                template=template,
                free_sections=free_sections,
                to=form.recipients(),
                actor=user,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except InvalidInput as exc:
            return _render(
                request,
                record,
                template,
                form,
                problems=exc.problems,
                draft=None,
                partial=False,
            )
        except DomainError as exc:  # the template was archived meanwhile, a reused key
            messages.error(request, exc.message)
            return redirect_to(compose_url(record))
        messages.success(request, _sent_message(activity.subject, form.recipients()))
        return redirect_to(record_url(record_type_of(record), record.pk))

    draft = email_preview(
        record, template=template, free_sections=free_sections, to=form.recipients(), actor=user
    )
    return _render(
        request,
        record,
        template,
        form,
        problems=draft.problems,
        draft=draft,
        partial=wants_partial(request),
    )
