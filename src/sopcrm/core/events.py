"""Writing to the append-only event log. Services call `event_record` inside their transaction,
so an event exists exactly when the change it describes was committed."""

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from .clock import now
from .models import Event, EventKind, RecordType, User


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    # Decimals, dates and datetimes become the strings the API shows, so the log reads the same
    # on SQLite and PostgreSQL.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def event_record(
    *,
    record_type: RecordType | str,
    record_id: int,
    kind: EventKind | str,
    actor: User | None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    return Event.objects.create(
        record_type=record_type,
        record_id=record_id,
        kind=kind,
        actor=actor,
        data=jsonable(data or {}),
        occurred_at=occurred_at or now(),
    )


def events_record_many(events: Iterable[Event]) -> list[Event]:
    """Bulk insert for importers and generators; the same rows `event_record` would write."""
    rows = list(events)
    for row in rows:
        row.data = jsonable(row.data or {})
        if row.occurred_at is None:
            row.occurred_at = now()
    return Event.objects.bulk_create(rows)
