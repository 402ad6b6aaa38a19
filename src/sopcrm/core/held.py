"""Rows of records just created, held back and inserted together. A batch that creates many
records in one transaction (a chunk of an intake batch) opens `rows_held`; the rows nothing reads
back before the batch ends (a new record's timers and SLA clocks) are then written with one
INSERT per table at its end instead of one each. Outside such a block they are inserted at
once, so every other caller is unchanged."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Model

# The rows held by the open `rows_held` block, if one is open, in the order they came.
_held: ContextVar[list[Model] | None] = ContextVar("rows_held", default=None)


def insert_or_hold(rows: Iterable[Model]) -> None:
    """Insert these new rows now, or inside `rows_held` at the block's end (they have no id
    until then)."""
    new = list(rows)
    held = _held.get()
    if held is not None:
        held.extend(new)
        return
    by_model: dict[type[Model], list[Model]] = {}
    for row in new:
        by_model.setdefault(type(row), []).append(row)
    for model, same in by_model.items():
        model._default_manager.bulk_create(same)


@contextmanager
def rows_held() -> Iterator[None]:
    """Hold the rows given to `insert_or_hold` while the block runs and insert them at its end,
    one INSERT per table. Only for rows nothing in the block reads back. If the block fails
    nothing is written; a block inside another adds its rows to the outer one and, if it fails
    (a savepoint rolled back), drops them while the outer block's stay."""
    outer = _held.get()
    if outer is not None:
        mark = len(outer)
        try:
            yield
        except BaseException:
            del outer[mark:]
            raise
        return
    rows: list[Model] = []
    token = _held.set(rows)
    try:
        yield
    finally:
        _held.reset(token)
    insert_or_hold(rows)  # no block is open any more: inserted now
