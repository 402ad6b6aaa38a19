"""Email templates: the team library and personal variants (S-37..S-39)."""

import base64
import binascii
import json
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Status
from pydantic import BaseModel

from sopcrm.core.errors import FieldProblem, InvalidInput
from sopcrm.core.events import jsonable
from sopcrm.core.models import User
from sopcrm.crm.messaging import selectors
from sopcrm.crm.messaging.definitions import definition_of
from sopcrm.crm.messaging.models import (
    EmailTemplate,
    TemplateCategory,
    TemplateChange,
    TemplateStatus,
)
from sopcrm.crm.messaging.services.templates import (
    template_archive,
    template_create,
    template_decline,
    template_promote,
    template_propose,
    template_update,
    template_variant_create,
)

from .auth import actor
from .errors import READ, WRITE, responses
from .inputs import QueryInput, StrictInput
from .records import PageOut, UtcDatetime

router = Router(tags=["templates"])


DEFAULT_LIMIT = 50
MAX_LIMIT = 200


# -- templates: output ---------------------------------------------------------------------------


class LabelOut(BaseModel):
    en: str
    zh: str | None


class PresetOut(BaseModel):
    key: str
    label: LabelOut
    text: str


class SectionOut(BaseModel):
    key: str
    title: LabelOut
    kind: str = Field(description="`fixed` (the author's text) or `free` (the rep writes it).")
    text: str = Field(description="Fixed sections: the text, with `{{ merge_fields }}`.")
    hint: LabelOut | None = Field(description="Free sections: guidance for the rep.")
    required: bool = Field(description="Free sections: the email cannot be sent while empty.")
    role: str | None = Field(description="`cta` for the call-to-action (next step) section.")
    presets: list[PresetOut] = Field(description="Free sections: paragraphs to start from.")


class TemplateOut(BaseModel):
    id: int
    key: str
    name: LabelOut
    category: str = Field(description="`standard` or `advanced` (S-39).")
    language: str
    region: str = Field(description="A region option key, or empty for every region.")
    product_line: str = Field(description="A product-line option key, or empty for every one.")
    purpose: str
    stages: list[str] = Field(description="Stage keys or `stage.step`; empty: any stage.")
    when: str | None = Field(description="A condition on the record, or null.")
    subject: str
    sections: list[SectionOut]
    team: bool = Field(description="In the team library (true) or a personal variant (false).")
    owner: int | None = Field(description="The personal variant's owner; null for the team's.")
    owner_name: str | None
    status: TemplateStatus
    based_on: int | None = Field(description="The template this one was made from.")
    origin: str = Field(description="The playbook version it was seeded from, if any.")
    proposal_note: str
    created_at: UtcDatetime
    updated_at: UtcDatetime


class TemplateListOut(BaseModel):
    items: list[TemplateOut]


class TemplateChangeOut(BaseModel):
    id: int
    action: str = Field(
        description="seeded, created, updated, variant_created, proposed, promoted, declined "
        "or archived."
    )
    action_label: str
    actor: int | None
    actor_name: str | None
    data: dict[str, Any] = Field(
        description="Details: the fields edited, a decline's `reason`, a proposal's `note`, ..."
    )
    occurred_at: UtcDatetime


class TemplateHistoryOut(BaseModel):
    items: list[TemplateChangeOut]


# -- templates: input ----------------------------------------------------------------------------


class LabelIn(StrictInput):
    en: str
    zh: str | None = None


class PresetIn(StrictInput):
    key: str
    label: LabelIn
    text: str


class SectionIn(StrictInput):
    key: str = Field(description="`lowercase_with_underscores`, unique in the template.")
    title: LabelIn
    kind: str = Field(description="`fixed` or `free`.")
    text: str = Field("", description="Fixed sections only: the text, with merge fields.")
    hint: LabelIn | None = Field(None, description="Free sections only.")
    required: bool = Field(False, description="Free sections only.")
    role: str | None = Field(None, description="`cta` on exactly one section.")
    presets: list[PresetIn] = Field(default_factory=list, description="Free sections only.")


