"""The template library (S-39): the team's templates and the user's own variants, each template's
page (its sections and its history), editing, and the way a rep's improvement reaches the team:
a rep saves a personal variant, edits it and proposes it; the manager promotes it into the team
library (replacing the template it was based on) or declines it with a reason.

Who may do what is the template services' rule (crm/messaging/services/templates.py); the pages
show the buttons a user may use and the services refuse the rest (403 here).
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sopcrm.core.errors import NotFound
from sopcrm.core.models import User
from sopcrm.crm.messaging import selectors as messaging
from sopcrm.crm.messaging.models import (
    EmailTemplate,
    TemplateAction,
    TemplateChange,
    TemplatePurpose,
    TemplateStatus,
)
from sopcrm.playbook.schema import Playbook

from .. import display
from ..display import Row
from ..forms.base import WebForm
from ..http import WebRequest
from ..library_display import (
    active_playbook,
    label_text,
    language_name,
    option_choices,
    option_label,
    purpose_label,
    template_name,
)
from .common import language

# -- forms ---------------------------------------------------------------------------------------


class LibraryFilterForm(WebForm):
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    region = forms.ChoiceField(label=gettext_lazy("Region"), required=False)
    product_line = forms.ChoiceField(label=gettext_lazy("Product line"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, *args: Any, playbook: Playbook, languages: list[str], **kwargs: Any):
        kwargs.setdefault("auto_id", "id_filter_%s")
        super().__init__(*args, **kwargs)
        lang = language()
        everything = ("", _("All"))
        choices: dict[str, list[tuple[str, Any]]] = {
            "purpose": [everything, *TemplatePurpose.choices],
            "language": [everything, *((c, language_name(c, playbook, lang)) for c in languages)],
            "region": [everything, *option_choices(playbook, "region", lang)],
            "product_line": [everything, *option_choices(playbook, "product_line", lang)],
            "status": [everything, *TemplateStatus.choices],
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options
            field.widget.attrs["class"] = "list-filter"


class ProposeForm(WebForm):
    note = forms.CharField(
        label=gettext_lazy("Note for the manager"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("What you improved and why (optional)."),
    )

    def __init__(self, *args: Any, template_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_propose{template_id}_%s")
        super().__init__(*args, **kwargs)


class DeclineForm(WebForm):
    reason = forms.CharField(
        label=gettext_lazy("Why it is declined"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required: the rep sees it in the template's history."),
    )

    def __init__(self, *args: Any, template_id: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_decline{template_id}_%s")
        super().__init__(*args, **kwargs)


# -- what the pages show -------------------------------------------------------------------------


# What a template's change log calls each part of it (TemplateChange data "fields").
PART_LABELS = {
    "key": gettext_lazy("Key"),
    "name": gettext_lazy("Name"),
    "category": gettext_lazy("Category"),
    "language": gettext_lazy("Language"),
    "region": gettext_lazy("Region"),
    "product_line": gettext_lazy("Product line"),
    "purpose": gettext_lazy("Purpose"),
    "stages": gettext_lazy("Suggested in stages"),
    "when": gettext_lazy("Condition"),
    "subject": gettext_lazy("Subject"),
    "sections": gettext_lazy("Sections"),
}
CATEGORY_SHORT = {"standard": gettext_lazy("Standard"), "advanced": gettext_lazy("Advanced")}


@dataclass(frozen=True)
class TemplateRow:
    template: EmailTemplate
    name: str
    url: str
    purpose: str
    category: str
    language: str
    region: str
    product_line: str
    owner: str
    status: str


@dataclass(frozen=True)
class Proposal:
    row: TemplateRow
    note: str
    decline_form: DeclineForm


@dataclass(frozen=True)
class ChangeEntry:
    at: Any
    actor: str
    action: str
    detail: str


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    kind: str
    fixed: bool
    required: bool
    is_cta: bool
    text: str
    hint: str
    presets: list[tuple[str, str]]


def template_url(template: EmailTemplate) -> str:
    return reverse("template_detail", args=[template.pk])


def may_keep_library(user: User) -> bool:
    return user.is_active and (user.is_manager or user.is_admin)


def may_edit(user: User, template: EmailTemplate) -> bool:
    """Mirrors the template services' rule: the team library is the managers' and admins', a
    personal template its owner's; nobody edits an archived one."""
    if template.status == TemplateStatus.ARCHIVED:
        return False
    if template.is_team:
        return may_keep_library(user)
    return template.owner_id == user.pk


