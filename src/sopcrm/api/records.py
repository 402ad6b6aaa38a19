"""What the record endpoints share: list, get, create, update and timeline over the selectors and
services, and rendering a record for the user who asked.

Each object module (accounts.py, deals.py, ...) declares its input and output models and a
`RecordKind`, and its endpoints are one call into the helpers here.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Status
from pydantic import AfterValidator, BaseModel

from sopcrm.core.models import Event, RecordType, User
from sopcrm.crm.records import selectors
from sopcrm.crm.records.models import ApprovalRequest, ApprovalStatus, Deal, Lead
from sopcrm.crm.records.querying import DEFAULT_LIMIT, MAX_LIMIT, record_page
from sopcrm.playbook.schema import ObjectType
from sopcrm.process.fields import visible_custom_values
from sopcrm.process.models import PlaybookVersion
from sopcrm.process.playbooks import active_version, playbook_for_version

from .auth import actor
from .inputs import QueryInput, StrictInput

FILTER_HELP = (
    "Repeatable. `field:op:value`, e.g. `stage:eq:quoted`, `amount:gte:1000`, "
    "`custom.quote_date:lt:2025-04-01`, `custom.lost_reasons:contains:price_too_high`, "
    "`email:empty`. Ops: eq, ne, lt, lte, gt, gte, in (comma-separated), contains, empty."
)


class ListQuery(QueryInput):
    """Query parameters of every list operation (see docs/api.md)."""

    filter: list[str] = Field(default_factory=list, description=FILTER_HELP)
    sort: str | None = Field(
        None, description="A field, `-` first for descending; default `-created_at`."
    )
    q: str | None = Field(None, description="Search the record's names, e-mail and phone.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")


def _in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Output datetimes are always UTC ("...Z"), whichever offset a client wrote them with.
UtcDatetime = Annotated[datetime, AfterValidator(_in_utc)]


class EventOut(BaseModel):
    id: int
    occurred_at: UtcDatetime
    kind: str
    actor: int | None
    actor_name: str | None
    data: dict[str, Any]


class TimelineOut(BaseModel):
    items: list[EventOut]


class PageOut[T](BaseModel):
    items: list[T]
    next_cursor: str | None


@dataclass
class RenderContext:
    """What rendering records for one user needs, loaded once per response (not per row)."""

    user: User
    version_numbers: dict[UUID, int] = field(default_factory=dict)
    active_version_id: UUID | None = None
    # The pending approval request of each lead or deal rendered, by (model, record id).
    pending_approvals: dict[tuple[type, int], int] = field(default_factory=dict)

    @classmethod
    def for_records(cls, user: User, records: Iterable[Any]) -> "RenderContext":
        records = list(records)
        version_ids: set[UUID] = {
            r.playbook_version_id for r in records if hasattr(r, "playbook_version_id")
        }
        numbers: dict[UUID, int] = {}
        if version_ids:
            numbers = dict(
                PlaybookVersion.objects.filter(pk__in=version_ids).values_list("pk", "number")
            )
        return cls(user, numbers, pending_approvals=_pending_approvals(records))

    def custom(self, record: Any, object_type: ObjectType) -> dict[str, Any]:
        """The record's custom values the user may see, under the record's playbook version
        (accounts and contacts have none of their own and follow the active one)."""
        version_id = getattr(record, "playbook_version_id", None)
        if version_id is None:
            if self.active_version_id is None:
                self.active_version_id = active_version().pk
            version_id = self.active_version_id
        playbook = playbook_for_version(version_id)
        return visible_custom_values(self.user, playbook, object_type, record.custom or {})


def owned(record: Any) -> dict[str, Any]:
    """Owner and timestamps, which every record has."""
    owner = record.owner
    return {
        "id": record.pk,
        "owner": record.owner_id,
        "owner_name": str(owner) if owner is not None else None,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def _pending_approvals(records: list[Any]) -> dict[tuple[type, int], int]:
    """One query per record type for the pending approval requests of a page of records."""
    found: dict[tuple[type, int], int] = {}
    for model, link in ((Lead, "lead_id"), (Deal, "deal_id")):
        ids = [r.pk for r in records if isinstance(r, model)]
        if ids:
            rows = ApprovalRequest.objects.filter(
                **{f"{link}__in": ids}, status=ApprovalStatus.PENDING
            ).values_list(link, "pk")
            found.update({(model, record_id): pk for record_id, pk in rows})
    return found


def stage_labels(record: Lead | Deal, language: str | None = None) -> tuple[str, str | None]:
    """The labels of the record's stage and sub-state (None without one), in `language` (default:
    the request's), from the playbook version the record runs under."""
    language = language or get_language() or "en"
    object_type = ObjectType.LEAD if isinstance(record, Lead) else ObjectType.DEAL
    playbook = playbook_for_version(record.playbook_version_id)
    pipeline = playbook.object(object_type).pipeline(record.pipeline)
    stage = pipeline.stage(record.stage) if pipeline is not None else None
    if stage is None:
        return record.stage, record.substate or None
    substate = stage.substate(record.substate) if record.substate else None
    return (
        stage.label.for_language(language),
        substate.label.for_language(language) if substate is not None else record.substate or None,
    )


