"""The durable timers a change sets, moves or cancels, in the change's own transaction: a task's
due time, the idle limit of the record's stage (S-23), the dates rules wait for, and the queue
of changes rules react to. Services call `task_timer_sync` when a task changes and
`record_timers_refresh` when a record changes or is touched by an activity."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from typing import Any

from django.db import IntegrityError, transaction

from sopcrm.core.calendar import BusinessCalendar
from sopcrm.core.clock import now
from sopcrm.core.models import Event, EventKind, RecordType, User
from sopcrm.core.users import is_system_user
from sopcrm.playbook.schema import (
    ObjectDef,
    ObjectType,
    RuleDef,
    StageKind,
    TriggerKind,
    parse_duration,
)
from sopcrm.process.engine import calendar_for
from sopcrm.process.models import Timer, TimerKind, TimerStatus
from sopcrm.process.playbooks import playbook_of_record
from sopcrm.process.timers import timer_set, timers_cancel

from ..models import Activity, ActivityKind, ActivityStatus, Deal, Lead
from .playbook_context import field_values
from .slas import slas_refresh


def task_timer_sync(task: Activity) -> None:
    """An open task with a due time has a pending 'due' timer at that time; any other has none."""
    if task.kind != ActivityKind.TASK:
        return
    if task.status == ActivityStatus.OPEN and task.due_at is not None:
        timer_set(
            kind=TimerKind.TASK_DUE,
            record_type=RecordType.ACTIVITY,
            record_id=task.pk,
            due_at=task.due_at,
        )
    else:
        timers_cancel(kind=TimerKind.TASK_DUE, record_type=RecordType.ACTIVITY, record_id=task.pk)


def object_def(record_type: str, record: Any | None = None) -> ObjectDef:
    """The playbook object a record runs under (see `playbook_of_record`)."""
    return playbook_of_record(record).object(record_type)


def calendar_of_record(record: Any) -> BusinessCalendar:
    """The business calendar of the playbook the record runs under."""
    return calendar_for(playbook_of_record(record).calendar)


def _idle_limit(rule: RuleDef, obj: ObjectDef, record: Any) -> str | None:
    stage_key = getattr(record, "stage", None)
    pipeline = obj.pipeline(getattr(record, "pipeline", ""))
    stage = pipeline.stage(stage_key) if pipeline is not None and stage_key else None
    if stage is None or stage.kind != StageKind.OPEN:
        return None
    if rule.trigger.stages and stage.key not in rule.trigger.stages:
        return None
    if rule.trigger.after is not None:
        return rule.trigger.after
    return f"{stage.idle_days} days" if stage.idle_days else None


def idle_timers_set(record_type: RecordType, record: Any, *, since: datetime) -> None:
    """Restart the record's idle clocks from `since` (its last change or contact)."""
    obj = object_def(record_type, record)
    calendar = calendar_of_record(record)
    for rule in obj.rules_on(TriggerKind.IDLE_IN_STAGE):
        limit = _idle_limit(rule, obj, record)
        if limit is None:
            timers_cancel(
                kind=TimerKind.IDLE, record_type=record_type, record_id=record.pk, keys=[rule.key]
            )
            continue
        timer_set(
            kind=TimerKind.IDLE,
            record_type=record_type,
            record_id=record.pk,
            key=rule.key,
            due_at=calendar.add(since, parse_duration(limit), rule.trigger.clock.value),
            data={"rule": rule.key, "stage": record.stage, "limit": limit, "since": since},
        )


def _date_due(rule: RuleDef, value: Any, calendar: Any) -> datetime | None:
    if isinstance(value, str):  # stored as ISO text: a date, or an aware datetime
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        at = value if value.tzinfo is not None else value.replace(tzinfo=calendar.zone)
    elif hasattr(value, "year"):
        # A date is reached when the team's working day on it starts.
        opens = calendar.spec.working_hours[0][0] if calendar.spec.working_hours else time(0)
        at = datetime.combine(value, opens, tzinfo=calendar.zone)
    else:
        return None
    if rule.trigger.before is not None:
        return at - parse_duration(rule.trigger.before)
    if rule.trigger.after is not None:
        return at + parse_duration(rule.trigger.after)
    return at


