"""Setting, moving and cancelling durable timers, inside the caller's transaction; and claiming
the due ones for the worker. What firing a timer does is automation's (automation/firing.py)."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from sopcrm.core.clock import now
from sopcrm.core.errors import Conflict, NotFound
from sopcrm.core.events import jsonable
from sopcrm.core.held import insert_or_hold

from .models import Timer, TimerKind, TimerStatus


def timer_set(
    *,
    kind: TimerKind,
    record_type: str,
    record_id: int,
    key: str = "",
    due_at: datetime,
    data: dict[str, Any] | None = None,
    new: bool = False,
) -> Timer:
    """Create the pending timer for this purpose, or move the one there is. `new`: it is for
    something just created, which cannot have one yet: no read for a pending timer to move,
    and inside `rows_held` (an intake batch) the insert waits for the batch's end."""
    (timer,) = timers_set_many(
        kind=kind, record_type=record_type, record_id=record_id, due={key: (due_at, data)}, new=new
    )
    return timer


def timers_set_many(
    *,
    kind: TimerKind,
    record_type: str,
    record_id: int,
    due: Mapping[str, tuple[datetime, dict[str, Any] | None]],
    new: bool = False,
) -> list[Timer]:
    """`timer_set` for several keys of one record (key -> (due_at, data)): one read of the
    pending ones and one insert of the new, instead of a read and a write per key. `new`: the
    record was just created, so nothing is pending to move (no read), and inside `rows_held`
    the timers are inserted at the batch's end."""
    if not due:
        return []
    existing = (
        {}
        if new
        else {
            timer.key: timer
            for timer in Timer.objects.select_for_update().filter(
                kind=kind,
                record_type=record_type,
                record_id=record_id,
                key__in=list(due),
                status=TimerStatus.PENDING,
            )
        }
    )
    at = now()
    result: dict[str, Timer] = {}
    added: list[Timer] = []
    for key, (due_at, data) in due.items():
        payload = jsonable(data or {})
        timer = existing.get(key)
        if timer is None:
            timer = Timer(
                kind=kind,
                record_type=record_type,
                record_id=record_id,
                key=key,
                due_at=due_at,
                data=payload,
                created_at=at,
            )
            added.append(timer)
        elif timer.due_at != due_at or timer.data != payload:
            timer.due_at, timer.data = due_at, payload
            timer.save(update_fields=["due_at", "data"])
        result[key] = timer
    if new:
        insert_or_hold(added)
    else:
        Timer.objects.bulk_create(added)
    return list(result.values())


def timers_cancel(
    *,
    kind: TimerKind,
    record_type: str,
    record_id: int,
    keys: Iterable[str] | None = None,
    key_prefix: str | None = None,
) -> int:
    """Cancel the pending timers of a record (of these keys, or starting with a prefix)."""
    pending = Timer.objects.filter(
        kind=kind, record_type=record_type, record_id=record_id, status=TimerStatus.PENDING
    )
    if keys is not None:
        pending = pending.filter(key__in=list(keys))
    if key_prefix is not None:
        pending = pending.filter(key__startswith=key_prefix)
    return pending.update(status=TimerStatus.CANCELLED, fired_at=now())


def timers_pending(
    *, kind: str | None = None, due_before: datetime | None = None, limit: int = 100
) -> list[Timer]:
    pending = Timer.objects.filter(status=TimerStatus.PENDING)
    if kind:
        pending = pending.filter(kind=kind)
    if due_before is not None:
        pending = pending.filter(due_at__lte=due_before)
    return list(pending.order_by("due_at", "id")[:limit])


def timer_any_due(at: datetime) -> bool:
    """A plain read: is anything due? (The claim takes SQLite's write lock; an idle worker
    should not, every tick.)"""
    return Timer.objects.filter(status=TimerStatus.PENDING, due_at__lte=at).exists()


def timer_claim_due(at: datetime) -> Timer | None:
    """Lock the earliest due pending timer no other worker holds, for the caller's transaction
    (SKIP LOCKED on PostgreSQL; on SQLite the transaction itself is exclusive)."""
    return (
        Timer.objects.select_for_update(skip_locked=True)
        .filter(status=TimerStatus.PENDING, due_at__lte=at)
        .order_by("due_at", "id")
        .first()
    )


def timers_failed(*, limit: int = 100) -> list[Timer]:
    return list(Timer.objects.filter(status=TimerStatus.FAILED).order_by("-fired_at")[:limit])


def timer_retry(timer_id: int) -> Timer:
    """Put a failed timer back in the queue, due now, with its attempts counted afresh."""
    timer = Timer.objects.filter(pk=timer_id, status=TimerStatus.FAILED).first()
    if timer is None:
        raise NotFound(_("No failed timer %(id)s.") % {"id": timer_id})
    same_purpose = Timer.objects.filter(
        kind=timer.kind,
        record_type=timer.record_type,
        record_id=timer.record_id,
        key=timer.key,
        status=TimerStatus.PENDING,
    )
    if same_purpose.exists():
        raise Conflict(_("A newer timer for the same deadline is pending."), code="superseded")
    timer.status, timer.due_at, timer.attempts, timer.fired_at = (
        TimerStatus.PENDING,
        now(),
        0,
        None,
    )
    timer.save(update_fields=["status", "due_at", "attempts", "fired_at"])
    return timer
