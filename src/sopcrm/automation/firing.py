"""Firing due timers: each in its own transaction that claims it (SKIP LOCKED on PostgreSQL,
an exclusive transaction on SQLite), marks it fired and writes every effect, so a timer fires
exactly once even with several workers, and a worker killed mid-way leaves it pending for the
next. Outbound messages go through the outbox and the webhook queue with idempotency keys.

A timer that fires more than LATE_AFTER after its time (no worker was running) is marked late,
and so are the events it writes."""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction

from sopcrm.core.clock import now
from sopcrm.core.events import event_record
from sopcrm.core.models import Event, EventKind, RecordType, User
from sopcrm.core.users import system_user
from sopcrm.crm.records.models import Activity, ActivityStatus
from sopcrm.crm.records.services.slas import sla_point_reached
from sopcrm.crm.records.services.timing import idle_timers_set
from sopcrm.playbook.schema import TriggerKind
from sopcrm.process.models import Timer, TimerKind, TimerStatus
from sopcrm.process.timers import timer_any_due, timer_claim_due

from .records import record_lock
from .rules import rules_run

logger = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 5


def timers_fire_due(*, limit: int = 500) -> int:
    """Fire up to `limit` due timers, earliest first; returns how many were taken."""
    taken = 0
    system = system_user()
    while taken < limit and timer_any_due(now()):
        with transaction.atomic():
            timer = timer_claim_due(now())
            if timer is None:
                break
            _fire(timer, system)
        taken += 1
    return taken


def _fire(timer: Timer, system: User) -> None:
    at = now()
    late = at - max(timer.due_at, timer.created_at) > LATE_AFTER
    # Marked fired first, so a handler may set the next timer of the same purpose (the idle
    # limit repeats).
    timer.status, timer.fired_at, timer.late = TimerStatus.FIRED, at, late
    timer.attempts += 1
    timer.save(update_fields=["status", "fired_at", "late", "attempts"])
    try:
        with transaction.atomic():
            _HANDLERS[timer.kind](timer, system, late)
    except Exception as exc:
        logger.exception("timer %s failed", timer.pk)
        timer.last_error = repr(exc)[:2000]
        if timer.attempts >= MAX_ATTEMPTS:
            timer.status = TimerStatus.FAILED
        else:  # try again later, backing off
            timer.status, timer.fired_at = TimerStatus.PENDING, None
            timer.due_at = at + timedelta(minutes=2**timer.attempts)
        timer.save(update_fields=["status", "fired_at", "due_at", "last_error"])


def _log(
    record_type: str, record_id: int, kind: EventKind, system: User, late: bool, **data: Any
) -> None:
    if late:
        data["late"] = True
    event_record(record_type=record_type, record_id=record_id, kind=kind, actor=system, data=data)


def _task_due(timer: Timer, system: User, late: bool) -> None:
    task = Activity.objects.filter(pk=timer.record_id).first()
    if task is None or task.status != ActivityStatus.OPEN or task.due_at is None:
        return
    if task.due_at > now():
        return  # moved later meanwhile; its timer moved with it
    parents = [
        (name, getattr(task, f"{name}_id")) for name in ("deal", "lead", "account", "contact")
    ]
    name, record_id = next(((n, i) for n, i in parents if i is not None), (None, None))
    if name is None or record_id is None:
        _log(RecordType.ACTIVITY, task.pk, EventKind.TASK_OVERDUE, system, late, activity=task.pk)
        return
    record = record_lock(name, record_id)
    task.refresh_from_db()
    if record is None or task.status != ActivityStatus.OPEN:
        return
    _log(
        name,
        record_id,
        EventKind.TASK_OVERDUE,
        system,
        late,
        activity=task.pk,
        subject=task.subject,
        template=task.template_key,
        due_at=task.due_at,
        owner=task.owner_id,
    )
    facts = {"activity": task, "due_at": task.due_at}
    rules_run(
        name,
        record,
        TriggerKind.TASK_OVERDUE,
        facts,
        cause=f"timer:{timer.pk}",
        system=system,
        late=late,
    )


_SLA_EVENTS = {"at_risk": EventKind.SLA_AT_RISK, "breached": EventKind.SLA_BREACHED}
_SLA_TRIGGERS = {"at_risk": TriggerKind.SLA_AT_RISK, "breached": TriggerKind.SLA_BREACHED}


