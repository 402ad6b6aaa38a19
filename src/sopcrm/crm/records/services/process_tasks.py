"""Tasks the playbook creates (S-18, S-20..S-22): from templates with due times in business time,
cancelled when the record leaves the stages they belong to, and chained on completion."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import FieldProblem, InvalidInput
from sopcrm.core.held import rows_held
from sopcrm.core.models import EventKind, Role, User
from sopcrm.playbook.schema import Assignee, StageKind, TaskTemplate, parse_duration
from sopcrm.process.engine import due_at

from ..models import Activity, ActivityKind, ActivityStatus, Direction
from .logging import event_log
from .playbook_context import (
    StagedRecord,
    anchors_of,
    calendar_of,
    object_of,
    record_link,
    record_type_of,
)
from .timing import task_timer_sync


def _assignee(template: TaskTemplate, record: StagedRecord) -> User | None:
    """The owner; or the first active manager of the owner's team, or the first active admin;
    the owner when there is no such person."""
    owner = record.owner
    if template.assignee == Assignee.MANAGER and owner is not None and owner.team_id:
        candidates = User.objects.filter(team_id=owner.team_id, role=Role.MANAGER)
    elif template.assignee == Assignee.ADMIN:
        candidates = User.objects.filter(role=Role.ADMIN)
    else:
        return owner
    return candidates.filter(is_active=True).order_by("pk").first() or owner


def tasks_create(
    record: StagedRecord,
    keys: Iterable[str],
    *,
    actor: User | None,
    due: datetime | None = None,
    record_is_new: bool = False,
) -> list[Activity]:
    """Create open tasks from the named templates of the record's playbook version, due when
    their templates say (or at `due`, for a repeat). `record_is_new`: the record was just
    created (none of its tasks can be done yet)."""
    obj = object_of(record)
    templates = [t for t in (obj.task(k) for k in keys) if t is not None]
    if not templates:
        return []
    anchors = anchors_of(record, new=record_is_new)
    calendar = calendar_of(record)
    at = now()
    link = record_link(record)
    created = []
    for template in templates:
        assignee = _assignee(template, record)
        if assignee is None:
            continue  # an unassigned lead gets its tasks when it is assigned
        # An anchor without a value (an empty quote date) counts from now, so the task is never
        # silently missing; the transition into the stage should require the anchor field.
        task_due = (
            due
            or due_at(template, anchors, calendar)
            or calendar.add(at, parse_duration(template.due.after), template.due.clock.value)
        )
        active_in: list[str] = (
            [] if template.keep_after_stage else list(template.active_in or [record.stage])
        )
        task = Activity(
            kind=ActivityKind.TASK,
            status=ActivityStatus.OPEN,
            # The title in the language of the person who will do the task.
            subject=template.title.for_language(assignee.language or settings.LANGUAGE_CODE),
            channel=template.channel or "",
            direction=Direction.OUTBOUND,
            due_at=task_due,
            owner=assignee,
            template_key=template.key,
            active_in=active_in,
            created_at=at,
            updated_at=at,
            created_by=actor,
            **link,
        )
        created.append(task)
    # One INSERT for the tasks (both databases return their ids), one for their due timers.
    Activity.objects.bulk_create(created)
    with rows_held():
        for task in created:
            _log(task, record, EventKind.ACTIVITY_CREATED, actor)
            task_timer_sync(task, new=True)
    return created


def _log(
    task: Activity, record: StagedRecord, kind: EventKind, actor: User | None, **extra: Any
) -> None:
    event_log(
        record_type=record_type_of(record),
        record_id=record.pk,
        kind=kind,
        actor=actor,
        data={
            "activity": task.pk,
            "kind": task.kind,
            "subject": task.subject,
            "template": task.template_key,
            "status": task.status,
            "due_at": task.due_at,
            "channel": task.channel,
            "feedback_type": task.feedback_type,
            "summary": task.summary[:500],
            **extra,
        },
    )


def tasks_cancel_outside(record: StagedRecord, stage: str, *, actor: User | None) -> int:
    """Cancel the record's open tasks that belong to stages other than `stage`."""
    link = record_link(record)
    cancelled = 0
    for task in Activity.objects.select_for_update().filter(**link, status=ActivityStatus.OPEN):
        if task.active_in and stage not in task.active_in:
            task.status = ActivityStatus.CANCELLED
            task.updated_at = now()
            task.save(update_fields=["status", "updated_at"])
            task_timer_sync(task)
            _log(
                task, record, EventKind.ACTIVITY_CANCELLED, actor, reason="stage_left", stage=stage
            )
            cancelled += 1
    return cancelled


