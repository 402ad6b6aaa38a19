"""Turning what a service changed into events on the record's timeline."""

from datetime import datetime
from typing import Any

from sopcrm.core.clock import now
from sopcrm.core.events import event_record
from sopcrm.core.models import Event, EventKind, RecordType, User

from .changes import FieldChange
from .timing import rules_queue


def event_log(
    *,
    record_type: RecordType | str,
    record_id: int,
    kind: EventKind | str,
    actor: User | None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """Record an event on a record's timeline and queue it for the rules that react to it."""
    event = event_record(
        record_type=record_type,
        record_id=record_id,
        kind=kind,
        actor=actor,
        data=data,
        occurred_at=occurred_at,
    )
    rules_queue(event, actor)
    return event


# Values in "created" events: enough to read the timeline without joining back to the record.
_SNAPSHOT_SKIP = {"id", "custom", "created_at", "updated_at", "created_by", "playbook_version"}


def log_created(record_type: RecordType, record: Any, actor: User | None) -> None:
    snapshot = {
        f.attname: getattr(record, f.attname)
        for f in record._meta.concrete_fields
        if f.name not in _SNAPSHOT_SKIP and getattr(record, f.attname) not in (None, "")
    }
    if getattr(record, "custom", None):
        snapshot["custom"] = record.custom
    event_log(
        record_type=record_type,
        record_id=record.pk,
        kind=EventKind.CREATED,
        actor=actor,
        data=snapshot,
        occurred_at=record.created_at,
    )


def log_changes(
    record_type: RecordType, record: Any, changes: list[FieldChange], actor: User | None
) -> None:
    at = now()
    for change in changes:
        if change.field == "owner":
            kind, data = EventKind.OWNER_CHANGED, {"old": change.old, "new": change.new}
        else:
            kind = EventKind.FIELD_CHANGED
            data = {"field": change.field, "old": change.old, "new": change.new}
        event_log(
            record_type=record_type,
            record_id=record.pk,
            kind=kind,
            actor=actor,
            data=data,
            occurred_at=at,
        )
