from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status
from pydantic import BaseModel

from sopcrm.core.models import RecordType
from sopcrm.crm.records.models import Lead
from sopcrm.crm.records.services.leads import lead_create, lead_update
from sopcrm.playbook.schema import ObjectType

from .approvals import ApprovalOut
from .errors import LIST, READ, WRITE, responses
from .inputs import IsoDatetime, StrictInput
from .records import (
    ListQuery,
    PageOut,
    RecordKind,
    RenderContext,
    TimelineLimit,
    TimelineOut,
    UtcDatetime,
    create_record,
    get_record,
    list_records,
    owned,
    staged,
    timeline,
    update_record,
)
from .transitions import (
    EXCEPTION_DOC,
    TAKE_DOC,
    ExceptionMove,
    TransitionsOut,
    TransitionTake,
    exception_take,
    transition_take,
    transitions_of,
)

router = Router(tags=["leads"])


class LeadUpdate(StrictInput):
    name: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None
    source: str | None = Field(
        None,
        description="trade_show, website_form, whatsapp, b2b_platform, email, social, "
        "referral, import or other.",
    )
    message: str | None = None
    owner: int | None = None
    custom: dict[str, Any] | None = None


class LeadCreate(LeadUpdate):
    name: str
    received_at: IsoDatetime | None = Field(
        None, description="When the inquiry arrived, if earlier than now (imports)."
    )
    pipeline: str | None = Field(None, description="Default: the playbook's first lead pipeline.")


class LeadOut(BaseModel):
    id: int
    name: str
    company: str
    email: str
    phone: str
    country: str
    source: str
    message: str
    received_at: UtcDatetime
    pipeline: str
    stage: str
    stage_label: str = Field(description="The stage's name in your language.")
    substate: str | None = Field(
        description="The step inside the stage (e.g. `pending_2nd` in `quoted`), or null."
    )
    substate_label: str | None
    stage_entered_at: UtcDatetime
    playbook_version: int | None
    pending_approval: int | None = Field(
        description="The id of the approval request this record waits for (S-33), or null."
    )
    owner: int | None
    owner_name: str | None
    custom: dict[str, Any]
    created_at: UtcDatetime
    updated_at: UtcDatetime


def render_lead(lead: Lead, ctx: RenderContext) -> dict[str, Any]:
    return {
        **owned(lead),
        **staged(lead, ctx),
        "name": lead.name,
        "company": lead.company,
        "email": lead.email,
        "phone": lead.phone,
        "country": lead.country,
        "source": lead.source,
        "message": lead.message,
        "received_at": lead.received_at,
        "custom": ctx.custom(lead, ObjectType.LEAD),
    }


LEADS = RecordKind(RecordType.LEAD, render_lead, lead_create, lead_update)


@router.get("", response={200: PageOut[LeadOut], **responses(*LIST)})
def list_leads(request: HttpRequest, params: Query[ListQuery]) -> dict[str, Any]:
    return list_records(request, LEADS, params)


@router.post("", response={201: LeadOut, **responses(*WRITE)})
def create_lead(request: HttpRequest, payload: LeadCreate) -> Status[dict[str, Any]]:
    return create_record(request, LEADS, payload)


@router.get("/{lead_id}", response={200: LeadOut, **responses(*READ)})
def get_lead(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    return get_record(request, LEADS, lead_id)


@router.patch("/{lead_id}", response={200: LeadOut, **responses(*WRITE)})
def update_lead(request: HttpRequest, lead_id: int, payload: LeadUpdate) -> dict[str, Any]:
    return update_record(request, LEADS, lead_id, payload)


@router.get("/{lead_id}/timeline", response={200: TimelineOut, **responses(*READ)})
def lead_timeline(request: HttpRequest, lead_id: int, limit: TimelineLimit = 200) -> dict[str, Any]:
    return timeline(request, RecordType.LEAD, lead_id, limit)


@router.get("/{lead_id}/transitions", response={200: TransitionsOut, **responses(*READ)})
def lead_transitions(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    """The transitions you may take on this lead now, each with the fields its form asks for
    (type, options, current value, required), and whether it may need approval; the lead's
    stage and sub-state, its pending approval request, and the stages a manager may move it to by
    exception."""
    return transitions_of(request, RecordType.LEAD, lead_id)


@router.post(
    "/{lead_id}/transitions",
    response={200: LeadOut, 202: ApprovalOut, **responses(*WRITE, 409)},
    description=TAKE_DOC,
)
def take_lead_transition(
    request: HttpRequest, lead_id: int, payload: TransitionTake
) -> Status[dict[str, Any]]:
    return transition_take(request, LEADS, lead_id, payload)


@router.post(
    "/{lead_id}/exception",
    response={200: LeadOut, **responses(*WRITE)},
    description=EXCEPTION_DOC,
)
def move_lead_by_exception(
    request: HttpRequest, lead_id: int, payload: ExceptionMove
) -> dict[str, Any]:
    return exception_take(request, LEADS, lead_id, payload)
