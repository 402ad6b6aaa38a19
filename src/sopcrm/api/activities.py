from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Status
from pydantic import BaseModel

from sopcrm.core.models import RecordType
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import Activity
from sopcrm.crm.records.services.activities import (
    activity_complete,
    activity_create,
    activity_update,
)
from sopcrm.crm.records.transition_options import task_completion_fields

from .auth import actor
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
    render_one,
    timeline,
    update_record,
)

router = Router(tags=["activities"])


class ActivityUpdate(StrictInput):
    subject: str | None = None
    channel: str | None = Field(
        None,
        description="email, phone, whatsapp, wechat, linkedin, facebook, b2b_platform, video, "
        "in_person or other.",
    )
    summary: str | None = None
    feedback_type: str | None = Field(
        None,
        description="no_reply, interested, comparing_suppliers, price_objection, "
        "timing_objection, waiting_for_boss, needs_sample, not_interested or other.",
    )
    new_information: str | None = Field(
        None,
        description="What new a follow-up brought: new_material, new_proposal or new_reason.",
    )
    due_at: IsoDatetime | None = Field(None, description="Tasks only.")
    owner: int | None = None


class ActivityCreate(ActivityUpdate):
    kind: str = Field(description="task, call, email, meeting, message or note.")
    direction: str | None = Field(None, description="outbound (default), inbound or internal.")
    occurred_at: IsoDatetime | None = Field(
        None, description="When a logged contact happened (not for tasks); default now."
    )
    lead: int | None = None
    deal: int | None = None
    account: int | None = None
    contact: int | None = None


class ActivityComplete(StrictInput):
    channel: str | None = None
    summary: str | None = Field(None, description="Required, unless the task already has one.")
    feedback_type: str | None = None
    new_information: str | None = None
    occurred_at: IsoDatetime | None = None


class ActivityOut(BaseModel):
    id: int
    kind: str
    status: str
    subject: str
    channel: str
    direction: str
    summary: str
    feedback_type: str
    new_information: str
    due_at: UtcDatetime | None
    occurred_at: UtcDatetime | None
    completed_at: UtcDatetime | None
    lead: int | None
    deal: int | None
    account: int | None
    contact: int | None
    template_key: str | None = Field(
        description="The playbook task template this task was created from (e.g. `chase_1`), "
        "or null for an activity created by hand."
    )
    completion_requires: list[str] = Field(
        description="What completing this task requires besides `summary` (S-15), e.g. "
        '`["channel", "feedback_type"]` for a chase step.'
    )
    owner: int | None
    owner_name: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime


def render_activity(activity: Activity, ctx: RenderContext) -> dict[str, Any]:
    return {
        **owned(activity),
        "kind": activity.kind,
        "status": activity.status,
        "subject": activity.subject,
        "channel": activity.channel,
        "direction": activity.direction,
        "summary": activity.summary,
        "feedback_type": activity.feedback_type,
        "new_information": activity.new_information,
        "due_at": activity.due_at,
        "occurred_at": activity.occurred_at,
        "completed_at": activity.completed_at,
        "lead": activity.lead_id,
        "deal": activity.deal_id,
        "account": activity.account_id,
        "contact": activity.contact_id,
        "template_key": activity.template_key or None,
        "completion_requires": list(task_completion_fields(activity)),
    }


ACTIVITIES = RecordKind(RecordType.ACTIVITY, render_activity, activity_create, activity_update)


@router.get("", response={200: PageOut[ActivityOut], **responses(*LIST)})
def list_activities(request: HttpRequest, params: Query[ListQuery]) -> dict[str, Any]:
    return list_records(request, ACTIVITIES, params)


@router.post("", response={201: ActivityOut, **responses(*WRITE)})
def create_activity(request: HttpRequest, payload: ActivityCreate) -> Status[dict[str, Any]]:
    return create_record(request, ACTIVITIES, payload)


@router.get("/{activity_id}", response={200: ActivityOut, **responses(*READ)})
def get_activity(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    return get_record(request, ACTIVITIES, activity_id)


@router.patch("/{activity_id}", response={200: ActivityOut, **responses(*WRITE)})
def update_activity(
    request: HttpRequest, activity_id: int, payload: ActivityUpdate
) -> dict[str, Any]:
    return update_record(request, ACTIVITIES, activity_id, payload)


@router.post("/{activity_id}/complete", response={200: ActivityOut, **responses(*WRITE, 409)})
def complete_activity(
    request: HttpRequest, activity_id: int, payload: ActivityComplete
) -> dict[str, Any]:
    """Complete an open task with its outcome; 409 if it is not open. A task from a playbook
    template may require more than the summary (its `completion_requires`, e.g. channel and
    feedback_type for a chase step): a 422 names each missing one. Completing it may move the
    record's sub-state and create the next task (the 2nd chase after the 1st, S-21)."""
    user = actor(request)
    task = selectors.activity_get(user, activity_id)
    return render_one(user, ACTIVITIES, activity_complete(task, actor=user, data=payload.sent()))


@router.get("/{activity_id}/timeline", response={200: TimelineOut, **responses(*READ)})
def activity_timeline(
    request: HttpRequest, activity_id: int, limit: TimelineLimit = 200
) -> dict[str, Any]:
    return timeline(request, RecordType.ACTIVITY, activity_id, limit)