class TemplateUpdate(StrictInput):
    key: str | None = None
    name: LabelIn | None = None
    category: str | None = Field(None, description="`standard` (default) or `advanced`.")
    language: str | None = Field(None, description="ISO 639 code; default `en`.")
    region: str | None = Field(
        None, description="A region option key of the playbook; empty or null: every region."
    )
    product_line: str | None = Field(
        None, description="A product-line option key; empty or null: every product line."
    )
    purpose: str | None = Field(
        None,
        description="first_reply, quote_cover, chase_1, chase_2, chase_3, retouch_high, "
        "retouch_medium, retouch_low, won_check or other.",
    )
    stages: list[str] | None = Field(
        None, description="Where it is suggested: stage keys or `stage.step`; empty: any stage."
    )
    when: str | None = Field(
        None, description="Suggested only where this condition holds; null: always."
    )
    subject: str | None = Field(None, description="One line, with merge fields.")
    sections: list[SectionIn] | None = Field(
        None, description="The whole ordered list (it replaces the template's sections)."
    )


class TemplateCreate(TemplateUpdate):
    key: str
    name: LabelIn
    purpose: str
    subject: str
    sections: list[SectionIn]
    personal: bool = Field(
        False,
        description="Save it as your own personal template (anyone may) rather than in the team "
        "library (managers and admins).",
    )


class TemplatePropose(StrictInput):
    note: str = Field("", description="Why the team should use it (shown to the manager).")


class TemplateDecline(StrictInput):
    reason: str = Field(description="Required; logged and shown to the rep.")


