"""Rows that workers take one at a time under a lease (outbound email, webhook deliveries):
due rows have status `queued` and `next_attempt_at` in the past; taking one counts an attempt
and pushes `next_attempt_at` a lease ahead, so a worker that dies mid-send leaves the row to be
taken again when the lease runs out, and two workers never take the same row at once."""

import logging
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Q

from .clock import now

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
QUEUED = "queued"


def lease_next[Row: models.Model](model: type[Row]) -> Row | None:
    """Take the earliest due row no other worker holds, or None."""
    # A plain read first: on SQLite the claiming transaction takes the database's write lock,
    # which an idle worker should not do every tick.
    manager: Any = model._default_manager
    if not manager.filter(status=QUEUED, next_attempt_at__lte=now()).exists():
        return None
    with transaction.atomic():
        at = now()
        row = (
            manager.select_for_update(skip_locked=True)
            .filter(status=QUEUED, next_attempt_at__lte=at)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if row is None:
            return None
        row.attempts += 1
        row.next_attempt_at = at + LEASE
        row.save(update_fields=["attempts", "next_attempt_at"])
        return row


def record_if_still_leased(row: models.Model, **changes: object) -> bool:
    """Write the outcome if the lease is still ours: the row is queued with the attempt count
    we took it with (no other worker took it over after the lease ran out, and nothing else
    ended it meanwhile)."""
    manager: Any = type(row)._default_manager
    attempts: int = row.attempts  # type: ignore[attr-defined]
    ours = Q(pk=row.pk, status=QUEUED, attempts=attempts)
    updated: int = manager.filter(ours).update(**changes)
    if not updated:
        logger.warning(
            "%s %s was taken over before its outcome was recorded",
            row._meta.verbose_name,
            row.pk,
        )
    return updated == 1
