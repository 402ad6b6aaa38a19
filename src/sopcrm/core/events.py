"""Writing to the append-only event log. Services call `event_record` inside their transaction,
so an event exists exactly when the change it describes was committed."""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from .clock import now
from .models import Event, EventKind, RecordType, User


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    # Decimals, dates and datetimes become the strings the API shows, so the log reads the same
    # on SQLite and PostgreSQL.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


# The events of the `events_batch` being gathered, if one is open.
_pending: ContextVar[list[Event] | None] = ContextVar("events_pending", default=None)


def event_record(
    *,
    record_type: RecordType | str,
    record_id: int,
    kind: EventKind | str,
    actor: User | None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """Log an event. Inside `events_batch` the row is written at the batch's end: the event
    returned has no id until then."""
    event = Event(
        record_type=record_type,
        record_id=record_id,
        kind=kind,
        actor=actor,
        data=jsonable(data or {}),
        occurred_at=occurred_at or now(),
    )
    pending = _pending.get()
    if pending is None:
        event.save(force_insert=True)
    else:
        pending.append(event)
    return event


@contextmanager
def events_batch() -> Iterator[list[Event]]:
    """Gather the events logged while the block runs and write them with one bulk INSERT at
    its end, in the order they were logged, so their ids keep that order (the timeline sorts
    by time, then id). For a service that logs several events in one transaction (a stage
    change, a chunk of an intake batch); nothing in the block may use their ids, and a read of
    the log must look at `events_pending()` too. If the block fails nothing is written. A batch
    inside another adds its events to the outer one, and if it fails (a savepoint rolled back)
    they are dropped with it while the outer batch's stay."""
    outer = _pending.get()
    if outer is not None:
        mark = len(outer)
        try:
            yield outer
        except BaseException:
            del outer[mark:]
            raise
        return
    events: list[Event] = []
    token = _pending.set(events)
    try:
        yield events
    finally:
        _pending.reset(token)
    if events:
        # bulk_create sets the ids on these same objects (both databases return them).
        Event.objects.bulk_create(events)


def events_pending() -> list[Event]:
    """The events an open `events_batch` holds back, not yet in the table."""
    return list(_pending.get() or [])


def events_record_many(events: Iterable[Event]) -> list[Event]:
    """Bulk insert for importers and generators; the same rows `event_record` would write."""
    rows = list(events)
    for row in rows:
        row.data = jsonable(row.data or {})
        if row.occurred_at is None:
            row.occurred_at = now()
    return Event.objects.bulk_create(rows)
