"""What leads and deals share at creation: they run under the active playbook version, in the
pipeline its conditions choose (S-08), starting in the first stage with its entry tasks."""

from typing import Any

from django.utils.translation import gettext as _

from sopcrm.core.errors import InvalidInput
from sopcrm.core.models import EventKind, RecordType, User
from sopcrm.playbook.schema import ObjectType, Playbook
from sopcrm.process import engine
from sopcrm.process.playbooks import active_version, playbook_for_version

from .logging import event_log
from .playbook_context import field_values, today_of
from .process_tasks import tasks_create
from .slas import slas_start
from .timing import record_timers_refresh


def use_active_version(record: Any) -> Playbook:
    version = active_version()
    record.playbook_version = version
    return playbook_for_version(version.pk)


def place_in_pipeline(record: Any, object_type: ObjectType, pipeline_key: Any) -> None:
    """Choose the pipeline (the one asked for, else the first whose condition holds for the new
    record's values, else the default) and put the record in its first stage."""
    obj = playbook_for_version(record.playbook_version_id).object(object_type)
    if pipeline_key in (None, ""):
        pipeline = engine.pipeline_for(
            obj.pipelines, field_values(record, object_type), today_of(record)
        )
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
    first = pipeline.initial_stage
    record.pipeline = pipeline.key
    record.stage = first.key
    record.substate = first.substates[0].key if first.substates else ""
    record.stage_entered_at = record.created_at


def start_process(record_type: RecordType, record: Any, actor: User | None) -> None:
    """After the record is saved: log that it entered its first stage and create the tasks the
    playbook starts with (e.g. the first-contact task of a new inquiry, S-18)."""
    event_log(
        record_type=record_type,
        record_id=record.pk,
        kind=EventKind.STAGE_ENTERED,
        actor=actor,
        data={"pipeline": record.pipeline, "stage": record.stage, "substate": record.substate},
        occurred_at=record.stage_entered_at,
    )
    obj = playbook_for_version(record.playbook_version_id).object(record_type.value)
    pipeline = obj.pipeline(record.pipeline)
    assert pipeline is not None
    stage = pipeline.initial_stage
    if stage.on_enter.set:
        record.custom = {**(record.custom or {}), **stage.on_enter.set}
        record.save(update_fields=["custom"])
    tasks_create(
        record, [*obj.on_create.tasks, *stage.on_enter.tasks], actor=actor, record_is_new=True
    )
    slas_start(record, actor=actor)
    record_timers_refresh(record_type, record, new=True)
