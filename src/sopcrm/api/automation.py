"""What automation keeps for people: today's work (S-45), the lost deals to win back (S-40),
the records on a playbook list."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Router
from pydantic import BaseModel, Field

from sopcrm.crm.records.daily import (
    FirstContact,
    StepQueue,
    daily_view,
    list_members,
    remarketing_groups,
)
from sopcrm.crm.records.models import SlaClock

from .activities import ActivityOut, render_activity
from .auth import actor
from .errors import responses
from .records import RenderContext, UtcDatetime

router = Router(tags=["automation"])


class SlaClockOut(BaseModel):
    record_type: str
    record_id: int
    sla: str
    state: str
    started_at: UtcDatetime
    due_at: UtcDatetime
    at_risk_at: UtcDatetime | None
    breached: bool


class ApprovalBrief(BaseModel):
    id: int
    record_type: str
    record_id: int
    transition: str
    reason: str
    requested_at: UtcDatetime


class DealBrief(BaseModel):
    id: int
    title: str
    stage: str
    expected_close_on: str | None


class FirstContactOut(BaseModel):
    lead_id: int
    name: str
    company: str
    sla: str
    due_at: UtcDatetime
    at_risk_at: UtcDatetime | None
    at_risk: bool = Field(description="Past the clock's at-risk point.")
    late: bool = Field(description="Past the target: the first response is late.")


class StepRecordOut(BaseModel):
    id: int
    name: str
    stage: str
    substate: str


class StepQueueOut(BaseModel):
    record_type: str
    transition: str
    label: str = Field(description="The transition's `my_day` label, in the reader's language.")
    count: int
    records: list[StepRecordOut]


class DayCounts(BaseModel):
    overdue: int
    due_today: int
    awaiting_first_contact: int
    awaiting_approval: int
    past_expected_close: int


class DayOut(BaseModel):
    due_today: list[ActivityOut]
    overdue: list[ActivityOut]
    awaiting_first_contact: list[FirstContactOut] = Field(
        description="The user's leads whose first-response clock runs (S-17), soonest due first."
    )
    sla_at_risk: list[SlaClockOut] = Field(
        description="Running response clocks past their at-risk point or their target."
    )
    awaiting_approval: list[ApprovalBrief] = Field(
        description="For a manager: requests to decide; for a rep: their own pending requests."
    )
    steps: list[StepQueueOut] = Field(
        description="Per playbook transition marked `my_day` (e.g. Quotes to send): the user's "
        "open records waiting where it starts."
    )
    past_expected_close: list[DealBrief]
    counts: DayCounts = Field(
        description="How many there are in all; the lists stop at 100 items each."
    )


def _clock(clock: SlaClock) -> dict[str, Any]:
    return {
        "record_type": clock.record_type,
        "record_id": clock.record_id,
        "sla": clock.sla,
        "state": clock.state,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "at_risk_at": clock.at_risk_at,
        "breached": clock.breached_at is not None,
    }


def _first_contact(item: FirstContact) -> dict[str, Any]:
    return {
        "lead_id": item.lead.pk,
        "name": item.lead.name,
        "company": item.lead.company,
        "sla": item.clock.sla,
        "due_at": item.clock.due_at,
        "at_risk_at": item.clock.at_risk_at,
        "at_risk": item.at_risk,
        "late": item.late,
    }


def _steps(queue: StepQueue) -> dict[str, Any]:
    assert queue.transition.my_day is not None  # only my_day transitions make a queue
    return {
        "record_type": queue.object_type.value,
        "transition": queue.transition.key,
        "label": queue.transition.my_day.for_language(get_language()),
        "count": queue.records.total,
        "records": [
            {"id": r.pk, "name": str(r), "stage": r.stage, "substate": r.substate}
            for r in queue.records.items
        ],
    }


@router.get("/me/day", response={200: DayOut, **responses(401)})
def my_day(request: HttpRequest) -> dict[str, Any]:
    """Today's work of the signed-in user (S-45): tasks, first responses, approvals, the steps
    the playbook puts on the day, deals past their expected close."""
    user = actor(request)
    view = daily_view(user)
    tasks = [*view.due_today.items, *view.overdue.items]
    ctx = RenderContext.for_records(user, tasks)
    return {
        "due_today": [render_activity(a, ctx) for a in view.due_today.items],
        "overdue": [render_activity(a, ctx) for a in view.overdue.items],
        "awaiting_first_contact": [
            _first_contact(item) for item in view.awaiting_first_contact.items
        ],
        "sla_at_risk": [_clock(c) for c in view.sla_at_risk],
        "awaiting_approval": [
            {
                "id": a.pk,
                "record_type": "deal" if a.deal_id else "lead",
                "record_id": a.deal_id or a.lead_id,
                "transition": a.transition,
                "reason": a.reason,
                "requested_at": a.requested_at,
            }
            for a in view.awaiting_approval.items
        ],
        "steps": [_steps(queue) for queue in view.steps],
        "past_expected_close": [
            {
                "id": d.pk,
                "title": d.title,
                "stage": d.stage,
                "expected_close_on": d.expected_close_on.isoformat()
                if d.expected_close_on
                else None,
            }
            for d in view.past_expected_close.items
        ],
        "counts": {
            "overdue": view.overdue.total,
            "due_today": view.due_today.total,
            "awaiting_first_contact": view.awaiting_first_contact.total,
            "awaiting_approval": view.awaiting_approval.total,
            "past_expected_close": view.past_expected_close.total,
        },
    }


class RemarketingGroupOut(BaseModel):
    reason: str = Field(description="A lost reason key ('' when none was given).")
    likelihood: str = Field(description="The reactivation likelihood key.")
    count: int
    deals: list[int]


class RemarketingOut(BaseModel):
    items: list[RemarketingGroupOut]


@router.get("/deals-remarketing", response={200: RemarketingOut, **responses(401)})
def remarketing(request: HttpRequest) -> dict[str, Any]:
    """Lost deals by lost reason x reactivation likelihood (S-40); a deal lost for two reasons
    is counted in both."""
    groups = remarketing_groups(actor(request))
    return {
        "items": [
            {"reason": g.reason, "likelihood": g.likelihood, "count": g.count, "deals": g.deals}
            for g in groups
        ]
    }


class ListMemberOut(BaseModel):
    record_type: str
    id: int
    name: str


class ListOut(BaseModel):
    key: str
    items: list[ListMemberOut]


@router.get("/lists/{key}", response={200: ListOut, **responses(401, 422)})
def list_view(request: HttpRequest, key: str) -> dict[str, Any]:
    """The records on a playbook list that you can see (an unknown list is empty)."""
    members = list_members(actor(request), key)
    return {
        "key": key,
        "items": [
            {
                "record_type": record_type,
                "id": record.pk,
                "name": str(getattr(record, "title", "") or getattr(record, "name", "")),
            }
            for record_type, record in members
        ],
    }
