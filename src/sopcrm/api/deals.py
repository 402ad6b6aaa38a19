from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status
from pydantic import BaseModel

from sopcrm.core.models import RecordType
from sopcrm.crm.records.models import Deal
from sopcrm.crm.records.services.deals import deal_create, deal_update
from sopcrm.playbook.schema import ObjectType

from .approvals import ApprovalOut
from .errors import LIST, READ, WRITE, responses
from .inputs import Amount, IsoDate, StrictInput
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

router = Router(tags=["deals"])


class DealUpdate(StrictInput):
    title: str | None = None
    account: int | None = None
    contact: int | None = None
    lead: int | None = None
    amount: Amount | None = Field(None, description='A number or a decimal string ("1250.50").')
    currency: str | None = None
    expected_close_on: IsoDate | None = None
    owner: int | None = None
    custom: dict[str, Any] | None = None


class DealCreate(DealUpdate):
    title: str
    pipeline: str | None = Field(None, description="Default: the playbook's first deal pipeline.")


class DealOut(BaseModel):
    id: int
    title: str
    account: int | None
    contact: int | None
    lead: int | None
    amount: str | None
    currency: str
    expected_close_on: date | None
    closed_at: UtcDatetime | None
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


def render_deal(deal: Deal, ctx: RenderContext) -> dict[str, Any]:
    return {
        **owned(deal),
        **staged(deal, ctx),
        "title": deal.title,
        "account": deal.account_id,
        "contact": deal.contact_id,
        "lead": deal.lead_id,
        # A decimal string: a JSON float would round large amounts.
        "amount": str(deal.amount) if deal.amount is not None else None,
        "currency": deal.currency,
        "expected_close_on": deal.expected_close_on,
        "closed_at": deal.closed_at,
        "custom": ctx.custom(deal, ObjectType.DEAL),
    }


DEALS = RecordKind(RecordType.DEAL, render_deal, deal_create, deal_update)


@router.get("", response={200: PageOut[DealOut], **responses(*LIST)})
def list_deals(request: HttpRequest, params: Query[ListQuery]) -> dict[str, Any]:
    return list_records(request, DEALS, params)


@router.post("", response={201: DealOut, **responses(*WRITE)})
def create_deal(request: HttpRequest, payload: DealCreate) -> Status[dict[str, Any]]:
    return create_record(request, DEALS, payload)


@router.get("/{deal_id}", response={200: DealOut, **responses(*READ)})
def get_deal(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    return get_record(request, DEALS, deal_id)


@router.patch("/{deal_id}", response={200: DealOut, **responses(*WRITE)})
def update_deal(request: HttpRequest, deal_id: int, payload: DealUpdate) -> dict[str, Any]:
    return update_record(request, DEALS, deal_id, payload)


@router.get("/{deal_id}/timeline", response={200: TimelineOut, **responses(*READ)})
def deal_timeline(request: HttpRequest, deal_id: int, limit: TimelineLimit = 200) -> dict[str, Any]:
    return timeline(request, RecordType.DEAL, deal_id, limit)


@router.get("/{deal_id}/transitions", response={200: TransitionsOut, **responses(*READ)})
def deal_transitions(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    """The transitions you may take on this deal now, each with the fields its form asks for
    (type, options, current value, required), and whether it may need approval; the deal's
    stage and sub-state, its pending approval request, and the stages a manager may move it to by
    exception."""
    return transitions_of(request, RecordType.DEAL, deal_id)


@router.post(
    "/{deal_id}/transitions",
    response={200: DealOut, 202: ApprovalOut, **responses(*WRITE, 409)},
    description=TAKE_DOC,
)
def take_deal_transition(
    request: HttpRequest, deal_id: int, payload: TransitionTake
) -> Status[dict[str, Any]]:
    return transition_take(request, DEALS, deal_id, payload)


@router.post(
    "/{deal_id}/exception",
    response={200: DealOut, **responses(*WRITE)},
    description=EXCEPTION_DOC,
)
def move_deal_by_exception(
    request: HttpRequest, deal_id: int, payload: ExceptionMove
) -> dict[str, Any]:
    return exception_take(request, DEALS, deal_id, payload)
