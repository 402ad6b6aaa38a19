"""Merging two leads that are one buyer: /leads/<keep>/merge/<absorb>/.

GET shows the two side by side with a choice per field on which they differ; POST merges
through `lead_merge` (which checks who may merge) and goes to the kept lead. Reached from a
lead's "possible duplicate" link or by typing the two ids; see docs/intake.md.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sopcrm.core.errors import DomainError
from sopcrm.core.models import RecordType
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Lead, LeadSource
from sopcrm.crm.records.services.merging import (
    ABSORB,
    KEEP,
    MergeField,
    lead_merge,
    may_merge,
    merge_fields,
)
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.playbooks import playbook_for_version

from .. import display
from ..http import WebRequest
from .common import language, record_url, redirect_to, visible_or_404


@dataclass(frozen=True)
class FieldChoice:
    name: str  # the field, also the radio group's name: `email`, `custom.region`
    label: str
    keep_text: str
    absorb_text: str
    chosen: str  # "keep" or "absorb"


def _text(lead: Lead, name: str, value: Any, lang: str) -> str:
    if value in (None, "", []):
        return ""
    if name == "owner":
        return display.user_label(lead.owner) if value == lead.owner_id else f"#{value}"
    if name == "country":
        return display.country_name(value)
    if name == "source":
        return str(LeadSource(value).label) if value in LeadSource.values else str(value)
    if name.startswith("custom."):
        definition = (
            playbook_for_version(lead.playbook_version_id)
            .object(ObjectType.LEAD)
            .field(name.removeprefix("custom."))
        )
        return display.custom_value_text(definition, value, lang) if definition else str(value)
    return str(value)


def _label(keep: Lead, name: str, lang: str) -> str:
    if name.startswith("custom."):
        definition = (
            playbook_for_version(keep.playbook_version_id)
            .object(ObjectType.LEAD)
            .field(name.removeprefix("custom."))
        )
        return definition.label.for_language(lang) if definition else name
    return str(capfirst(getattr(Lead._meta.get_field(name), "verbose_name", name)))


def _choices(
    keep: Lead, absorb: Lead, fields: list[MergeField], chosen: dict[str, str]
) -> list[FieldChoice]:
    lang = language()
    return [
        FieldChoice(
            name=f.name,
            label=_label(keep, f.name, lang),
            keep_text=_text(keep, f.name, f.keep_value, lang),
            absorb_text=_text(absorb, f.name, f.absorb_value, lang),
            chosen=chosen.get(f.name, KEEP),
        )
        for f in fields
    ]


@login_required
@require_http_methods(["GET", "POST"])
def lead_merge_view(request: WebRequest, keep: int, absorb: int) -> HttpResponse:
    kept = visible_or_404(selectors.lead_get, request.user, keep)
    absorbed = visible_or_404(selectors.lead_get, request.user, absorb)
    if not may_merge(request.user, kept, absorbed):
        raise HttpForbidden
    fields = merge_fields(kept, absorbed, actor=request.user)
    chosen: dict[str, str] = {}
    error = ""
    if request.method == "POST":
        chosen = {
            f.name: request.POST.get(f"choose:{f.name}", KEEP)
            for f in fields
            if request.POST.get(f"choose:{f.name}", KEEP) in (KEEP, ABSORB)
        }
        try:
            lead_merge(kept, absorbed, actor=request.user, choose=chosen)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("%(absorbed)s was merged into this lead.") % {"absorbed": absorbed},
            )
            return redirect_to(record_url(RecordType.LEAD, kept.pk))
    activities = selectors.record_activities(request.user, absorbed).count()
    context = {
        "title": _("Merge two leads"),
        "keep": kept,
        "absorb": absorbed,
        "keep_url": record_url(RecordType.LEAD, kept.pk),
        "absorb_url": record_url(RecordType.LEAD, absorbed.pk),
        "choices": _choices(kept, absorbed, fields, chosen),
        "activities": activities,
        "error": error,
    }
    return render(request, "web/records/lead_merge.html", context, status=422 if error else 200)
