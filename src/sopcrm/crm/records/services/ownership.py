"""What follows a lead or deal changing hands: the previous owner's open tasks go to the new
owner, an unassigned record gets the tasks its stage starts with, and a lead records when its
rep received it (S-26)."""

from sopcrm.core.clock import now
from sopcrm.core.models import EventKind, User

from ..models import Activity, ActivityStatus, Lead
from .activities import activity_update
from .logging import event_log
from .playbook_context import StagedRecord, object_of, pipeline_of, record_link, record_type_of
from .process_tasks import tasks_create


def log_assigned(record: StagedRecord, actor: User | None) -> None:
    event_log(
        record_type=record_type_of(record),
        record_id=record.pk,
        kind=EventKind.ASSIGNED,
        actor=actor,
        data={"owner": record.owner_id, "rule": getattr(record, "assignment_rule", "")},
    )


def owner_changed(record: StagedRecord, previous_owner_id: int | None, *, actor: User) -> None:
    if record.owner_id is None:
        return
    link = record_link(record)
    if previous_owner_id is None:
        # The tasks skipped while nobody owned it (S-18: the first contact).
        had = set(Activity.objects.filter(**link).values_list("template_key", flat=True))
        stage = pipeline_of(record).stage(record.stage)
        starts = [*object_of(record).on_create.tasks, *(stage.on_enter.tasks if stage else ())]
        tasks_create(record, [k for k in starts if k not in had], actor=actor)
    else:
        for task in Activity.objects.filter(
            **link, owner_id=previous_owner_id, status=ActivityStatus.OPEN
        ):
            activity_update(task, actor=actor, data={"owner": record.owner_id})
    if isinstance(record, Lead):
        record.assigned_at = now()
        record.save(update_fields=["assigned_at"])
    log_assigned(record, actor)