def staged(record: Any, ctx: RenderContext) -> dict[str, Any]:
    """Where a lead or deal stands in its pipeline, and whether a move waits for approval."""
    stage_label, substate_label = stage_labels(record)
    return {
        "pipeline": record.pipeline,
        "stage": record.stage,
        "stage_label": stage_label,
        "substate": record.substate or None,
        "substate_label": substate_label,
        "stage_entered_at": record.stage_entered_at,
        "playbook_version": ctx.version_numbers.get(record.playbook_version_id),
        "pending_approval": ctx.pending_approvals.get((type(record), record.pk)),
    }


@dataclass(frozen=True)
class RecordKind:
    """One object family: its record type, how to render it and its create/update services."""

    record_type: RecordType
    render: Callable[[Any, RenderContext], dict[str, Any]]
    create: Callable[..., Any]
    update: Callable[..., Any]


def list_records(request: HttpRequest, kind: RecordKind, params: ListQuery) -> dict[str, Any]:
    user = actor(request)
    page = record_page(
        user,
        kind.record_type,
        filters=params.filter,
        sort=params.sort,
        q=params.q,
        limit=params.limit,
        cursor=params.cursor,
    )
    ctx = RenderContext.for_records(user, page.items)
    return {"items": [kind.render(r, ctx) for r in page.items], "next_cursor": page.next_cursor}


def render_one(user: User, kind: RecordKind, record: Any) -> dict[str, Any]:
    return kind.render(record, RenderContext.for_records(user, [record]))


def get_record(request: HttpRequest, kind: RecordKind, record_id: int) -> dict[str, Any]:
    user = actor(request)
    return render_one(user, kind, selectors.record_get(user, kind.record_type, record_id))


def create_record(
    request: HttpRequest, kind: RecordKind, payload: StrictInput
) -> Status[dict[str, Any]]:
    user = actor(request)
    record = kind.create(actor=user, data=payload.sent())
    return Status(201, render_one(user, kind, record))


def update_record(
    request: HttpRequest, kind: RecordKind, record_id: int, payload: StrictInput
) -> dict[str, Any]:
    user = actor(request)
    # Fetch through the selector first: a record the user may not see is a 404, not a 422.
    record = selectors.record_get(user, kind.record_type, record_id)
    record = kind.update(record, actor=user, data=payload.sent())
    return render_one(user, kind, record)


def timeline(
    request: HttpRequest, record_type: RecordType, record_id: int, limit: int
) -> dict[str, Any]:
    events: list[Event] = selectors.record_timeline(
        actor(request), record_type, record_id, limit=limit
    )
    return {
        "items": [
            {
                "id": e.pk,
                "occurred_at": e.occurred_at,
                "kind": e.kind,
                "actor": e.actor_id,
                "actor_name": str(e.actor) if e.actor is not None else None,
                "data": e.data,
            }
            for e in events
        ]
    }


# The newest events first; a timeline has at most this many.
TimelineLimit = Annotated[int, Field(ge=1, le=200, description="At most this many events.")]