class TemplateQuery(QueryInput):
    purpose: str | None = Field(None, description="Only templates with this purpose.")
    language: str | None = Field(None, description="Only templates in this language (`en`).")
    region: str | None = Field(
        None, description="Templates for this region and those for every region."
    )
    product_line: str | None = Field(
        None, description="Templates for this product line and those for every product line."
    )
    status: TemplateStatus | None = Field(
        None, description="Only this status; by default `active` and `proposed`, not `archived`."
    )
    mine: bool | None = Field(
        None, description="true: only your personal templates; false: only the team library."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")


def _label(en: str, zh: str | None) -> dict[str, Any]:
    return {"en": en, "zh": zh or None}


def render_template(template: EmailTemplate) -> dict[str, Any]:
    definition = definition_of(template)
    owner = template.owner
    return {
        "id": template.pk,
        "key": template.key,
        "name": _label(template.name, template.name_zh),
        "category": template.category,
        "language": template.language,
        "region": template.region,
        "product_line": template.product_line,
        "purpose": template.purpose,
        "stages": list(template.stages),
        "when": template.when or None,
        "subject": template.subject,
        "sections": [s.model_dump(mode="json") for s in definition.sections],
        "team": template.is_team,
        "owner": template.owner_id,
        "owner_name": str(owner) if owner is not None else None,
        "status": template.status,
        "based_on": template.based_on_id,
        "origin": template.origin,
        "proposal_note": template.proposal_note,
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    }


# A null clears these; any other key of a template always has a value.
_CLEARED: dict[str, Any] = {"region": "", "product_line": "", "stages": [], "when": None}


def _template_data(payload: StrictInput) -> dict[str, Any]:
    """The sent fields in the shape of a playbook `email_templates` entry (nested models
    included, unset keys left out so the definition's defaults apply)."""
    data = payload.sent()
    data.pop("personal", None)
    problems = []
    for key, value in data.items():
        if value is None:
            if key in _CLEARED:
                data[key] = _CLEARED[key]
            else:
                problems.append(FieldProblem(key, "required", _("This field is required.")))
    if problems:
        raise InvalidInput(problems)
    return data


# -- the template list's keyset cursor: (personal, advanced, lower(name), id) --------------------


def _ordered(rows: QuerySet[EmailTemplate]) -> QuerySet[EmailTemplate]:
    """Team library first, standard before advanced, then by name: the library's order."""
    return rows.annotate(
        _personal=Case(When(owner__isnull=True, then=Value(0)), default=Value(1)),
        _advanced=Case(
            When(category=TemplateCategory.STANDARD, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        _name=Lower("name"),
    ).order_by("_personal", "_advanced", "_name", "pk")


def _cursor_encode(template: Any) -> str:
    position = [template._personal, template._advanced, template._name, template.pk]
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def _cursor_filter(cursor: str) -> Q:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        personal, advanced, name, pk = json.loads(raw)
        if not (
            personal in (0, 1)
            and advanced in (0, 1)
            and isinstance(name, str)
            and isinstance(pk, int)
            and not isinstance(pk, bool)
        ):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.single(
            "cursor", "invalid", _("This cursor is not valid; start from the first page.")
        ) from None
    return (
        Q(_personal__gt=personal)
        | Q(_personal=personal, _advanced__gt=advanced)
        | Q(_personal=personal, _advanced=advanced, _name__gt=name)
        | Q(_personal=personal, _advanced=advanced, _name=name, pk__gt=pk)
    )


def _filtered(user: User, params: TemplateQuery) -> QuerySet[EmailTemplate]:
    rows = selectors.template_list(user)
    if params.status is not None:
        rows = rows.filter(status=params.status)
    else:
        rows = rows.exclude(status=TemplateStatus.ARCHIVED)
    if params.mine is True:
        rows = rows.filter(owner=user)
    elif params.mine is False:
        rows = rows.filter(owner__isnull=True)
    if params.purpose:
        rows = rows.filter(purpose=params.purpose)
    if params.language:
        rows = rows.filter(language=params.language)
    if params.region:
        rows = rows.filter(region__in=["", params.region])
    if params.product_line:
        rows = rows.filter(product_line__in=["", params.product_line])
    return rows


# -- templates: endpoints ------------------------------------------------------------------------


@router.get("/templates", response={200: PageOut[TemplateOut], **responses(401, 422)})
def list_templates(request: HttpRequest, params: Query[TemplateQuery]) -> dict[str, Any]:
    """The team library and your personal templates (a manager also sees the proposals of their
    team's reps, an admin every proposal): team library first, standard before advanced, then
    by name. Archived templates only with `status=archived`."""
    user = actor(request)
    rows = _ordered(_filtered(user, params))
    if params.cursor:
        rows = rows.filter(_cursor_filter(params.cursor))
    page = list(rows[: params.limit + 1])
    more = len(page) > params.limit
    page = page[: params.limit]
    return {
        "items": [render_template(t) for t in page],
        "next_cursor": _cursor_encode(page[-1]) if more and page else None,
    }


@router.post("/templates", response={201: TemplateOut, **responses(400, 401, 403, 422)})
def create_template(request: HttpRequest, payload: TemplateCreate) -> Status[dict[str, Any]]:
    """Add a template to the team library (managers and admins; `403` for reps), or with
    `personal: true` save it as your own. The content is checked like a playbook
    `email_templates` entry: every problem is a `422` naming its field (`sections.<key>.text`)."""
    user = actor(request)
    template = template_create(actor=user, data=_template_data(payload), team=not payload.personal)
    return Status(201, render_template(template))


@router.get("/templates/{template_id}", response={200: TemplateOut, **responses(*READ)})
def get_template(request: HttpRequest, template_id: int) -> dict[str, Any]:
    return render_template(selectors.template_get(actor(request), template_id))


@router.patch("/templates/{template_id}", response={200: TemplateOut, **responses(*WRITE, 409)})
def update_template(
    request: HttpRequest, template_id: int, payload: TemplateUpdate
) -> dict[str, Any]:
    """Change the fields sent (`sections` replaces the whole list). The team library is edited
    by managers and admins, a personal template by its owner (`403` otherwise); an archived
    template is `409 archived`."""
    user = actor(request)
    template = selectors.template_get(user, template_id)
    return render_template(template_update(template, actor=user, data=_template_data(payload)))


@router.post("/templates/{template_id}/variants", response={201: TemplateOut, **responses(*WRITE)})
def create_variant(
    request: HttpRequest, template_id: int, payload: TemplateUpdate | None = None
) -> Status[dict[str, Any]]:
    """Save a personal copy of a template you see (`based_on` it), with the changes sent (no
    body, or `{}`, for an exact copy). It keeps the key unless you send another."""
    user = actor(request)
    base = selectors.template_get(user, template_id)
    data = _template_data(payload) if payload is not None else {}
    variant = template_variant_create(base, actor=user, data=data)
    return Status(201, render_template(variant))


@router.post(
    "/templates/{template_id}/propose", response={200: TemplateOut, **responses(*WRITE, 409)}
)
def propose_template(
    request: HttpRequest, template_id: int, payload: TemplatePropose | None = None
) -> dict[str, Any]:
    """Offer one of your active personal templates to the team library (S-39): its status
    becomes `proposed` until a manager promotes or declines it. `403` for a template that is
    not your own personal one, `409 not_active` unless it is active."""
    user = actor(request)
    template = selectors.template_get(user, template_id)
    note = payload.note if payload is not None else ""
    return render_template(template_propose(template, actor=user, note=note))


@router.post(
    "/templates/{template_id}/promote", response={200: TemplateOut, **responses(*READ, 403, 409)}
)
def promote_template(request: HttpRequest, template_id: int) -> dict[str, Any]:
    """Put a proposal into the team library (managers for their team's reps, admins for all;
    not your own proposal unless you are an admin). The answer is the new team template: a
    variant of a team template replaces it under the same key (the old version is archived);
    the rep's variant is archived. `409 not_proposed` for a template that is not proposed."""
    user = actor(request)
    template = selectors.template_get(user, template_id)
    return render_template(template_promote(template, actor=user))


@router.post(
    "/templates/{template_id}/decline", response={200: TemplateOut, **responses(*WRITE, 409)}
)
def decline_template(
    request: HttpRequest, template_id: int, payload: TemplateDecline
) -> dict[str, Any]:
    """Send a proposal back to its rep with a `reason` (`422` without one): it is their active
    personal template again (and no longer in your list). Who may: as for promote."""
    user = actor(request)
    template = selectors.template_get(user, template_id)
    return render_template(template_decline(template, actor=user, reason=payload.reason))


@router.post(
    "/templates/{template_id}/archive", response={200: TemplateOut, **responses(*READ, 403)}
)
def archive_template(request: HttpRequest, template_id: int) -> dict[str, Any]:
    """Take a template out of use; it is kept, with its history, for the emails sent from it.
    Archiving twice is harmless. Who may: as for editing."""
    user = actor(request)
    template = selectors.template_get(user, template_id)
    return render_template(template_archive(template, actor=user))


@router.get(
    "/templates/{template_id}/history", response={200: TemplateHistoryOut, **responses(*READ)}
)
def template_history(request: HttpRequest, template_id: int) -> dict[str, Any]:
    """What happened to the template, oldest first: who created, edited, proposed, promoted,
    declined or archived it, and when."""
    template = selectors.template_get(actor(request), template_id)
    changes = TemplateChange.objects.filter(template=template).select_related("actor")
    return {"items": [_render_change(c) for c in changes.order_by("occurred_at", "pk")]}


def _render_change(change: TemplateChange) -> dict[str, Any]:
    return {
        "id": change.pk,
        "action": change.action,
        "action_label": change.get_action_display(),
        "actor": change.actor_id,
        "actor_name": str(change.actor) if change.actor is not None else None,
        "data": jsonable(change.data or {}),
        "occurred_at": change.occurred_at,
    }
