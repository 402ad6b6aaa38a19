"""Response-time clocks (S-17): started when a lead or deal is created, stopped by its first
completed outbound contact, ended when it closes first. Each point (at risk, breached, each
escalation) is a durable timer; rules react to them (automation/firing.py)."""

from datetime import datetime, timedelta

from sopcrm.core.clock import now
from sopcrm.core.events import event_record
from sopcrm.core.held import insert_or_hold
from sopcrm.core.models import EventKind, User
from sopcrm.playbook.schema import ObjectType, SlaDef, parse_duration
from sopcrm.process import engine
from sopcrm.process.models import TimerKind
from sopcrm.process.timers import timers_cancel, timers_set_many

from ..models import Activity, ActivityKind, ActivityStatus, Direction, SlaClock, SlaState
from .playbook_context import (
    StagedRecord,
    calendar_of,
    field_values,
    object_of,
    record_type_of,
    today_of,
)

# What counts as a response: a contact with the customer, not a note or an internal task.
CONTACT_KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING, ActivityKind.MESSAGE)


def is_customer_contact(activity: Activity) -> bool:
    """A completed outbound contact: a logged call, email, meeting or message, or a task done
    with the channel it was done through."""
    if activity.status != ActivityStatus.DONE or activity.direction != Direction.OUTBOUND:
        return False
    return activity.kind in CONTACT_KINDS or (
        activity.kind == ActivityKind.TASK and bool(activity.channel)
    )


def is_contact(activity: Activity) -> bool:
    """A completed contact with the customer in either direction (notes are not contacts)."""
    if activity.status != ActivityStatus.DONE or activity.direction == Direction.INTERNAL:
        return False
    return activity.kind in CONTACT_KINDS or (
        activity.kind == ActivityKind.TASK and bool(activity.channel)
    )


def is_customer_reply(activity: Activity) -> bool:
    """A contact that came from the customer: an inbound call, email, meeting or message."""
    return activity.direction == Direction.INBOUND and activity.kind in CONTACT_KINDS


def _target(sla: SlaDef, record: StagedRecord) -> str:
    values = field_values(record, ObjectType(record_type_of(record).value))
    today = today_of(record)
    for target in sla.targets:
        if engine.condition(target.when).evaluate(values, today=today):
            return target.within
    return sla.within


def _points(
    sla: SlaDef, record: StagedRecord, started_at: datetime, target: str
) -> dict[str, datetime]:
    """Each point of the clock and when it falls: at_risk, breached, escalation keys."""
    calendar = calendar_of(record)
    within = parse_duration(target)
    due = calendar.add(started_at, within, sla.clock.value)
    points: dict[str, datetime] = {"breached": due}
    if sla.at_risk_before is not None:
        before = parse_duration(sla.at_risk_before)
        lead_time = max(within - before, timedelta(0))
        points["at_risk"] = calendar.add(started_at, lead_time, sla.clock.value)
    for escalation in sla.escalations:
        points[escalation.key] = calendar.add(
            due, parse_duration(escalation.after), sla.clock.value
        )
    return points


def _schedule(clock: SlaClock, sla: SlaDef, record: StagedRecord, *, new: bool = False) -> None:
    """Set the clock's points and their timers. `new`: the clock was just started, on a record
    just created, so there are no timers to move."""
    points = _points(sla, record, clock.started_at, clock.target)
    clock.due_at = points["breached"]
    clock.at_risk_at = points.get("at_risk")
    # One read and one insert for all the points (timers_set_many), not two statements each.
    timers_set_many(
        new=new,
        kind=TimerKind.SLA,
        record_type=clock.record_type,
        record_id=clock.record_id,
        due={
            f"{sla.key}:{point}": (at, {"sla": sla.key, "point": point})
            for point, at in points.items()
            if point not in clock.fired
        },
    )