def _row(template: EmailTemplate, user: User, playbook: Playbook) -> TemplateRow:
    lang = language()
    if template.is_team:
        owner = _("Team library")
    elif template.owner_id == user.pk:
        owner = _("Mine")
    else:
        owner = display.user_label(template.owner)
    return TemplateRow(
        template=template,
        name=template_name(template, lang),
        url=template_url(template),
        purpose=purpose_label(template.purpose),
        category=str(CATEGORY_SHORT.get(template.category, template.category)),
        language=language_name(template.language, playbook, lang),
        region=option_label(playbook, "region", template.region, lang),
        product_line=option_label(playbook, "product_line", template.product_line, lang),
        owner=owner,
        status=template.get_status_display(),
    )


def template_or_404(user: User, pk: int) -> EmailTemplate:
    try:
        return messaging.template_get(user, pk)
    except NotFound:
        raise Http404 from None


# -- the library ---------------------------------------------------------------------------------


@login_required
def library_view(request: WebRequest) -> HttpResponse:
    user = request.user
    playbook = active_playbook()
    languages = sorted(set(messaging.template_list(user).values_list("language", flat=True)))
    filters = LibraryFilterForm(request.GET or None, playbook=playbook, languages=languages)
    wanted: dict[str, str] = filters.cleaned_data if filters.is_valid() else {}
    status = wanted.get("status", "")
    found = messaging.template_library(
        user,
        purpose=wanted.get("purpose") or None,
        language=wanted.get("language") or None,
        region=wanted.get("region") or None,
        product_line=wanted.get("product_line") or None,
        include_archived=status == TemplateStatus.ARCHIVED,
    )
    if status:
        found = [t for t in found if t.status == status]
    # The selector orders by the English name; the reader sees the names in their language.
    rows = sorted(
        (_row(t, user, playbook) for t in found),
        key=lambda r: (r.template.category != "standard", r.name.lower()),
    )
    proposals = [
        Proposal(_row(t, user, playbook), t.proposal_note, DeclineForm(template_id=t.pk))
        for t in messaging.template_proposals(user)
    ]
    return render(
        request,
        "web/library/library.html",
        {
            "title": _("Email templates"),
            "filters": filters,
            "team": [r for r in rows if r.template.is_team],
            "mine": [r for r in rows if not r.template.is_team],
            "proposals": proposals,
            "keeps_library": may_keep_library(user),
        },
    )


# -- one template --------------------------------------------------------------------------------


def _sections(template: EmailTemplate) -> list[SectionView]:
    lang = language()
    kinds = {"fixed": _("Fixed"), "free": _("Free")}
    return [
        SectionView(
            key=str(s.get("key", "")),
            title=label_text(s.get("title"), lang),
            kind=kinds.get(str(s.get("kind")), str(s.get("kind"))),
            fixed=s.get("kind") == "fixed",
            required=bool(s.get("required")),
            is_cta=s.get("role") == "cta",
            text=str(s.get("text") or ""),
            hint=label_text(s.get("hint"), lang),
            presets=[
                (label_text(p.get("label"), lang), str(p.get("text", "")))
                for p in s.get("presets") or []
            ],
        )
        for s in template.sections
    ]


