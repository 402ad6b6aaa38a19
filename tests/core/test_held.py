"""`rows_held`: new rows nothing reads back, inserted together at a batch's end."""

from datetime import timedelta

import pytest

from sopcrm.core.clock import now
from sopcrm.core.held import insert_or_hold, rows_held
from sopcrm.process.models import Timer, TimerKind


class _Failed(Exception):
    pass


def _timer(record_id: int) -> Timer:
    return Timer(
        kind=TimerKind.IDLE,
        record_type="lead",
        record_id=record_id,
        due_at=now() + timedelta(days=1),
        created_at=now(),
    )


def _written() -> list[int]:
    return list(Timer.objects.order_by("pk").values_list("record_id", flat=True))


@pytest.mark.django_db
def test_outside_a_block_rows_are_inserted_at_once():
    timer = _timer(1)
    insert_or_hold([timer])
    assert timer.pk is not None
    assert _written() == [1]


@pytest.mark.django_db
def test_a_block_inserts_its_rows_at_its_end_in_order():
    with rows_held():
        insert_or_hold([_timer(1), _timer(2)])
        insert_or_hold([_timer(3)])
        assert _written() == []
    assert _written() == [1, 2, 3]


@pytest.mark.django_db
def test_a_failed_inner_block_drops_its_rows_and_keeps_the_outer_ones():
    with rows_held():
        insert_or_hold([_timer(1)])
        with pytest.raises(_Failed), rows_held():
            insert_or_hold([_timer(2)])
            raise _Failed
        with rows_held():
            insert_or_hold([_timer(3)])
    assert _written() == [1, 3]


@pytest.mark.django_db
def test_a_failed_block_writes_nothing():
    with pytest.raises(_Failed), rows_held():
        insert_or_hold([_timer(1)])
        raise _Failed
    assert _written() == []
