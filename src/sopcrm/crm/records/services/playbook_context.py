"""Reading a staged record the way the playbook engine sees it."""

from datetime import date, datetime
from typing import Any

from sopcrm.core.calendar import BusinessCalendar
from sopcrm.core.models import RecordType, User
from sopcrm.playbook.core_fields import CORE_FIELDS
from sopcrm.playbook.schema import ObjectDef, ObjectType, Pipeline, Playbook, RoleName
from sopcrm.process.engine import Actor, Anchors, RecordView, calendar_for
from sopcrm.process.fields import role_of
from sopcrm.process.playbooks import playbook_for_version

from ..models import Activity, ActivityStatus, Deal, Lead

StagedRecord = Lead | Deal


def record_type_of(record: StagedRecord) -> RecordType:
    return RecordType.LEAD if isinstance(record, Lead) else RecordType.DEAL


def record_link(record: StagedRecord) -> dict[str, StagedRecord]:
    """The keyword that links an activity or approval to this record: {"lead": …} or {"deal": …}."""
    return {"lead": record} if isinstance(record, Lead) else {"deal": record}


def playbook_of(record: StagedRecord) -> Playbook:
    return playbook_for_version(record.playbook_version_id)


def object_of(record: StagedRecord) -> ObjectDef:
    return playbook_of(record).object(record_type_of(record).value)


def pipeline_of(record: StagedRecord) -> Pipeline:
    pipeline = object_of(record).pipeline(record.pipeline)
    if pipeline is None:  # a stored version always has the record's pipeline
        raise LookupError(f"pipeline {record.pipeline} missing from its playbook version")
    return pipeline


def calendar_of(record: StagedRecord) -> BusinessCalendar:
    return calendar_for(playbook_of(record).calendar)


def field_values(record: Any, object_type: ObjectType) -> dict[str, Any]:
    """Core and custom values by the keys playbooks use (conditions, required fields)."""
    values: dict[str, Any] = {}
    for key in CORE_FIELDS[object_type]:
        value = getattr(record, f"{key}_id" if key == "owner" else key, None)
        values[key] = None if value == "" else value
    values.update(record.custom or {})
    return values


def record_view(record: StagedRecord) -> RecordView:
    owner = record.owner
    return RecordView(
        owner_id=record.owner_id,
        owner_team_id=owner.team_id if owner is not None else None,
        stage=record.stage,
        substate=record.substate,
        values=field_values(record, ObjectType(record_type_of(record).value)),
    )


def actor_of(user: User) -> Actor:
    return Actor(id=user.pk, role=RoleName(role_of(user)), team_id=user.team_id)


def anchors_of(record: StagedRecord, *, new: bool = False) -> Anchors:
    """What task due times count from. `new`: the record was just created, so none of its
    tasks is done yet."""
    link = record_link(record)
    completed: dict[str, datetime] = (
        {}
        if new
        else {
            key: at
            for key, at in Activity.objects.filter(
                **link, status=ActivityStatus.DONE, completed_at__isnull=False
            )
            .exclude(template_key="")
            .order_by("completed_at")
            .values_list("template_key", "completed_at")
            if at is not None
        }
    )
    return Anchors(
        created_at=record.created_at,
        stage_entered_at=record.stage_entered_at,
        received_at=getattr(record, "received_at", None),
        values=field_values(record, ObjectType(record_type_of(record).value)),
        completed=completed,
    )


def today_of(record: StagedRecord) -> date:
    from sopcrm.core.clock import now

    return now().astimezone(calendar_of(record).zone).date()