def _change_detail(change: TemplateChange) -> str:
    data = change.data or {}
    if change.action == TemplateAction.UPDATED and data.get("fields"):
        parts = [str(PART_LABELS.get(str(f), f)) for f in data["fields"]]
        return _("Changed: %(fields)s") % {"fields": ", ".join(parts)}
    if change.action == TemplateAction.PROPOSED and data.get("note"):
        return _("Note: %(note)s") % {"note": data["note"]}
    if change.action == TemplateAction.DECLINED:
        return _("Reason: %(reason)s") % {"reason": data.get("reason") or "—"}
    if change.action == TemplateAction.ARCHIVED and data.get("replaced_by_variant"):
        return _("Replaced by a promoted variant.")
    if change.action == TemplateAction.PROMOTED and data.get("team_template"):
        return _("Its text is now in the team library.")
    if change.action == TemplateAction.PROMOTED and data.get("replaces"):
        return _("Replaces the previous version of this template.")
    return ""


def _changes(template: EmailTemplate) -> list[ChangeEntry]:
    rows = TemplateChange.objects.filter(template=template).select_related("actor")
    return [
        ChangeEntry(
            at=change.occurred_at,
            actor=str(change.actor) if change.actor else _("System"),
            action=change.get_action_display(),
            detail=_change_detail(change),
        )
        for change in rows.order_by("-occurred_at", "-pk")
    ]


def render_template_page(
    request: WebRequest,
    template: EmailTemplate,
    *,
    propose_form: ProposeForm | None = None,
    decline_form: DeclineForm | None = None,
) -> HttpResponse:
    user = request.user
    lang = language()
    playbook = active_playbook()
    visible = messaging.template_list(user)
    own = template.owner_id == user.pk
    live = template.status != TemplateStatus.ARCHIVED
    # A variant of mine under this key already exists: link to it rather than offer another.
    my_variant = (
        visible.filter(owner=user, key=template.key)
        .exclude(status=TemplateStatus.ARCHIVED)
        .exclude(pk=template.pk)
        .first()
        if not own
        else None
    )
    based_on = visible.filter(pk=template.based_on_id).first() if template.based_on_id else None
    decides = (
        template.status == TemplateStatus.PROPOSED
        and messaging.template_proposals(user).filter(pk=template.pk).exists()
    )
    row = _row(template, user, playbook)
    rows = [
        Row(_("Key"), template.key),
        Row(_("Purpose"), row.purpose),
        Row(_("Category"), template.get_category_display()),
        Row(_("Language"), row.language),
        Row(_("Region"), row.region),
        Row(_("Product line"), row.product_line),
        Row(_("Suggested in stages"), ", ".join(template.stages) or _("Any stage")),
        Row(_("Condition"), template.when),
        Row(_("Owner"), row.owner),
        Row(_("Status"), row.status),
        Row(
            _("Based on"),
            template_name(based_on, lang) if based_on else "",
            template_url(based_on) if based_on else "",
        ),
    ]
    if template.proposal_note and template.status == TemplateStatus.PROPOSED:
        rows.append(Row(_("Proposal note"), template.proposal_note))
    return render(
        request,
        "web/library/template.html",
        {
            "title": row.name,
            "template": template,
            "row": row,
            "rows": rows,
            "subject": template.subject,
            "sections": _sections(template),
            "changes": _changes(template),
            "may_edit": may_edit(user, template),
            "may_variant": live and not own and my_variant is None,
            "my_variant": my_variant,
            "propose_form": (
                (propose_form or ProposeForm(template_id=template.pk))
                if own and template.status == TemplateStatus.ACTIVE
                else None
            ),
            "decline_form": (
                (decline_form or DeclineForm(template_id=template.pk)) if decides else None
            ),
            "library_url": reverse("template_library"),
        },
    )


@login_required
def template_detail(request: WebRequest, pk: int) -> HttpResponse:
    return render_template_page(request, template_or_404(request.user, pk))


def proposals_waiting(user: User) -> int:
    """How many proposals wait for this manager (the count beside Templates in the top bar)."""
    if not may_keep_library(user):
        return 0
    return messaging.template_proposals(user).count()