def slas_start(record: StagedRecord, *, actor: User | None) -> None:
    """Start the SLA clocks of a record just created (after it is saved)."""
    slas = object_of(record).slas
    if not slas:
        return
    record_type = record_type_of(record)
    for sla in slas:
        started = getattr(record, "received_at", None) if sla.starts == "received" else None
        started = started or record.created_at
        clock = SlaClock(
            record_type=record_type,
            record_id=record.pk,
            owner=record.owner,
            sla=sla.key,
            started_at=started,
            target=_target(sla, record),
            due_at=started,
        )
        _schedule(clock, sla, record, new=True)
        insert_or_hold([clock])  # inside an intake batch, with the batch's other clocks
        event_record(
            record_type=record_type,
            record_id=record.pk,
            kind=EventKind.SLA_STARTED,
            actor=actor,
            occurred_at=started,
            data={"sla": sla.key, "target": clock.target, "due_at": clock.due_at},
        )


def slas_refresh(record: StagedRecord) -> None:
    """The record changed: keep the owner in step and move the points if its target changed
    (a lead found high priority gets 12 hours instead of 24)."""
    running = list(
        SlaClock.objects.select_for_update().filter(
            record_type=record_type_of(record), record_id=record.pk, state=SlaState.RUNNING
        )
    )
    obj = object_of(record)
    for clock in running:
        sla = obj.sla(clock.sla)
        changed = clock.owner_id != record.owner_id
        clock.owner_id = record.owner_id
        if sla is not None:
            target = _target(sla, record)
            if target != clock.target:
                clock.target = target
                _schedule(clock, sla, record)
                changed = True
        if changed:
            clock.save()


def _stop(clock: SlaClock) -> None:
    timers_cancel(
        kind=TimerKind.SLA,
        record_type=clock.record_type,
        record_id=clock.record_id,
        key_prefix=f"{clock.sla}:",
    )


def sla_point_reached(record: StagedRecord, sla_key: str, point: str) -> SlaClock | None:
    """An SLA point's time came: the running clock, marked so the point never fires twice
    (a breach also records when it happened); None when the clock stopped or it fired."""
    clock = (
        SlaClock.objects.select_for_update()
        .filter(record_type=record_type_of(record), record_id=record.pk, sla=sla_key)
        .first()
    )
    if clock is None or clock.state != SlaState.RUNNING or point in clock.fired:
        return None
    clock.fired = [*clock.fired, point]
    if point == "breached":
        clock.breached_at = clock.due_at
    clock.save()
    return clock


def slas_note_contact(activity: Activity, record: StagedRecord, *, actor: User | None) -> None:
    """A completed outbound contact on the record: the first one stops its running clocks."""
    if not is_customer_contact(activity):
        return
    record_type = record_type_of(record)
    running = SlaClock.objects.select_for_update().filter(
        record_type=record_type, record_id=record.pk, state=SlaState.RUNNING
    )
    for clock in running:
        at = max(activity.occurred_at or activity.completed_at or now(), clock.started_at)
        clock.responded_at = at
        clock.response_activity_id = activity.pk
        clock.state = SlaState.MET if at <= clock.due_at else SlaState.MISSED
        clock.save()
        _stop(clock)
        event_record(
            record_type=record_type,
            record_id=record.pk,
            kind=EventKind.SLA_MET,
            actor=actor,
            occurred_at=at,
            data={
                "sla": clock.sla,
                "within_target": clock.state == SlaState.MET,
                "due_at": clock.due_at,
                "responded_at": at,
                "activity": activity.pk,
                "minutes": round((at - clock.started_at).total_seconds() / 60, 1),
            },
        )


def slas_end(record: StagedRecord, *, actor: User | None) -> None:
    """The record closed (won, lost, disqualified) before any response: its clocks end."""
    record_type = record_type_of(record)
    running = SlaClock.objects.select_for_update().filter(
        record_type=record_type, record_id=record.pk, state=SlaState.RUNNING
    )
    at = now()
    for clock in running:
        clock.state = SlaState.ENDED
        clock.ended_at = at
        clock.save()
        _stop(clock)
        event_record(
            record_type=record_type,
            record_id=record.pk,
            kind=EventKind.SLA_ENDED,
            actor=actor,
            data={"sla": clock.sla, "due_at": clock.due_at, "stage": record.stage},
        )
