"""Reading templates and signatures, with the library's visibility rule.

Everyone sees the team library (templates without an owner) and their own personal variants.
A manager also sees the variants their team's reps proposed for the library, an admin every
proposal: those are the ones they decide on.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sopcrm.core.errors import NotFound
from sopcrm.core.fieldtypes import is_record_id
from sopcrm.core.models import User
from sopcrm.crm.records import selectors as records
from sopcrm.crm.records.models import Deal, Lead
from sopcrm.crm.records.services.playbook_context import field_values, today_of
from sopcrm.playbook.conditions import ConditionError
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.engine import condition

from .models import EmailTemplate, Signature, TemplateCategory, TemplateStatus


def template_list(user: User) -> QuerySet[EmailTemplate]:
    if not user.is_active:
        return EmailTemplate.objects.none()
    visible = Q(owner__isnull=True) | Q(owner=user)
    if user.is_admin:
        visible |= Q(status=TemplateStatus.PROPOSED)
    elif user.is_manager and user.team_id is not None:
        visible |= Q(status=TemplateStatus.PROPOSED, owner__team_id=user.team_id)
    return EmailTemplate.objects.filter(visible).select_related("owner", "based_on")


def template_get(user: User, template_id: Any) -> EmailTemplate:
    """One visible template, or NotFound (also for one that exists but is not visible)."""
    found = (
        template_list(user).filter(pk=template_id).first() if is_record_id(template_id) else None
    )
    if found is None:
        raise NotFound(_("No such email template."))
    return found


def template_proposals(user: User) -> QuerySet[EmailTemplate]:
    """Variants waiting for this manager's (or admin's) decision, oldest first."""
    if not (user.is_manager or user.is_admin):
        return EmailTemplate.objects.none()
    return (
        template_list(user)
        .filter(status=TemplateStatus.PROPOSED, owner__isnull=False)
        .exclude(owner=user)
        .order_by("updated_at", "pk")
    )


def stage_fit(stages: list[str], stage: str, substate: str | None) -> int | None:
    """How well a template's stages fit: None not at all, 0 any stage (none listed), 1 the
    stage is listed, 2 the stage's current step is listed (`quoted.pending_2nd`). Without a
    `substate`, a listed step of the stage fits as the stage."""
    if not stages:
        return 0
    best: int | None = None
    for entry in stages:
        entry_stage, _dot, entry_step = entry.partition(".")
        if entry_stage != stage:
            continue
        if not entry_step or substate is None:
            best = max(best or 0, 1)
        elif entry_step == substate:
            best = 2
    return best


def _library_order(template: EmailTemplate) -> tuple[bool, bool, str, int]:
    return (
        not template.is_team,
        template.category != TemplateCategory.STANDARD,
        template.name.lower(),
        template.pk,
    )


def template_library(
    user: User,
    *,
    purpose: str | None = None,
    stage: str | None = None,
    region: str | None = None,
    product_line: str | None = None,
    language: str | None = None,
    include_archived: bool = False,
) -> list[EmailTemplate]:
    """The team library and the user's own variants, filtered, team library first (then
    standard before advanced, then by name). A region or product line keeps the templates for
    it and those for any; `stage` is a stage key or `stage.step`."""
    rows = template_list(user).filter(Q(owner__isnull=True) | Q(owner=user))
    if not include_archived:
        rows = rows.exclude(status=TemplateStatus.ARCHIVED)
    if purpose:
        rows = rows.filter(purpose=purpose)
    if language:
        rows = rows.filter(language=language)
    if region:
        rows = rows.filter(region__in=["", region])
    if product_line:
        rows = rows.filter(product_line__in=["", product_line])
    found = list(rows)
    if stage:
        stage_key, _dot, step = stage.partition(".")
        found = [t for t in found if stage_fit(t.stages, stage_key, step or None) is not None]
    return sorted(found, key=_library_order)


def record_languages(record: Lead | Deal) -> list[str]:
    """The languages the customer reads, from the contact's `languages` field."""
    contact = record.contact if isinstance(record, Deal) else None
    languages = (contact.custom or {}).get("languages") if contact is not None else None
    return [str(x) for x in languages] if isinstance(languages, list) else []


def template_suggestions(user: User, record: Lead | Deal) -> list[EmailTemplate]:
    """Live templates that fit the record, best first: its stage (its current step counts
    most), its region and product line (a template for them before one for any), the
    customer's languages (English when unknown; another language they read before English) and
    the template's condition (e.g. a lost
    deal's reactivation likelihood, S-40). Team library before personal on a tie."""
    record = (
        records.deal_get(user, record.pk)
        if isinstance(record, Deal)
        else records.lead_get(user, record.pk)
    )
    object_type = ObjectType.DEAL if isinstance(record, Deal) else ObjectType.LEAD
    values = field_values(record, object_type)
    languages = record_languages(record) or ["en"]
    today = today_of(record)
    candidates = template_list(user).filter(
        Q(owner__isnull=True, status=TemplateStatus.ACTIVE)
        | Q(owner=user, status__in=[TemplateStatus.ACTIVE, TemplateStatus.PROPOSED])
    )
    scored: list[tuple[int, tuple[bool, bool, str, int], EmailTemplate]] = []
    for template in candidates:
        fit = stage_fit(template.stages, record.stage, record.substate or None)
        if fit is None or template.language not in languages:
            continue
        # A customer who reads a language besides English gets that language first.
        score = fit * 8 + (2 if template.language != "en" else 0)
        for name in ("region", "product_line"):
            wanted = getattr(template, name)
            if wanted and wanted != values.get(name):
                break
            score += 2 if wanted else 0
        else:
            if template.when:
                try:
                    holds = condition(template.when).evaluate(values, today=today)
                except ConditionError:
                    holds = False
                if not holds:
                    continue
                score += 4
            scored.append((score, _library_order(template), template))
    scored.sort(key=lambda row: (-row[0], row[1]))
    return [template for _score, _order, template in scored]


def signature_list(user: User) -> QuerySet[Signature]:
    return Signature.objects.filter(user=user)


def signature_get(user: User, signature_id: Any) -> Signature:
    found = (
        signature_list(user).filter(pk=signature_id).first() if is_record_id(signature_id) else None
    )
    if found is None:
        raise NotFound(_("No such signature."))
    return found


def signature_for(
    user: User, *, language: str, region: str = "", product_line: str = ""
) -> Signature | None:
    """The signature for an email in `language`: one that lists the language (best fitting the
    region and product line, the default first on a tie); else the default; else one that names
    no language. None when the user has none of these."""
    signatures = list(signature_list(user))
    speaking = [s for s in signatures if language in s.languages]
    if speaking:
        return max(
            speaking,
            key=lambda s: (
                bool(region) and region in s.regions,
                bool(product_line) and product_line in s.product_lines,
                s.is_default,
                -s.pk,
            ),
        )
    default = next((s for s in signatures if s.is_default), None)
    return default or next((s for s in signatures if not s.languages), None)