def completion_problems(task: Activity, record: StagedRecord | None) -> list[FieldProblem]:
    """What the task's template requires of its completion (e.g. channel and customer feedback
    for each chase step, S-15) and is missing."""
    if record is None or not task.template_key:
        return []
    template = object_of(record).task(task.template_key)
    if template is None:
        return []
    return [
        FieldProblem(name.value, "required", _("This task asks for it when completed."))
        for name in template.completion_requires
        if not getattr(task, name.value)
    ]


def after_completion(task: Activity, record: StagedRecord, *, actor: User | None) -> None:
    """Move the record to the template's next step and create the tasks anchored on this
    completion (the 2nd chase is due 5 days after the 1st is done, S-21)."""
    obj = object_of(record)
    template = obj.task(task.template_key) if task.template_key else None
    if template is None:
        return
    stage = next(
        (
            s
            for p in obj.pipelines
            if p.key == record.pipeline
            for s in p.stages
            if s.key == record.stage
        ),
        None,
    )
    target = template.on_complete.substate
    if target and stage is not None and stage.substate(target) and record.substate != target:
        previous = record.substate
        record.substate = target
        record.updated_at = now()
        record.save(update_fields=["substate", "updated_at"])
        event_log(
            record_type=record_type_of(record),
            record_id=record.pk,
            kind=EventKind.SUBSTATE_CHANGED,
            actor=actor,
            data={
                "pipeline": record.pipeline,
                "stage": record.stage,
                "from": previous,
                "to": target,
                "task": task.pk,
            },
        )
    in_force = template.keep_after_stage or record.stage in (template.active_in or [record.stage])
    if template.repeat_every is not None and in_force:
        at = task.completed_at or now()
        again = calendar_of(record).add(
            at, parse_duration(template.repeat_every), template.due.clock.value
        )
        tasks_create(record, [template.key], actor=actor, due=again)
    if stage is None or stage.kind != StageKind.OPEN:
        return
    follow_ons = [
        t.key
        for t in obj.tasks
        if t.due.anchor_task == template.key
        and (t.keep_after_stage or not t.active_in or record.stage in t.active_in)
    ]
    tasks_create(record, follow_ons, actor=actor)


def require_completion_fields(task: Activity, record: StagedRecord | None) -> None:
    problems = completion_problems(task, record)
    if problems:
        raise InvalidInput(problems)


def tasks_stop_on_reply(record: StagedRecord, *, actor: User | None) -> int:
    """The customer replied: cancel the record's open tasks whose template stops on a reply
    (the chase of S-21). Returns how many were cancelled."""
    obj = object_of(record)
    keys = [t.key for t in obj.tasks if t.stop_on_reply]
    if not keys:
        return 0
    link = record_link(record)
    tasks = Activity.objects.select_for_update().filter(
        **link, status=ActivityStatus.OPEN, template_key__in=keys
    )
    cancelled = 0
    for task in tasks:
        task.status = ActivityStatus.CANCELLED
        task.updated_at = now()
        task.save(update_fields=["status", "updated_at"])
        task_timer_sync(task)
        _log(task, record, EventKind.ACTIVITY_CANCELLED, actor, reason="customer_replied")
        cancelled += 1
    return cancelled


def cadence_start(record: StagedRecord, key: str, *, actor: User | None) -> list[Activity]:
    """Create the first steps of a cadence (its templates not anchored on another task's
    completion); the later steps follow their anchors as each step is completed. A cadence
    already running (an open task of it) is not started twice."""
    obj = object_of(record)
    cadence = obj.cadence(key)
    if cadence is None:
        raise InvalidInput.single(
            "cadence", "unknown", _("No such cadence: %(key)s.") % {"key": key}
        )
    running = Activity.objects.filter(
        **record_link(record), status=ActivityStatus.OPEN, template_key__in=cadence.tasks
    )
    if running.exists():
        return []
    first = [
        k
        for k in cadence.tasks
        if (t := obj.task(k)) is not None and t.due.anchor_task not in cadence.tasks
    ]
    return tasks_create(record, first, actor=actor)


def cadence_stop(record: StagedRecord, key: str, *, actor: User | None) -> int:
    """Cancel the open tasks of a cadence, so none of its later steps is created."""
    cadence = object_of(record).cadence(key)
    if cadence is None:
        raise InvalidInput.single(
            "cadence", "unknown", _("No such cadence: %(key)s.") % {"key": key}
        )
    cancelled = 0
    for task in Activity.objects.select_for_update().filter(
        **record_link(record), status=ActivityStatus.OPEN, template_key__in=cadence.tasks
    ):
        task.status = ActivityStatus.CANCELLED
        task.updated_at = now()
        task.save(update_fields=["status", "updated_at"])
        task_timer_sync(task)
        _log(task, record, EventKind.ACTIVITY_CANCELLED, actor, reason="cadence_stopped")
        cancelled += 1
    return cancelled