def date_timers_set(record_type: RecordType, record: Any) -> None:
    """A timer for each rule waiting for a date field of the record, at that date."""
    obj = object_def(record_type, record)
    rules = obj.rules_on(TriggerKind.DATE_REACHED)
    if not rules:
        return
    values = field_values(record, ObjectType(record_type.value))
    calendar = calendar_of_record(record)
    for rule in rules:
        due = _date_due(rule, values.get(rule.trigger.field or ""), calendar)
        mine = {"kind": TimerKind.DATE, "record_type": record_type, "record_id": record.pk}
        if due is None:
            timers_cancel(**mine, keys=[rule.key])
            continue
        if Timer.objects.filter(
            **mine, key=rule.key, status=TimerStatus.FIRED, due_at=due
        ).exists():
            continue  # fired for this very date already
        timer_set(**mine, key=rule.key, due_at=due, data={"rule": rule.key})


def record_timers_refresh(record_type: RecordType, record: Any) -> None:
    """After a change to a record (or an activity on it): idle clocks restart, date timers
    follow their fields, SLA targets follow the record's values."""
    idle_timers_set(record_type, record, since=now())
    date_timers_set(record_type, record)
    if isinstance(record, Lead | Deal):
        slas_refresh(record)


# -- the queue of changes rules react to -------------------------------------------------------

_TRIGGERS_OF_EVENT: dict[str, tuple[TriggerKind, ...]] = {
    EventKind.CREATED: (TriggerKind.CREATED,),
    EventKind.FIELD_CHANGED: (TriggerKind.UPDATED, TriggerKind.FIELD_CHANGED),
    EventKind.OWNER_CHANGED: (TriggerKind.UPDATED, TriggerKind.FIELD_CHANGED),
    EventKind.STAGE_ENTERED: (TriggerKind.STAGE_ENTERED,),
    EventKind.STAGE_LEFT: (TriggerKind.STAGE_LEFT,),
    EventKind.ACTIVITY_COMPLETED: (TriggerKind.ACTIVITY_COMPLETED,),
    EventKind.ACTIVITY_CREATED: (TriggerKind.ACTIVITY_COMPLETED,),
}
_RULE_OBJECTS = {RecordType.LEAD, RecordType.DEAL, RecordType.ACCOUNT, RecordType.CONTACT}
# Set while a rule's actions run: what they change is not queued for rules, whoever acts (an
# email a rule sends goes out as the owner), so rules cannot trigger rules.
_rule_running: ContextVar[bool] = ContextVar("rule_running", default=False)


@contextmanager
def rules_quiet() -> Iterator[None]:
    token = _rule_running.set(True)
    try:
        yield
    finally:
        _rule_running.reset(token)


def rules_queue(event: Event, actor: User | None) -> None:
    """Queue a change for the rules that react to it, if any rule of the active playbook
    listens. Changes the automation itself makes are not queued, so rules cannot loop."""
    if event.record_type not in _RULE_OBJECTS or is_system_user(actor) or _rule_running.get():
        return
    triggers = _TRIGGERS_OF_EVENT.get(event.kind)
    if triggers is None:
        return
    if event.kind == EventKind.ACTIVITY_CREATED and event.data.get("status") != "done":
        return
    if not object_def(event.record_type).rules_on(*triggers):
        return
    mine = {"kind": TimerKind.EVENT, "record_type": event.record_type, "record_id": event.record_id}
    # One pending row per record gathers the changes until a worker takes them; a concurrent
    # first insert for the same record loses the race on the unique constraint and retries.
    for _attempt in range(2):
        try:
            with transaction.atomic():
                pending = (
                    Timer.objects.select_for_update()
                    .filter(**mine, key="changes", status=TimerStatus.PENDING)
                    .first()
                )
                if pending is None:
                    Timer.objects.create(
                        **mine,
                        key="changes",
                        due_at=event.occurred_at,
                        data={"events": [event.pk]},
                        created_at=now(),
                    )
                else:
                    pending.data = {"events": [*pending.data.get("events", []), event.pk]}
                    pending.due_at = min(pending.due_at, event.occurred_at)
                    pending.save(update_fields=["data", "due_at"])
            return
        except IntegrityError:
            continue
