"""core.clock: `now()` is the real time, or the moment an `as_of` block sets."""

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sopcrm.core.clock import as_of, now
from sopcrm.core.events import event_record
from sopcrm.core.models import Event, EventKind

SH = ZoneInfo("Asia/Shanghai")
REAL = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PAST = datetime(2026, 10, 12, 9, 30, tzinfo=UTC)
EARLIER = datetime(2026, 9, 30, 15, 0, tzinfo=UTC)


@pytest.fixture
def frozen_real_time():
    with time_machine.travel(REAL, tick=False):
        yield


def test_now_outside_as_of_is_the_real_time(frozen_real_time):
    assert now() == REAL


def test_now_inside_as_of_is_the_moment(frozen_real_time):
    with as_of(PAST):
        assert now() == PAST


def test_time_stands_still_inside_as_of():
    with as_of(PAST):
        first = now()
        second = now()
    assert first == second == PAST


def test_as_of_gives_the_moment_in_utc_whatever_zone_it_came_in():
    with as_of(datetime(2026, 10, 12, 17, 30, tzinfo=SH)) as moment:
        assert moment == now() == PAST
        assert now().tzinfo == UTC


def test_as_of_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"), as_of(datetime(2026, 10, 12, 9, 30)):
        pass


def test_now_is_the_real_time_again_after_the_block(frozen_real_time):
    with as_of(PAST):
        pass
    assert now() == REAL


def test_now_is_the_real_time_again_when_the_block_raises(frozen_real_time):
    with pytest.raises(RuntimeError), as_of(PAST):
        raise RuntimeError("boom")
    assert now() == REAL


def test_nested_as_of_restores_the_outer_moment_on_exit():
    with as_of(EARLIER):
        with as_of(PAST):
            assert now() == PAST
        assert now() == EARLIER


def test_as_of_applies_to_its_own_thread_only(frozen_real_time):
    seen: list[datetime] = []
    with as_of(PAST):
        other = threading.Thread(target=lambda: seen.append(now()))
        other.start()
        other.join()
    assert seen == [REAL]


def test_a_service_writing_inside_as_of_records_the_moment(db):
    with as_of(PAST):
        event = event_record(record_type="lead", record_id=1, kind=EventKind.CREATED, actor=None)
    assert Event.objects.get(pk=event.pk).occurred_at == PAST
