"""What leads and deals share: they start in their pipeline's first stage under the active
playbook version, and move between stages with events on both sides of the move."""

from typing import Any

from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import InvalidInput
from sopcrm.core.events import event_record
from sopcrm.core.models import EventKind, RecordType, User
from sopcrm.playbook.schema import ObjectType, Pipeline, Stage
from sopcrm.process.playbooks import active_version, playbook_for_version


def start_in_pipeline(record: Any, object_type: ObjectType, pipeline_key: Any) -> Pipeline:
    """Put a new record under the active playbook version, in the first stage of its pipeline."""
    version = active_version()
    playbook = playbook_for_version(version.pk)
    obj = playbook.object(object_type)
    if pipeline_key in (None, ""):
        pipeline = obj.default_pipeline
    else:
        pipeline = obj.pipeline(pipeline_key) if isinstance(pipeline_key, str) else None
        if pipeline is None:
            raise InvalidInput.single(
                "pipeline",
                "choice",
                _("Choose one of: %(options)s.")
                % {"options": ", ".join(p.key for p in obj.pipelines)},
            )
    if pipeline is None:
        raise InvalidInput.single(
            "pipeline", "missing", _("The active playbook defines no pipeline for this record.")
        )
    record.playbook_version = version
    record.pipeline = pipeline.key
    record.stage = pipeline.initial_stage.key
    record.stage_entered_at = record.created_at
    return pipeline


def log_stage_entered(record_type: RecordType, record: Any, actor: User | None) -> None:
    event_record(
        record_type=record_type,
        record_id=record.pk,
        kind=EventKind.STAGE_ENTERED,
        actor=actor,
        data={"pipeline": record.pipeline, "stage": record.stage},
        occurred_at=record.stage_entered_at,
    )


def move_to_stage(
    record_type: RecordType, record: Any, to_stage: str, *, actor: User | None
) -> Stage:
    """Move a locked record to `to_stage` and log leaving and entering; returns the new stage.

    The rules about which moves are allowed, what they require and what they cause belong to
    the playbook engine; this only keeps the record and its log consistent.
    """
    playbook = playbook_for_version(record.playbook_version_id)
    pipeline = playbook.object(record_type.value).pipeline(record.pipeline)
    stage = pipeline.stage(to_stage) if pipeline else None
    if stage is None:
        raise InvalidInput.single("stage", "unknown_stage", _("No such stage in this pipeline."))
    if to_stage == record.stage:
        raise InvalidInput.single("stage", "same_stage", _("The record is already in this stage."))
    at = now()
    previous = record.stage
    days = (at - record.stage_entered_at).total_seconds() / 86400
    event_record(
        record_type=record_type,
        record_id=record.pk,
        kind=EventKind.STAGE_LEFT,
        actor=actor,
        data={
            "pipeline": record.pipeline,
            "stage": previous,
            "to": to_stage,
            "days_in_stage": round(days, 4),
        },
        occurred_at=at,
    )
    record.stage = to_stage
    record.stage_entered_at = at
    record.updated_at = at
    event_record(
        record_type=record_type,
        record_id=record.pk,
        kind=EventKind.STAGE_ENTERED,
        actor=actor,
        data={"pipeline": record.pipeline, "stage": to_stage, "from": previous},
        occurred_at=at,
    )
    return stage
