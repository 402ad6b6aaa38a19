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
from sopcrm.core.events import events_batch
from sopcrm.core.models import Event, EventKind, RecordType, User
from sopcrm.core.users import is_system_user
from sopcrm.playbook.schema import (
    ObjectDef,
    ObjectType,
    Playbook,
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


def task_timer_sync(task: Activity, *, new: bool = False) -> None:
    """An open task with a due time has a pending 'due' timer at that time; any other has none.
    `new`: the task was just created, so it has no timer to move or cancel."""
    if task.kind != ActivityKind.TASK:
        return
    if task.status == ActivityStatus.OPEN and task.due_at is not None:
        timer_set(
            kind=TimerKind.TASK_DUE,
            record_type=RecordType.ACTIVITY,
            record_id=task.pk,
            due_at=task.due_at,
            new=new,
        )
    elif not new:
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


def idle_timers_set(
    record_type: RecordType, record: Any, *, since: datetime, new: bool = False
) -> None:
    """Restart the record's idle clocks from `since` (its last change or contact). `new`: the
    record was just created, so it has no timers to move or cancel."""
    obj = object_def(record_type, record)
    calendar = calendar_of_record(record)
    for rule in obj.rules_on(TriggerKind.IDLE_IN_STAGE):
        limit = _idle_limit(rule, obj, record)
        if limit is None:
            if not new:
                timers_cancel(
                    kind=TimerKind.IDLE,
                    record_type=record_type,
                    record_id=record.pk,
                    keys=[rule.key],
                )
            continue
        timer_set(
            kind=TimerKind.IDLE,
            record_type=record_type,
            record_id=record.pk,
            key=rule.key,
            due_at=calendar.add(since, parse_duration(limit), rule.trigger.clock.value),
            data={"rule": rule.key, "stage": record.stage, "limit": limit, "since": since},
            new=new,
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


def date_timers_set(record_type: RecordType, record: Any, *, new: bool = False) -> None:
    """A timer for each rule waiting for a date field of the record, at that date. `new`: the
    record was just created, so it has no timers to move, cancel or have fired."""
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
            if not new:
                timers_cancel(**mine, keys=[rule.key])
            continue
        fired = Timer.objects.filter(**mine, key=rule.key, status=TimerStatus.FIRED, due_at=due)
        if not new and fired.exists():
            continue  # fired for this very date already
        timer_set(**mine, key=rule.key, due_at=due, data={"rule": rule.key}, new=new)


def record_timers_refresh(record_type: RecordType, record: Any, *, new: bool = False) -> None:
    """After a change to a record (or an activity on it): idle clocks restart, date timers
    follow their fields, SLA targets follow the record's values. `new`: the record was just
    created and its SLA clocks started from these values, so there is nothing to move,
    cancel or refresh, only timers to add."""
    idle_timers_set(record_type, record, since=now(), new=new)
    date_timers_set(record_type, record, new=new)
    if isinstance(record, Lead | Deal) and not new:
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


class _RulesBatch:
    """The changes queued for rules during one service call, by record, in the order logged."""

    def __init__(self) -> None:
        self.pending: dict[tuple[str, int], list[Event]] = {}
        self._playbook: Playbook | None = None

    def playbook(self) -> Playbook:
        # The active version cannot change inside the caller's transaction: read it once.
        if self._playbook is None:
            self._playbook = playbook_of_record(None)
        return self._playbook

    def add(self, event: Event) -> None:
        self.pending.setdefault((event.record_type, event.record_id), []).append(event)

    def merge_into(self, outer: "_RulesBatch") -> None:
        for events in self.pending.values():
            for event in events:
                outer.add(event)
        outer._playbook = outer._playbook or self._playbook

    def flush(self) -> None:
        for (record_type, record_id), events in self.pending.items():
            _queue_changes(record_type, record_id, events)


_rules_batch: ContextVar[_RulesBatch | None] = ContextVar("rules_batch", default=None)


@contextmanager
def rules_batch() -> Iterator[None]:
    """Gather the events logged and the changes queued for rules while the block runs (one
    transition): the events are written with one bulk INSERT at its end (`events_batch`), and
    the changes queued with one lock and one write of each record's pending row, instead of one
    per event; the active playbook is read once for them all. Call it inside the caller's
    transaction. If the block fails nothing is queued (its events are dropped with it); a
    batch inside another hands its changes to the outer one when it ends well."""
    outer = _rules_batch.get()
    batch = _RulesBatch()
    token = _rules_batch.set(batch)
    try:
        # The block's events are written with one INSERT at its end, before the queue (which
        # needs their ids).
        with events_batch():
            yield
    finally:
        _rules_batch.reset(token)
    if outer is not None:
        batch.merge_into(outer)
    else:
        batch.flush()


def rules_queue(event: Event, actor: User | None) -> None:
    """Queue a change for the rules that react to it, if any rule of the active playbook
    listens. Changes the automation itself makes are not queued, so rules cannot loop. Inside
    `rules_batch` the change waits for the batch's end."""
    if event.record_type not in _RULE_OBJECTS or is_system_user(actor) or _rule_running.get():
        return
    triggers = _TRIGGERS_OF_EVENT.get(event.kind)
    if triggers is None:
        return
    if event.kind == EventKind.ACTIVITY_CREATED and event.data.get("status") != "done":
        return
    batch = _rules_batch.get()
    playbook = batch.playbook() if batch is not None else playbook_of_record(None)
    if not playbook.object(event.record_type).rules_on(*triggers):
        return
    if batch is not None:
        batch.add(event)
    else:
        _queue_changes(event.record_type, event.record_id, [event])


def _queue_changes(record_type: str, record_id: int, events: list[Event]) -> None:
    mine = {"kind": TimerKind.EVENT, "record_type": record_type, "record_id": record_id}
    ids = [event.pk for event in events]
    due_at = min(event.occurred_at for event in events)
    # One pending row per record gathers the changes until a worker takes them; a concurrent
    # first insert for the same record loses the race on the unique constraint (in a savepoint,
    # so the caller's transaction goes on) and retries, finding the row the other one made.
    for _attempt in range(2):
        pending = (
            Timer.objects.select_for_update()
            .filter(**mine, key="changes", status=TimerStatus.PENDING)
            .first()
        )
        if pending is not None:
            pending.data = {"events": [*pending.data.get("events", []), *ids]}
            pending.due_at = min(pending.due_at, due_at)
            pending.save(update_fields=["data", "due_at"])
            return
        try:
            with transaction.atomic():
                Timer.objects.create(
                    **mine, key="changes", due_at=due_at, data={"events": ids}, created_at=now()
                )
            return
        except IntegrityError:
            continue