def _sla(timer: Timer, system: User, late: bool) -> None:
    record = record_lock(timer.record_type, timer.record_id)
    sla_key, point = timer.data["sla"], timer.data["point"]
    clock = sla_point_reached(record, sla_key, point) if record is not None else None
    if record is None or clock is None:
        return
    kind = _SLA_EVENTS.get(point, EventKind.SLA_ESCALATED)
    _log(
        timer.record_type,
        record.pk,
        kind,
        system,
        late,
        sla=sla_key,
        point=point,
        due_at=clock.due_at,
    )
    facts = {"sla": sla_key, "point": point, "due_at": clock.due_at}
    trigger = _SLA_TRIGGERS.get(point, TriggerKind.SLA_ESCALATED)
    rules_run(
        timer.record_type,
        record,
        trigger,
        facts,
        cause=f"timer:{timer.pk}",
        system=system,
        late=late,
    )


def _idle(timer: Timer, system: User, late: bool) -> None:
    record = record_lock(timer.record_type, timer.record_id)
    stage = timer.data.get("stage")
    if record is None or getattr(record, "stage", None) != stage:
        return
    count = int(timer.data.get("count", 1))
    _log(
        timer.record_type,
        record.pk,
        EventKind.IDLE_IN_STAGE,
        system,
        late,
        rule=timer.key,
        stage=stage,
        limit=timer.data.get("limit"),
        since=timer.data.get("since"),
        count=count,
    )
    facts = {"rule": timer.key, "stage": stage, "due_at": timer.due_at}
    rules_run(
        timer.record_type,
        record,
        TriggerKind.IDLE_IN_STAGE,
        facts,
        cause=f"timer:{timer.pk}",
        system=system,
        late=late,
    )
    # Once per limit, not every minute: the same limit again from now, still counting from
    # the last real change.
    idle_timers_set(RecordType(timer.record_type), record, since=now())
    Timer.objects.filter(
        kind=TimerKind.IDLE,
        record_type=timer.record_type,
        record_id=timer.record_id,
        key=timer.key,
        status=TimerStatus.PENDING,
    ).update(data={**timer.data, "count": count + 1})


def _date(timer: Timer, system: User, late: bool) -> None:
    record = record_lock(timer.record_type, timer.record_id)
    if record is None:
        return
    _log(
        timer.record_type,
        record.pk,
        EventKind.DATE_REACHED,
        system,
        late,
        rule=timer.key,
        due_at=timer.due_at,
    )
    facts = {"rule": timer.key, "due_at": timer.due_at}
    rules_run(
        timer.record_type,
        record,
        TriggerKind.DATE_REACHED,
        facts,
        cause=f"timer:{timer.pk}",
        system=system,
        late=late,
    )


def _changes(timer: Timer, system: User, late: bool) -> None:
    """Changes people made, queued by the services (crm/records/services/timing.py)."""
    record = record_lock(timer.record_type, timer.record_id)
    if record is None:
        return
    events = Event.objects.filter(pk__in=timer.data.get("events", [])).order_by("pk")
    cause = f"timer:{timer.pk}"
    changed: list[str] = []
    for event in events:
        facts: dict[str, Any]
        if event.kind == EventKind.CREATED:
            trigger, facts = TriggerKind.CREATED, {}
        elif event.kind in (EventKind.FIELD_CHANGED, EventKind.OWNER_CHANGED):
            field = str(event.data.get("field", "owner")).removeprefix("custom.")
            changed.append(field)
            continue
        elif event.kind in (EventKind.STAGE_ENTERED, EventKind.STAGE_LEFT):
            trigger = (
                TriggerKind.STAGE_ENTERED
                if event.kind == EventKind.STAGE_ENTERED
                else TriggerKind.STAGE_LEFT
            )
            facts = {"stage": event.data.get("stage")}
        else:
            activity = Activity.objects.filter(pk=event.data.get("activity")).first()
            if activity is None or activity.status != ActivityStatus.DONE:
                continue
            trigger, facts = TriggerKind.ACTIVITY_COMPLETED, {"activity": activity}
        facts["event"] = event.pk
        rules_run(
            timer.record_type,
            record,
            trigger,
            facts,
            cause=f"{cause}:{event.pk}",
            system=system,
            late=late,
        )
        record = record_lock(timer.record_type, timer.record_id) or record
    if changed:
        facts = {"fields": changed}
        rules_run(
            timer.record_type,
            record,
            TriggerKind.UPDATED,
            facts,
            cause=f"{cause}:u",
            system=system,
            late=late,
        )
        rules_run(
            timer.record_type,
            record,
            TriggerKind.FIELD_CHANGED,
            facts,
            cause=f"{cause}:f",
            system=system,
            late=late,
        )


_HANDLERS: dict[str, Callable[[Timer, User, bool], None]] = {
    TimerKind.TASK_DUE: _task_due,
    TimerKind.SLA: _sla,
    TimerKind.IDLE: _idle,
    TimerKind.DATE: _date,
    TimerKind.EVENT: _changes,
}
